// tokenhub login | logout | whoami as real processes against a real hub: where the credentials go (keychain or a
// 0600 file in a 0700 folder), the environment override, and exit code 3 for missing or refused credentials.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken, maskToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { freePort } from '../support/ports';
import { cliEnv, hasScript, modeOf, runCli, runInTerminal, type CliEnv } from './helpers';

describe('tokenhub login / logout / whoami', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let acme: { workspaceId: string; accountKey: string };
  let ctx: CliEnv;

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '100000'] });
    acme = await hub.init('acme', ['chat', 'embed']);
  });
  after(async () => {
    await hub?.stop();
  });
  beforeEach(() => {
    ctx = cliEnv();
  });
  afterEach(() => ctx.cleanup());

  const credentialsPath = () => path.join(ctx.env.TOKENHUB_CONFIG_DIR!, 'credentials.json');
  const login = (key: string, env = ctx.env, url = hub.url) => runCli(['login', '--url', url, '--key-stdin'], { env, input: `${key}\n` });

  it('login --key-stdin checks the key, stores URL and key in a 0600 file in a 0700 folder, and says where', async () => {
    const result = await login(acme.accountKey);
    assert.strictEqual(result.code, 0, result.stderr);
    assert.match(result.stdout, /Signed in to workspace "acme" \(ws_\w+\)/);
    assert.ok(result.stdout.includes(`Credentials stored in ${credentialsPath()} (readable only by you)`), result.stdout);
    assert.ok(!result.stdout.includes(acme.accountKey) && !result.stderr.includes(acme.accountKey), 'the key is never printed');
    assert.ok(result.stdout.includes(maskToken(acme.accountKey)));
    assert.strictEqual(modeOf(credentialsPath()), 0o600);
    assert.strictEqual(modeOf(path.dirname(credentialsPath())), 0o700);
    const stored = JSON.parse(fs.readFileSync(credentialsPath(), 'utf8'));
    assert.deepStrictEqual(stored, { version: 1, url: hub.url, storage: 'file', accountKey: acme.accountKey });
  });

  it('login narrows an existing credentials file and folder to 0600 / 0700', async () => {
    fs.mkdirSync(path.dirname(credentialsPath()), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.dirname(credentialsPath()), 0o755);
    fs.writeFileSync(credentialsPath(), '{}', { mode: 0o644 });
    fs.chmodSync(credentialsPath(), 0o644);
    assert.strictEqual((await login(acme.accountKey)).code, 0);
    assert.strictEqual(modeOf(credentialsPath()), 0o600);
    assert.strictEqual(modeOf(path.dirname(credentialsPath())), 0o700);
  });

  it('whoami prints workspace name and id, hub URL and where the credentials come from, never the key', async () => {
    await login(acme.accountKey);
    const text = await runCli(['whoami'], { env: ctx.env });
    assert.strictEqual(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Workspace: +acme \\(${acme.workspaceId}\\)`));
    assert.match(text.stdout, new RegExp(`Hub: +${hub.url.replace(/\./g, '\\.')}`));
    assert.ok(text.stdout.includes(credentialsPath()));
    assert.ok(text.stdout.includes(maskToken(acme.accountKey)));
    assert.ok(!text.stdout.includes(acme.accountKey));

    const json = await runCli(['whoami', '--json'], { env: ctx.env });
    assert.strictEqual(json.code, 0, json.stderr);
    const who = JSON.parse(json.stdout);
    assert.strictEqual(who.workspace.id, acme.workspaceId);
    assert.strictEqual(who.workspace.name, 'acme');
    assert.strictEqual(who.url, hub.url);
    assert.strictEqual(who.accountKey, maskToken(acme.accountKey));
    assert.strictEqual(who.source, credentialsPath());
  });

  it('login with a key the hub does not know exits 3 and stores nothing', async () => {
    const result = await login(generateToken(ACCOUNT_KEY_PREFIX));
    assert.strictEqual(result.code, 3);
    assert.match(result.stderr, /^tokenhub login: The hub at .* refused the account key\./);
    assert.strictEqual(result.stderr.trim().split('\n').length, 1, 'one sentence on one line');
    assert.ok(!fs.existsSync(credentialsPath()));
  });

  it('login refuses an access token or a mangled key with exit 3 without printing it', async () => {
    const accessToken = generateToken(ACCESS_TOKEN_PREFIX);
    const asToken = await login(accessToken);
    assert.strictEqual(asToken.code, 3);
    assert.match(asToken.stderr, /that is an access token \(thub_…\)/);
    assert.ok(!asToken.stderr.includes(accessToken));
    const mangled = await login(acme.accountKey.slice(0, -1));
    assert.strictEqual(mangled.code, 3);
    assert.match(mangled.stderr, /check that it was copied whole/);
    assert.ok(!mangled.stderr.includes(acme.accountKey.slice(0, -1)));
  });

  it('login without --key-stdin when stdin is not a terminal is a usage error (2)', async () => {
    const result = await runCli(['login', '--url', hub.url], { env: ctx.env });
    assert.strictEqual(result.code, 2);
    assert.match(result.stderr, /add --key-stdin/);
  });

  it('login to a hub that is not running exits 1 with a sentence; a URL that is not http(s) exits 2', async () => {
    const down = await login(acme.accountKey, ctx.env, `http://127.0.0.1:${await freePort()}`);
    assert.strictEqual(down.code, 1);
    assert.match(down.stderr, /Cannot reach the hub at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    const ftp = await login(acme.accountKey, ctx.env, 'ftp://example.invalid');
    assert.strictEqual(ftp.code, 2);
  });

  it('a revoked account key gets exit 3 from every command', async () => {
    const created = await hub.cli(['account-key', 'create', '--workspace', 'acme']);
    const { accountKey, accountKeyId } = JSON.parse(created.stdout);
    assert.strictEqual((await login(accountKey)).code, 0);
    assert.strictEqual((await runCli(['whoami'], { env: ctx.env })).code, 0);
    assert.strictEqual((await hub.cli(['account-key', 'revoke', '--id', accountKeyId])).code, 0);
    for (const args of [['whoami'], ['tokens', 'list'], ['tokens', 'create', '--name', 'x', '--endpoint', 'chat'], ['tokens', 'delete', 'x', '--yes']]) {
      const result = await runCli(args, { env: ctx.env });
      assert.strictEqual(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /refused the account key\. Sign in again with "tokenhub login"\./);
      assert.ok(!result.stderr.includes(accountKey));
    }
  });

  it('TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY take precedence over stored credentials', async () => {
    const plain = await runCli(['whoami'], { env: ctx.env });
    assert.strictEqual(plain.code, 3, 'nothing stored, nothing in the environment');
    assert.match(plain.stderr, /Not signed in: run "tokenhub login"/);

    const env = { ...ctx.env, TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: acme.accountKey };
    const who = await runCli(['whoami', '--json'], { env });
    assert.strictEqual(who.code, 0, who.stderr);
    assert.match(JSON.parse(who.stdout).source, /^the environment \(TOKENHUB_ACCOUNT_KEY, TOKENHUB_URL\)$/);

    // Stored credentials of another workspace lose to the environment's.
    const globex = await hub.init('globex', ['chat']);
    assert.strictEqual((await login(globex.accountKey)).code, 0);
    assert.strictEqual(JSON.parse((await runCli(['whoami', '--json'], { env: ctx.env })).stdout).workspace.name, 'globex');
    assert.strictEqual(JSON.parse((await runCli(['whoami', '--json'], { env })).stdout).workspace.name, 'acme');
    // The key alone from the environment, the URL from the file.
    const keyOnly = await runCli(['whoami', '--json'], { env: { ...ctx.env, TOKENHUB_ACCOUNT_KEY: acme.accountKey } });
    assert.strictEqual(JSON.parse(keyOnly.stdout).workspace.name, 'acme');
    // A wrong key in the environment: 3, with a hint at the variable.
    const wrong = await runCli(['whoami'], { env: { ...env, TOKENHUB_ACCOUNT_KEY: generateToken(ACCOUNT_KEY_PREFIX) } });
    assert.strictEqual(wrong.code, 3);
    assert.match(wrong.stderr, /Check TOKENHUB_ACCOUNT_KEY\./);
  });

  it('TOKENHUB_URL for another hub than the stored credentials is refused (3) rather than sending the key there', async () => {
    await login(acme.accountKey);
    const other = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(['whoami'], { env: { ...ctx.env, TOKENHUB_URL: other } });
    assert.strictEqual(result.code, 3);
    assert.ok(result.stderr.includes(`TOKENHUB_URL is ${other} but the stored credentials are for ${hub.url}`), result.stderr);
  });

  it('logout forgets the credentials; whoami then exits 3', async () => {
    await login(acme.accountKey);
    const out = await runCli(['logout'], { env: ctx.env });
    assert.strictEqual(out.code, 0);
    assert.match(out.stdout, /Signed out of http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!fs.existsSync(credentialsPath()));
    assert.strictEqual((await runCli(['whoami'], { env: ctx.env })).code, 3);
    const again = await runCli(['logout'], { env: ctx.env });
    assert.strictEqual(again.code, 0);
    assert.match(again.stdout, /Not signed in; there were no stored credentials\./);
  });

  it('login refuses a hub URL with a quote, a backslash or a control character (exit 2, a sentence) and stores nothing', async () => {
    for (const url of [`${hub.url}/" -w "stolen`, `${hub.url}/'x`, `${hub.url}/a\\b`, `${hub.url}/\nadd-generic-password -s x`, `${hub.url}/\u0007`]) {
      const result = await runCli(['login', '--url', url, '--key-stdin'], { env: ctx.env, input: acme.accountKey });
      assert.strictEqual(result.code, 2, `${JSON.stringify(url)}: ${result.stderr}`);
      assert.match(result.stderr, /The hub URL holds a quote, a backslash or a control character; type the address again/);
      assert.ok(!fs.existsSync(credentialsPath()), 'nothing stored');
    }
  });

  it('login stores the URL in its normal form', async () => {
    const shouting = hub.url.replace('http://', 'HTTP://') + '/';
    assert.strictEqual((await runCli(['login', '--url', shouting, '--key-stdin'], { env: ctx.env, input: acme.accountKey })).code, 0);
    assert.strictEqual(JSON.parse(fs.readFileSync(credentialsPath(), 'utf8')).url, hub.url);
  });

  describe('the keychain on Linux (the Secret Service, through @napi-rs/keyring)', () => {
    beforeEach(function () {
      if (process.platform !== 'linux') this.skip();
    });

    it('a D-Bus session without a Secret Service: the file, saying why, never the kernel keyring', async () => {
      const env = { ...ctx.env, TOKENHUB_KEYCHAIN: 'auto', DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(ctx.dir, 'no-bus')}` };
      const result = await login(acme.accountKey, env);
      assert.strictEqual(result.code, 0, result.stderr);
      assert.match(result.stdout, /The keychain could not be used \(the keychain \(Secret Service\) could not store the key \(.*DBus.*\)\)\./);
      assert.ok(!result.stdout.includes(acme.accountKey));
      assert.ok(result.stdout.includes(`Credentials stored in ${credentialsPath()} (readable only by you)`));
      assert.strictEqual(JSON.parse(fs.readFileSync(credentialsPath(), 'utf8')).accountKey, acme.accountKey);
      const who = await runCli(['whoami', '--json'], { env });
      assert.strictEqual(who.code, 0, who.stderr);
      assert.strictEqual(JSON.parse(who.stdout).source, credentialsPath());
    });

    it('is not tried without a D-Bus session, nor with TOKENHUB_KEYCHAIN=none', async () => {
      const noBus: NodeJS.ProcessEnv = { ...ctx.env, TOKENHUB_KEYCHAIN: 'auto' };
      delete noBus.DBUS_SESSION_BUS_ADDRESS;
      const withBus = { ...ctx.env, TOKENHUB_KEYCHAIN: 'none', DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(ctx.dir, 'no-bus')}` };
      for (const env of [noBus, withBus]) {
        const result = await login(acme.accountKey, env);
        assert.match(result.stdout, /Credentials stored in .*credentials\.json/);
        assert.ok(!result.stdout.includes('could not be used'), result.stdout);
      }
    });
  });

  it('on a terminal, login asks for the URL and the key and does not echo the key', async function () {
    if (!hasScript) this.skip();
    const { code, transcript } = await runInTerminal(
      ['login'],
      [
        { expect: /Hub URL \[http:\/\/127\.0\.0\.1:8787\]: /, send: `${hub.url}\r` },
        { expect: /Account key \(thak_…, not shown\): /, send: `${acme.accountKey}\r` },
      ],
      { env: ctx.env },
    );
    assert.strictEqual(code, 0, transcript);
    assert.match(transcript, /Signed in to workspace "acme"/);
    assert.ok(!transcript.includes(acme.accountKey), 'the key was echoed');
    assert.strictEqual(JSON.parse(fs.readFileSync(credentialsPath(), 'utf8')).accountKey, acme.accountKey);
  });
});
