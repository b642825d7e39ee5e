// Files the CLI writes a secret into, as real processes: created 0600 whatever the umask, an existing file's group
// and other bits dropped (and said so), and a target that is a symlink, or lies under a symlinked folder, refused
// when it resolves outside the folder the CLI runs in. A plain path the person names elsewhere is still written.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { HubClient } from '../../src/api/client';
import { startHub, type HubProcess } from '../support/hub';
import { cliEnv, modeOf, runCli, type CliEnv } from './helpers';

const posix = process.platform !== 'win32';

describe('tokenhub: files that hold a secret', function () {
  this.timeout(60_000);
  let ctx: CliEnv;
  let outside: string;
  let umask: number;
  before(function () {
    if (!posix) this.skip();
    // The CLI inherits this umask: 022 is where a plain create would leave the file readable by everyone.
    umask = process.umask(0o022);
  });
  after(() => {
    if (posix) process.umask(umask);
  });
  beforeEach(() => {
    ctx = cliEnv();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-cli-outside-'));
  });
  afterEach(() => {
    ctx.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const set = (args: string[], value: string) => runCli(['env', 'set', ...args], { env: ctx.env, input: value, cwd: ctx.dir });

  it('env set creates a new file 0600 under umask 022', async () => {
    fs.mkdirSync(path.join(ctx.dir, 'sub'));
    const result = await set(['A', '--file', 'sub/.env'], 'thub_secret-value');
    assert.strictEqual(result.code, 0, result.stderr);
    assert.strictEqual(modeOf(path.join(ctx.dir, 'sub', '.env')).toString(8), '600');
  });

  it('env set drops the group and other bits of an existing file, and says so', async () => {
    const file = path.join(ctx.dir, '.env');
    fs.writeFileSync(file, 'A=1\n');
    fs.chmodSync(file, 0o644);
    const result = await set(['B'], 'thub_secret-value');
    assert.strictEqual(result.code, 0, result.stderr);
    assert.strictEqual(modeOf(file).toString(8), '600');
    assert.match(result.stderr, /\.env could be read by others \(mode 644\); tokenhub made it readable by you only \(600\), as it holds a secret\./);
    assert.ok(!result.stderr.includes('thub_secret-value'));
  });

  it('env set refuses a .env that is a symlink to a file outside the folder it runs in', async () => {
    const target = path.join(outside, 'elsewhere.env');
    fs.writeFileSync(target, 'OTHER=1\n');
    fs.symlinkSync(target, path.join(ctx.dir, '.env'));
    const result = await set(['A'], 'thub_secret-value');
    assert.strictEqual(result.code, 1);
    assert.match(result.stderr, /\.env resolves through a symbolic link to .*elsewhere\.env, outside the folder you run tokenhub in .*; nothing was written\. Give the real path if you mean to write there\./);
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'OTHER=1\n');
  });

  it('env set refuses a file under a symlinked folder that leads outside, and writes through a link that stays inside', async () => {
    fs.symlinkSync(outside, path.join(ctx.dir, 'config'));
    const refused = await set(['A', '--file', 'config/.env'], 'thub_secret-value');
    assert.strictEqual(refused.code, 1);
    assert.match(refused.stderr, /config\/\.env resolves through a symbolic link to .*, outside the folder you run tokenhub in .*; nothing was written\./);
    assert.deepStrictEqual(fs.readdirSync(outside), []);

    fs.writeFileSync(path.join(ctx.dir, 'real.env'), 'A=1\n');
    fs.symlinkSync(path.join(ctx.dir, 'real.env'), path.join(ctx.dir, 'linked.env'));
    const inside = await set(['B', '--file', 'linked.env'], 'two');
    assert.strictEqual(inside.code, 0, inside.stderr);
    assert.strictEqual(fs.readFileSync(path.join(ctx.dir, 'real.env'), 'utf8'), 'A=1\nB=two\n');
    assert.ok(fs.lstatSync(path.join(ctx.dir, 'linked.env')).isSymbolicLink());
  });

  it('env set writes a plain path the person names outside the folder', async () => {
    const file = path.join(outside, 'named.env');
    const result = await set(['A', '--file', file], 'one');
    assert.strictEqual(result.code, 0, result.stderr);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'A=one\n');
    assert.strictEqual(modeOf(file).toString(8), '600');
  });

  describe('against a real hub', () => {
    let hub: HubProcess;
    let env: NodeJS.ProcessEnv;
    let api: HubClient;
    before(async () => {
      hub = await startHub();
      const acme = await hub.init('acme', ['chat']);
      api = new HubClient({ baseUrl: hub.url, accountKey: acme.accountKey });
      env = { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: acme.accountKey };
    });
    after(async () => hub?.stop());
    const cli = (args: string[]) => runCli(args, { env: { ...ctx.env, ...env }, cwd: ctx.dir });

    it('tokens create --dotenv makes a new file 0600, and refuses a symlink out of the folder before creating anything', async () => {
      const created = await cli(['tokens', 'create', '--name', 'fresh-file', '--endpoint', 'chat', '--dotenv', '.env']);
      assert.strictEqual(created.code, 0, created.stderr);
      assert.strictEqual(modeOf(path.join(ctx.dir, '.env')).toString(8), '600');

      const target = path.join(outside, 'stolen.env');
      fs.writeFileSync(target, '');
      fs.symlinkSync(target, path.join(ctx.dir, 'link.env'));
      const refused = await cli(['tokens', 'create', '--name', 'via-link', '--endpoint', 'chat', '--dotenv', 'link.env']);
      assert.strictEqual(refused.code, 1);
      assert.match(refused.stderr, /link\.env resolves through a symbolic link to .*stolen\.env, outside the folder you run tokenhub in .*; nothing was written\./);
      assert.strictEqual(fs.readFileSync(target, 'utf8'), '');
      assert.deepStrictEqual(await api.listAllTokens('via-link'), [], 'no token was created');
    });

    it('tokens rotate --dotenv refuses a symlink out of the folder before rotating', async () => {
      const created = await api.createToken({ name: 'to-rotate', endpoints: ['chat'] });
      const target = path.join(outside, 'rotate.env');
      fs.writeFileSync(target, '');
      fs.symlinkSync(target, path.join(ctx.dir, 'rotate.env'));
      const refused = await cli(['tokens', 'rotate', created.token.id, '--dotenv', 'rotate.env', '--yes']);
      assert.strictEqual(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /rotate\.env resolves through a symbolic link to .*, outside the folder you run tokenhub in .*; nothing was written\./);
      assert.strictEqual(fs.readFileSync(target, 'utf8'), '');
      assert.strictEqual((await api.getToken(created.token.id)).maskedKey, created.token.maskedKey, 'not rotated');
    });
  });
});
