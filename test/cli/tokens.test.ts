// tokenhub tokens list | create | delete | rotate as real processes against a real hub: output (the secret once on
// stdout, --json parsed), local validation before any request, paging, confirmation, .env writing, exit codes.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { parse as dotenvParse } from 'dotenv';
import { HubClient, HubRequestError } from '../../src/api/client';
import type { Token } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, isValidToken, maskToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { freePort } from '../support/ports';
import { cliEnv, hasScript, runCli, runInTerminal, type CliEnv } from './helpers';

const DAY = 86_400_000;

describe('tokenhub tokens', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let acme: { workspaceId: string; accountKey: string };
  let ctx: CliEnv;
  let env: NodeJS.ProcessEnv;
  let api: HubClient;
  let counter = 0;
  const fresh = (stem: string) => `${stem}-${++counter}`;
  const cli = (args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extraEnv }, input, cwd: ctx.dir });

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '100000'] });
    acme = await hub.init('acme', ['chat', 'embed']);
    api = new HubClient({ baseUrl: hub.url, accountKey: acme.accountKey });
    ctx = cliEnv();
    env = { ...ctx.env, TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: acme.accountKey };
  });
  after(async () => {
    ctx?.cleanup();
    await hub?.stop();
  });

  async function invokeStatus(secret: string, endpoint = 'chat'): Promise<number> {
    try {
      await api.invoke(endpoint, secret);
      return 200;
    } catch (error) {
      if (error instanceof HubRequestError && error.status) return error.status;
      throw error;
    }
  }

  async function createJson(name: string, ...extra: string[]): Promise<{ token: Token; secret: string }> {
    const result = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--json', ...extra]);
    assert.strictEqual(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  }

  describe('create', () => {
    it('prints the secret alone on stdout, once, with a note on stderr; the secret works', async () => {
      const name = fresh('billing');
      const result = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--endpoint', 'embed']);
      assert.strictEqual(result.code, 0, result.stderr);
      const secret = result.stdout.trimEnd();
      assert.strictEqual(result.stdout, `${secret}\n`);
      assert.ok(isValidToken(secret, ACCESS_TOKEN_PREFIX));
      assert.match(result.stderr, new RegExp(`Created token "${name}" \\(tok_\\w+, ${maskToken(secret)}\\) for chat, embed; it expires in 30 days\\. This is the only time its secret is shown`));
      assert.ok(!result.stderr.includes(secret));
      assert.strictEqual(await invokeStatus(secret, 'embed'), 200);
    });

    it('--json prints {token, secret} as the API returns them; --expires 7d, a date and an ISO time', async () => {
      const week = await createJson(fresh('week'), '--expires', '7d');
      assert.ok(isValidToken(week.secret, ACCESS_TOKEN_PREFIX));
      assert.strictEqual(week.token.maskedKey, maskToken(week.secret));
      assert.deepStrictEqual(week.token.endpoints, ['chat']);
      assert.ok(Math.abs(Date.parse(week.token.expiresAt!) - (Date.now() + 7 * DAY)) < 60_000);

      const day = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
      const dated = await createJson(fresh('dated'), '--expires', day);
      assert.strictEqual(dated.token.expiresAt, `${day}T23:59:59.000Z`, 'a date is the last day the token works, as in the extension');

      const instant = new Date(Date.now() + 2 * DAY).toISOString();
      assert.strictEqual((await createJson(fresh('instant'), '--expires', instant)).token.expiresAt, instant);
    });

    it('--expires never: refused (2) where the policy requires expiry, accepted where it allows it', async () => {
      const refused = await cli(['tokens', 'create', '--name', fresh('forever'), '--endpoint', 'chat', '--expires', 'never']);
      assert.strictEqual(refused.code, 2);
      assert.match(refused.stderr, /This workspace requires every token to expire; choose an expiry date\./);
      const lax = await hub.init('lax', ['chat'], ['--allow-no-expiry']);
      const allowed = await cli(['tokens', 'create', '--name', 'forever', '--endpoint', 'chat', '--expires', 'never', '--json'], undefined, {
        TOKENHUB_ACCOUNT_KEY: lax.accountKey,
      });
      assert.strictEqual(allowed.code, 0, allowed.stderr);
      assert.strictEqual(JSON.parse(allowed.stdout).token.expiresAt, null);
    });

    it('checks name, endpoints and --expires locally, before any request (exit 2 even with no hub)', async () => {
      const nowhere = { TOKENHUB_URL: `http://127.0.0.1:${await freePort()}` };
      const cases: Array<[string[], RegExp]> = [
        [['--name', 'Billing', '--endpoint', 'chat'], /the name: B is a capital letter \(use lowercase\)\./],
        [['--name', 'My Token!', '--endpoint', 'chat'], /M and T are capital letters \(use lowercase\); it has a space \(use a hyphen\); "!" is not allowed\./],
        [['--name=-x', '--endpoint', 'chat'], /Start and end the name with a letter or digit/],
        [['--name', '-x', '--endpoint', 'chat'], /--name needs a value; write --name=VALUE for a value that starts with "-"\./],
        [['--name', 'a'.repeat(65), '--endpoint', 'chat'], /use at most 64/],
        [['--name', 'ok'], /Choose at least one endpoint the token may call\./],
        [['--name', 'ok', '--endpoint', 'chat', '--endpoint', 'chat'], /Each endpoint may be listed only once\./],
        [['--endpoint', 'chat'], /--name is required\./],
        [['--name', 'ok', '--endpoint', 'chat', '--expires', 'soon'], /--expires "soon": give days from now/],
        [['--name', 'ok', '--endpoint', 'chat', '--expires', '2026-02-31'], /--expires "2026-02-31": 2026-02-31 does not exist: February 2026 has 28 days\./],
        [['--name', 'ok', '--endpoint', 'chat', '--env-var', 'X'], /--env-var needs --dotenv FILE\./],
        [['--name', 'ok', '--endpoint', 'chat', '--replace'], /--replace needs --dotenv FILE\./],
      ];
      for (const [args, message] of cases) {
        const result = await cli(['tokens', 'create', ...args], undefined, nowhere);
        assert.strictEqual(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.match(result.stderr, /^tokenhub tokens create: .*\nRun "tokenhub tokens create --help" for usage\.\n$/);
      }
    });

    it('an endpoint the workspace does not have, or an expiry beyond the policy: exit 2 with a sentence, nothing created', async () => {
      const name = fresh('nope');
      const unknown = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--endpoint', 'images']);
      assert.strictEqual(unknown.code, 2);
      assert.match(unknown.stderr, /This workspace has no endpoint "images"; choose from its endpoints\./);
      const far = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--expires', '400d']);
      assert.strictEqual(far.code, 2);
      assert.match(far.stderr, /Choose an expiry within 365 days from now/);
      assert.deepStrictEqual(await api.listAllTokens(name), []);
    });

    it('a name already taken exits 5 (conflict) with the hub\'s sentence', async () => {
      const name = fresh('taken');
      await createJson(name);
      const again = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat']);
      assert.strictEqual(again.code, 5);
      assert.strictEqual(again.stdout, '');
      assert.match(again.stderr, new RegExp(`^tokenhub tokens create: A token named "${name}" already exists`));
    });

    it('--dotenv writes the secret into the file with the safe editor and does not print it', async () => {
      const file = path.join(ctx.dir, 'create.env');
      fs.writeFileSync(file, '# app\r\nexport A=1\r\nB="two words" # keep\r\n');
      const name = fresh('to-env');
      const result = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--dotenv', file, '--env-var', 'APP_TOKEN']);
      assert.strictEqual(result.code, 0, result.stderr);
      const text = fs.readFileSync(file, 'utf8');
      const secret = dotenvParse(text).APP_TOKEN;
      assert.ok(isValidToken(secret, ACCESS_TOKEN_PREFIX));
      assert.strictEqual(text, `# app\r\nexport A=1\r\nB="two words" # keep\r\nAPP_TOKEN=${secret}\r\n`);
      assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'the secret is not printed');
      assert.match(result.stdout, /Added APP_TOKEN in .*create\.env, line 4\./);
      assert.strictEqual(await invokeStatus(secret), 200);

      const json = await cli(['tokens', 'create', '--name', fresh('to-env'), '--endpoint', 'chat', '--dotenv', file, '--json']);
      assert.strictEqual(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout);
      assert.strictEqual(parsed.secret, undefined);
      assert.deepStrictEqual(parsed.envFile, { file, variable: 'TOKENHUB_TOKEN', action: 'appended', line: 5 });
    });

    it('--dotenv refuses to replace a variable that is set (exit 5) before creating anything; --replace replaces it', async () => {
      const file = path.join(ctx.dir, 'taken.env');
      fs.writeFileSync(file, 'APP_TOKEN=keep-me\n');
      const name = fresh('refused');
      const refused = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--dotenv', file, '--env-var', 'APP_TOKEN']);
      assert.strictEqual(refused.code, 5);
      assert.match(refused.stderr, /APP_TOKEN is already set on line 1 of .*taken\.env; add --replace to replace it\./);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), 'APP_TOKEN=keep-me\n');
      assert.deepStrictEqual(await api.listAllTokens(name), [], 'no token was created');

      const replaced = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--dotenv', file, '--env-var', 'APP_TOKEN', '--replace']);
      assert.strictEqual(replaced.code, 0, replaced.stderr);
      const secret = dotenvParse(fs.readFileSync(file, 'utf8')).APP_TOKEN;
      assert.ok(isValidToken(secret, ACCESS_TOKEN_PREFIX));
      assert.match(replaced.stdout, /Replaced APP_TOKEN in .*taken\.env, line 1\./);
    });

    it('--dotenv into a folder that does not exist is refused with a sentence before anything is created', async () => {
      const file = path.join(ctx.dir, 'missing', 'dir', '.env');
      const name = fresh('no-folder');
      const result = await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--dotenv', file]);
      assert.notStrictEqual(result.code, 0);
      assert.match(result.stderr, /The folder .*missing\/dir does not exist, so nothing was written; create it first, or give a file in an existing folder\./);
      assert.ok(!fs.existsSync(path.join(ctx.dir, 'missing')), 'no folder was created');
      assert.deepStrictEqual(await api.listAllTokens(name), [], 'no token was created');
    });

    it('--env-file is answered with a pointer to --dotenv (Node.js 20 takes --env-file itself)', async () => {
      const file = path.join(ctx.dir, 'exists.env');
      fs.writeFileSync(file, '');
      const result = await cli(['tokens', 'create', '--name', 'x', '--endpoint', 'chat', '--env-file', file]);
      assert.strictEqual(result.code, 2);
      assert.match(result.stderr, /Use --dotenv FILE/);
    });
  });

  describe('list', () => {
    it('prints a table (name, masked key, endpoints, created, last used, expires) and --json the Token array', async () => {
      const used = await createJson(fresh('listed'), '--expires', '3d');
      const unused = await createJson(fresh('listed'));
      assert.strictEqual(await invokeStatus(used.secret), 200);

      const table = await cli(['tokens', 'list', '--search', 'listed']);
      assert.strictEqual(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^NAME +KEY +ENDPOINTS +CREATED +LAST USED +EXPIRES$/);
      assert.strictEqual(lines.length, 3);
      const today = new Date().toISOString().slice(0, 10);
      assert.match(lines[1], new RegExp(`^${unused.token.name} +${unused.token.maskedKey} +chat +${today} +never +\\d{4}-\\d{2}-\\d{2} \\(in 30 days\\)$`));
      assert.match(lines[2], new RegExp(`^${used.token.name} +${used.token.maskedKey} +chat +${today} +just now +\\d{4}-\\d{2}-\\d{2} \\(in 3 days\\)$`));
      assert.ok(!table.stdout.includes(used.secret));

      const json = await cli(['tokens', 'list', '--json', '--search', 'listed']);
      assert.strictEqual(json.code, 0, json.stderr);
      const tokens: Token[] = JSON.parse(json.stdout);
      assert.deepStrictEqual(tokens.map((token) => token.id), [unused.token.id, used.token.id]);
      assert.deepStrictEqual({ ...tokens[1], lastUsedAt: null }, { ...used.token, lastUsedAt: null });
      assert.ok(tokens[1].lastUsedAt !== null);
    });

    it('pages through the hub: every token of a workspace with more than one page', async () => {
      const bulk = await hub.init('bulk', ['chat']);
      const bulkApi = new HubClient({ baseUrl: hub.url, accountKey: bulk.accountKey });
      for (let i = 0; i < 205; i++) await bulkApi.createToken({ name: `bulk-${i}`, endpoints: ['chat'] });
      const bulkEnv = { TOKENHUB_ACCOUNT_KEY: bulk.accountKey };
      const json = await cli(['tokens', 'list', '--json'], undefined, bulkEnv);
      assert.strictEqual(json.code, 0, json.stderr);
      const names = (JSON.parse(json.stdout) as Token[]).map((token) => token.name);
      assert.strictEqual(names.length, 205);
      assert.strictEqual(new Set(names).size, 205);
      const table = await cli(['tokens', 'list'], undefined, bulkEnv);
      assert.strictEqual(table.stdout.trimEnd().split('\n').length, 206);
    });

    it('says so when there is nothing, and --json prints []', async () => {
      const none = await cli(['tokens', 'list', '--search', 'no-such-token-anywhere']);
      assert.strictEqual(none.code, 0);
      assert.strictEqual(none.stdout, 'No tokens match "no-such-token-anywhere".\n');
      const json = await cli(['tokens', 'list', '--json', '--search', 'no-such-token-anywhere']);
      assert.deepStrictEqual(JSON.parse(json.stdout), []);
    });
  });

  describe('delete', () => {
    it('refuses without --yes when stdin is not a terminal (exit 2), saying to add --yes; the token stays', async () => {
      const { token, secret } = await createJson(fresh('keep'));
      const result = await cli(['tokens', 'delete', token.name]);
      assert.strictEqual(result.code, 2);
      assert.match(result.stderr, /Standard input is not a terminal, so no one can confirm; add --yes to delete from a script\./);
      assert.strictEqual(await invokeStatus(secret), 200);
      assert.strictEqual((await api.getToken(token.id)).id, token.id);
    });

    it('--yes deletes by name or by id; the secret gets 401 at once; a missing token exits 4', async () => {
      const byName = await createJson(fresh('gone'));
      const byId = await createJson(fresh('gone'));
      const first = await cli(['tokens', 'delete', byName.token.name, '--yes']);
      assert.strictEqual(first.code, 0, first.stderr);
      assert.strictEqual(first.stdout, `Deleted token "${byName.token.name}" (${byName.token.id}).\n`);
      assert.strictEqual((await cli(['tokens', 'delete', byId.token.id, '-y'])).code, 0);
      assert.strictEqual(await invokeStatus(byName.secret), 401);
      assert.strictEqual(await invokeStatus(byId.secret), 401);

      const missingName = await cli(['tokens', 'delete', byName.token.name, '--yes']);
      assert.strictEqual(missingName.code, 4);
      assert.match(missingName.stderr, new RegExp(`There is no token named "${byName.token.name}" in this workspace`));
      const missingId = await cli(['tokens', 'delete', byId.token.id, '--yes']);
      assert.strictEqual(missingId.code, 4);
      assert.match(missingId.stderr, new RegExp(`There is no token with id ${byId.token.id} in this workspace\\.`));
    });

    it('matches the exact name, not a name that merely contains it', async () => {
      const long = await createJson(fresh('prefix-match-long'));
      const result = await cli(['tokens', 'delete', long.token.name.replace('-long', ''), '--yes']);
      assert.strictEqual(result.code, 4);
      assert.strictEqual(await invokeStatus(long.secret), 200);
    });

    it('on a terminal asks y/N: "n" keeps the token (exit 2), "y" deletes it', async function () {
      if (!hasScript) this.skip();
      const { token, secret } = await createJson(fresh('asked'));
      const question = new RegExp(`Delete token "${token.name}" \\(${token.id}, ${token.maskedKey.replace('…', '.')}\\)\\? .*\\[y/N\\] `);
      const no = await runInTerminal(['tokens', 'delete', token.name], [{ expect: question, send: 'n\r' }], { env });
      assert.strictEqual(no.code, 2, no.transcript);
      assert.match(no.transcript, /Cancelled; nothing was changed\./);
      assert.strictEqual(await invokeStatus(secret), 200);
      const yes = await runInTerminal(['tokens', 'delete', token.name], [{ expect: question, send: 'y\r' }], { env });
      assert.strictEqual(yes.code, 0, yes.transcript);
      assert.strictEqual(await invokeStatus(secret), 401);
    });
  });

  describe('rotate', () => {
    it('prints the new secret once; the old one gets 401 at once, the new one works; same id', async () => {
      const { token, secret } = await createJson(fresh('rot'));
      const result = await cli(['tokens', 'rotate', token.name, '--yes']);
      assert.strictEqual(result.code, 0, result.stderr);
      const next = result.stdout.trimEnd();
      assert.ok(isValidToken(next, ACCESS_TOKEN_PREFIX) && next !== secret);
      assert.match(result.stderr, new RegExp(`Rotated token "${token.name}" \\(${token.id}, ${maskToken(next).replace('…', '.')}\\).*only time its secret is shown`));
      assert.strictEqual(await invokeStatus(secret), 401);
      assert.strictEqual(await invokeStatus(next), 200);
    });

    it('--grace 1h keeps the old secret working; --json prints {token, secret}', async () => {
      const { token, secret } = await createJson(fresh('rot-grace'));
      const result = await cli(['tokens', 'rotate', token.id, '--yes', '--grace', '1h', '--json']);
      assert.strictEqual(result.code, 0, result.stderr);
      const rotated = JSON.parse(result.stdout);
      assert.strictEqual(rotated.token.id, token.id);
      assert.strictEqual(rotated.token.maskedKey, maskToken(rotated.secret));
      assert.strictEqual(await invokeStatus(secret), 200);
      assert.strictEqual(await invokeStatus(rotated.secret), 200);
    });

    it('--dotenv writes the new secret into the file (replacing the variable) and does not print it', async () => {
      const file = path.join(ctx.dir, 'rotate.env');
      const name = fresh('rot-env');
      assert.strictEqual((await cli(['tokens', 'create', '--name', name, '--endpoint', 'chat', '--dotenv', file])).code, 0);
      const before = dotenvParse(fs.readFileSync(file, 'utf8')).TOKENHUB_TOKEN;
      const result = await cli(['tokens', 'rotate', name, '--yes', '--dotenv', file]);
      assert.strictEqual(result.code, 0, result.stderr);
      const after = dotenvParse(fs.readFileSync(file, 'utf8')).TOKENHUB_TOKEN;
      assert.ok(isValidToken(after, ACCESS_TOKEN_PREFIX) && after !== before);
      assert.ok(!result.stdout.includes(after) && !result.stderr.includes(after));
      assert.match(result.stdout, /Replaced TOKENHUB_TOKEN in .*rotate\.env, line 1\./);
      assert.strictEqual(await invokeStatus(before), 401);
      assert.strictEqual(await invokeStatus(after), 200);
    });

    it('refuses without --yes off a terminal (2), a bad --grace (2), a missing token (4), nothing rotated', async () => {
      const { token, secret } = await createJson(fresh('rot-refused'));
      const noYes = await cli(['tokens', 'rotate', token.name]);
      assert.strictEqual(noYes.code, 2);
      assert.match(noYes.stderr, /add --yes to rotate from a script/);
      for (const grace of ['2d', '-1', '86401', '25h', 'soon']) {
        const bad = await cli(['tokens', 'rotate', token.name, '--yes', `--grace=${grace}`]);
        assert.strictEqual(bad.code, 2, grace);
        assert.match(bad.stderr, /--grace ".*": give 0, a number of seconds, or a time such as 30m or 1h, at most 24h\./);
      }
      assert.strictEqual(await invokeStatus(secret), 200);
      assert.strictEqual((await cli(['tokens', 'rotate', 'no-such-token', '--yes'])).code, 4);
      assert.strictEqual((await cli(['tokens', 'rotate', 'tok_0000000000000000', '--yes'])).code, 4);
    });
  });

  describe('usage', () => {
    it('--help on every command exits 0 and documents the exit codes', async () => {
      for (const args of [['login'], ['logout'], ['whoami'], ['tokens', 'list'], ['tokens', 'create'], ['tokens', 'delete'], ['tokens', 'rotate'], ['env', 'set']]) {
        const result = await cli([...args, '--help']);
        assert.strictEqual(result.code, 0, args.join(' '));
        assert.match(result.stdout, new RegExp(`^Usage: tokenhub ${args.join(' ')}`));
        assert.match(result.stdout, /Exit codes:\n {2}0 {2}ok\n {2}1 .*\n {2}2 {2}usage error.*\n {2}3 .*\n {2}4 .*\n {2}5 /);
      }
      for (const group of ['tokens', 'env']) {
        const result = await cli([group, '--help']);
        assert.strictEqual(result.code, 0);
        assert.match(result.stdout, new RegExp(`^Usage: tokenhub ${group} <command>`));
      }
      const top = await cli(['--help']);
      assert.strictEqual(top.code, 0);
      for (const name of ['login', 'logout', 'whoami', 'tokens', 'env']) assert.match(top.stdout, new RegExp(`\\n  ${name} +\\S`));
    });

    it('unknown options, commands and missing arguments exit 2 with one sentence', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['tokens', 'list', '--bogus'], /^tokenhub tokens list: Unknown option '--bogus'\.\n/],
        [['tokens', 'frobnicate'], /^tokenhub tokens: unknown command "frobnicate"\./],
        [['tokens'], /^tokenhub tokens: a command is missing\./],
        [['tokens', 'delete', '--yes'], /^tokenhub tokens delete: Name the token: its name or its id \(tok_…\)\./],
        [['tokens', 'delete', 'a', 'b', '--yes'], /^tokenhub tokens delete: Unexpected argument "b"\./],
        [['whoami', 'extra'], /^tokenhub whoami: Unexpected argument "extra"\./],
      ];
      for (const [args, message] of cases) {
        const result = await cli(args);
        assert.strictEqual(result.code, 2, args.join(' '));
        assert.match(result.stderr, message);
      }
    });

    it('a hub that is not running exits 1 with one sentence and no key', async () => {
      const result = await cli(['tokens', 'list'], undefined, { TOKENHUB_URL: `http://127.0.0.1:${await freePort()}` });
      assert.strictEqual(result.code, 1);
      assert.match(result.stderr, /^tokenhub tokens list: Cannot reach the hub at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\. Check that it is running, then retry\.\n$/);
      assert.ok(!result.stderr.includes(acme.accountKey));
    });
  });
});
