// tokenhub env set: the terminal's way into the extension's .env editor. The file it writes must be byte for byte
// what setEnvVariable (src/core/env.ts) makes of the same text, so terminal and editor never disagree.
import assert from 'assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { setEnvVariable } from '../../src/core/env';
import { cliEnv, modeOf, runCli, type CliEnv } from './helpers';

// CRLF line ends, comments (whole-line and inline), `export`, spacing around `=`, `KEY: value`, a multi-line
// quoted value, a duplicate (dotenv uses the last one), an empty value and no final line end.
const NASTY =
  '\uFEFF# Settings for the billing service\r\n' +
  'export API_URL=https://api.example.test # prod\r\n' +
  'NAME = "two words"\r\n' +
  '\r\n' +
  "  export   TOKENHUB_TOKEN='thub_old' # rotate me\r\n" +
  'PRIVATE_KEY="-----BEGIN-----\r\nabc\r\n-----END-----"\r\n' +
  'COLON: yes\r\n' +
  'EMPTY=\r\n' +
  'TOKENHUB_TOKEN=second#not-a-comment\r\n' +
  '# trailing comment without a line end';

describe('tokenhub env set', function () {
  this.timeout(60_000);
  let ctx: CliEnv;
  beforeEach(() => {
    ctx = cliEnv();
  });
  afterEach(() => ctx.cleanup());

  const set = (args: string[], value: string) => runCli(['env', 'set', ...args], { env: ctx.env, input: value, cwd: ctx.dir });

  const cases: Array<{ title: string; name: string; value: string; replace: boolean }> = [
    { title: 'appends a new variable', name: 'NEW_TOKEN', value: 'thub_abc123', replace: false },
    { title: 'appends a value that needs quotes', name: 'GREETING', value: "it's a #1 value with $pace", replace: false },
    { title: 'replaces the effective (last) occurrence', name: 'TOKENHUB_TOKEN', value: 'thub_new', replace: true },
    { title: 'replaces an exported value keeping its comment', name: 'API_URL', value: 'https://other.test/v1?a=b', replace: true },
    { title: 'replaces a multi-line value', name: 'PRIVATE_KEY', value: 'single-line', replace: true },
    { title: 'replaces a KEY: value line', name: 'COLON', value: 'no', replace: true },
    { title: 'fills an empty value', name: 'EMPTY', value: 'filled', replace: true },
  ];
  for (const { title, name, value, replace } of cases) {
    it(`${title}: byte-identical to setEnvVariable on a CRLF file with comments and export`, async () => {
      const file = path.join(ctx.dir, '.env');
      fs.writeFileSync(file, NASTY);
      const result = await set([name, ...(replace ? ['--replace'] : [])], `${value}\n`);
      assert.strictEqual(result.code, 0, result.stderr);
      const expected = setEnvVariable(NASTY, name, value, { replace }).text;
      assert.ok(Buffer.from(fs.readFileSync(file)).equals(Buffer.from(expected, 'utf8')), 'the file differs from setEnvVariable');
      assert.ok(!result.stdout.includes(value) && !result.stderr.includes(value), 'the value is not printed');
    });
  }

  it('appends with `export ` where every line is exported, as the extension does (--file elsewhere)', async () => {
    const text = 'export A=1\nexport B=2\n';
    const file = path.join(ctx.dir, 'config', 'app.env');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, text);
    const result = await set(['C', '--file', file], 'three');
    assert.strictEqual(result.code, 0, result.stderr);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), setEnvVariable(text, 'C', 'three').text);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'export A=1\nexport B=2\nexport C=three\n');
    assert.match(result.stdout, /^Added C in .*app\.env, line 3\.\n$/);
  });

  it('refuses to replace a variable that is set unless --replace (exit 5), leaving the file untouched', async () => {
    const file = path.join(ctx.dir, '.env');
    fs.writeFileSync(file, NASTY);
    const result = await set(['TOKENHUB_TOKEN'], 'thub_new\n');
    assert.strictEqual(result.code, 5);
    assert.match(result.stderr, /^tokenhub env set: TOKENHUB_TOKEN is already set on line 11 of \.env; add --replace to replace it\.\n$/);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), NASTY);
  });

  it('the same value again leaves the file as it is', async () => {
    const file = path.join(ctx.dir, '.env');
    fs.writeFileSync(file, NASTY);
    const result = await set(['COLON'], 'yes');
    assert.strictEqual(result.code, 0, result.stderr);
    assert.match(result.stdout, /COLON in \.env, line 9 already held this value; the file is unchanged\./);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), NASTY);
  });

  it('creates a missing file, drops exactly one final line end of stdin, and keeps a file\'s 0600 mode', async () => {
    const file = path.join(ctx.dir, '.env');
    assert.strictEqual((await set(['A'], 'one\r\n')).code, 0);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'A=one\n');
    fs.chmodSync(file, 0o600);
    assert.strictEqual((await set(['B'], 'two\n\n')).code, 0);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), setEnvVariable('A=one\n', 'B', 'two\n').text);
    assert.strictEqual(modeOf(file), 0o600);
  });

  it('usage errors exit 2: a bad variable name, no value, no variable', async () => {
    const bad = await set(['1BAD'], 'x');
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /Use letters, digits and underscores only/);
    const empty = await set(['GOOD'], '');
    assert.strictEqual(empty.code, 2);
    assert.match(empty.stderr, /No value was given for GOOD on standard input\./);
    const none = await set([], 'x');
    assert.strictEqual(none.code, 2);
    assert.match(none.stderr, /Name the variable to set/);
    assert.ok(!fs.existsSync(path.join(ctx.dir, '.env')));
  });

  it('refuses a file in a folder that does not exist, creating nothing', async () => {
    const result = await set(['TOKENHUB_TOKEN', '--file', 'missing/dir/.env'], 'thub_value');
    assert.strictEqual(result.code, 1, result.stderr);
    assert.match(result.stderr, /The folder .*missing\/dir does not exist, so nothing was written; create it first, or give a file in an existing folder\./);
    assert.ok(!fs.existsSync(path.join(ctx.dir, 'missing')), 'no folder was created');
  });

  it('`npm run hub -- env set` writes where the person stands, not in the repository', async () => {
    // npm runs the script in the repository and passes the person's folder as INIT_CWD.
    const repo = path.resolve(__dirname, '..', '..', '..');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, ['--silent', '--prefix', repo, 'run', 'hub', '--', 'env', 'set', 'FROM_NPM', '--file', '.env'], {
      cwd: ctx.dir,
      env: { ...process.env, ...ctx.env, npm_lifecycle_event: undefined, INIT_CWD: undefined },
      input: 'thub_from_npm',
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.strictEqual(result.status, 0, result.stderr);
    assert.strictEqual(fs.readFileSync(path.join(ctx.dir, '.env'), 'utf8'), 'FROM_NPM=thub_from_npm\n');
    const repoEnv = path.join(repo, '.env');
    assert.ok(!fs.existsSync(repoEnv) || !fs.readFileSync(repoEnv, 'utf8').includes('thub_from_npm'), 'nothing in the repository\'s .env');
  });
});
