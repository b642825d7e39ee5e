// POST /v1/tokens/lookup beyond the contract suite (test/hub/contract.ts covers its answers on both stores): its
// per-account-key limit, that its 404s never count as failed authentications, that no secret it is sent reaches
// the hub's output, and the HubClient calls for it (lookupToken, listTokens with maskedKey), over real HTTP.
import assert from 'assert';
import { HubClient, HubRequestError } from '../../src/api/client';
import type { Token, TokenWithSecret } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, generateToken, maskCandidates } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { call, client, expectError, sleep } from './helpers';

type Workspace = { workspaceId: string; accountKey: string };

const lookup = (hub: HubProcess, key: string, secret: unknown) => call<Token>(hub.url, 'POST', '/v1/tokens/lookup', { key, json: { secret } });

async function createToken(hub: HubProcess, key: string, name: string): Promise<TokenWithSecret> {
  const res = await client(hub.url, key).post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] });
  assert.strictEqual(res.status, 201, res.text);
  return res.body;
}

describe('token lookups: limited per account key, never failed authentications', function () {
  this.timeout(60_000);

  describe('lookups that find nothing', () => {
    let hub: HubProcess;
    let ws: Workspace;
    let live: TokenWithSecret;
    const sent: string[] = [];

    before(async () => {
      // Three failed authentications from one address, and it gets 429.
      hub = await startHub({ args: ['--auth-failure-limit', '3', '--auth-failure-window', '60', '--log-level', 'debug'] });
      ws = await hub.init('scanner', ['chat-completions']);
      live = await createToken(hub, ws.accountKey, 'live');
    });
    after(() => hub?.stop());

    it('200 lookups of dead, junk and unknown secrets are 404s, and the same address still authenticates', async () => {
      const dead = await createToken(hub, ws.accountKey, 'dead');
      assert.strictEqual((await client(hub.url, ws.accountKey).del(`/v1/tokens/${dead.token.id}`)).status, 204);
      for (let i = 0; i < 200; i++) {
        const secret = i === 0 ? dead.secret : i % 3 === 0 ? `thub_junk${i}` : generateToken(ACCESS_TOKEN_PREFIX);
        sent.push(secret);
        expectError(await lookup(hub, ws.accountKey, secret), 404, 'not_found');
      }
      // Far more than 3 misses, and nothing is limited: not the account key, not a token, not the address.
      assert.strictEqual((await client(hub.url, ws.accountKey).get('/v1/workspace')).status, 200);
      assert.strictEqual((await client(hub.url).invoke('chat-completions', live.secret)).status, 200);
      assert.strictEqual((await lookup(hub, ws.accountKey, live.secret)).status, 200);
    });

    it('while the failed-authentication limit still works for real failures from that address', async () => {
      // The counter was at 0 after the lookups: three real failures are answered 401, the fourth request 429.
      for (let i = 0; i < 3; i++) expectError(await client(hub.url).invoke('chat-completions', generateToken(ACCESS_TOKEN_PREFIX)), 401, 'unauthorized');
      expectError(await client(hub.url).invoke('chat-completions', generateToken(ACCESS_TOKEN_PREFIX)), 429, 'rate_limited');
    });

    it('no secret sent for lookup reaches the hub output, at debug level', async () => {
      await sleep(100);
      const output = hub.output();
      assert.match(output, /"route":"\/v1\/tokens\/lookup"/, 'the lookups were logged, without their bodies');
      for (const secret of [...sent, live.secret]) {
        if (secret.length > 20) assert.ok(!output.includes(secret.slice(5, -4)), 'a secret sent for lookup is in the hub output');
      }
    });
  });

  describe('the per-account-key budget', () => {
    let hub: HubProcess;
    let ws: Workspace;
    let other: Workspace;
    let secondKey: string;
    let live: TokenWithSecret;

    before(async () => {
      hub = await startHub({ args: ['--lookup-burst', '5', '--lookups-per-second', '1', '--auth-failure-limit', '3'] });
      ws = await hub.init('budget', ['chat-completions']);
      other = await hub.init('budget-other', ['chat-completions']);
      const created = await hub.cli(['account-key', 'create', '--workspace', 'budget']);
      assert.strictEqual(created.code, 0, created.stderr);
      secondKey = JSON.parse(created.stdout).accountKey;
      live = await createToken(hub, ws.accountKey, 'live');
    });
    after(() => hub?.stop());

    it('after the burst a key gets 429 rate_limited with Retry-After; other keys, other calls and the address are unaffected', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await lookup(hub, ws.accountKey, i % 2 === 0 ? live.secret : generateToken(ACCESS_TOKEN_PREFIX));
        assert.strictEqual(res.status, i % 2 === 0 ? 200 : 404, res.text);
      }
      const limited = await lookup(hub, ws.accountKey, live.secret);
      const error = expectError(limited, 429, 'rate_limited');
      assert.match(error.message, /lookups with this account key/);
      assert.ok(!limited.text.includes(live.secret.slice(5, -4)));
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After ${limited.headers.get('retry-after')}`);

      // Another key of the same workspace, and a key of another workspace, have their own budgets.
      assert.strictEqual((await lookup(hub, secondKey, live.secret)).status, 200);
      expectError(await lookup(hub, other.accountKey, live.secret), 404, 'not_found');
      // The limited key still manages tokens; the address is not blocked (these 429s are no failed authentications).
      for (let i = 0; i < 5; i++) expectError(await lookup(hub, ws.accountKey, live.secret), 429, 'rate_limited');
      assert.strictEqual((await client(hub.url, ws.accountKey).get('/v1/tokens')).status, 200);
      assert.strictEqual((await client(hub.url).invoke('chat-completions', live.secret)).status, 200);

      // The bucket refills at one lookup a second.
      await sleep(retryAfter * 1000 + 100);
      assert.strictEqual((await lookup(hub, ws.accountKey, live.secret)).status, 200);
      expectError(await lookup(hub, ws.accountKey, live.secret), 429, 'rate_limited');
    });

    it('HubClient.lookupToken: a 429 is a HubRequestError that says why and when to retry', async () => {
      const api = new HubClient({ baseUrl: hub.url, accountKey: ws.accountKey });
      await assert.rejects(api.lookupToken(live.secret), (error: unknown) => {
        assert.ok(error instanceof HubRequestError);
        assert.strictEqual(error.status, 429);
        assert.strictEqual(error.code, 'rate_limited');
        assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 1);
        assert.match(error.message, /too many token lookups with this account key\. Try again in \d+ seconds\./);
        assert.ok(!error.message.includes(live.secret.slice(5, -4)));
        return true;
      });
    });
  });

  describe('HubClient', () => {
    let hub: HubProcess;
    let ws: Workspace;
    let other: Workspace;

    before(async () => {
      hub = await startHub();
      ws = await hub.init('client', ['chat-completions']);
      other = await hub.init('client-other', ['chat-completions']);
    });
    after(() => hub?.stop());

    it('lookupToken: the token for its secret, undefined for any other', async () => {
      const api = new HubClient({ baseUrl: hub.url, accountKey: ws.accountKey });
      const { token, secret } = await createToken(hub, ws.accountKey, 'mine');
      const theirs = await createToken(hub, other.accountKey, 'theirs');
      assert.deepStrictEqual(await api.lookupToken(secret), token);
      assert.strictEqual(await api.lookupToken(theirs.secret), undefined);
      assert.strictEqual(await api.lookupToken(generateToken(ACCESS_TOKEN_PREFIX)), undefined);
      assert.strictEqual(await api.lookupToken('not a token'), undefined);
      await api.deleteToken(token.id);
      assert.strictEqual(await api.lookupToken(secret), undefined);
    });

    it('lookupToken: a refused account key still throws', async () => {
      const api = new HubClient({ baseUrl: hub.url, accountKey: generateToken('thak_') });
      await assert.rejects(api.lookupToken(generateToken(ACCESS_TOKEN_PREFIX)), (error: unknown) => error instanceof HubRequestError && error.status === 401);
    });

    it('listTokens with maskedKey: the tokens with one of the secret’s masks, so it is sent only where it may belong', async () => {
      const api = new HubClient({ baseUrl: hub.url, accountKey: ws.accountKey });
      const { token, secret } = await createToken(hub, ws.accountKey, 'masked');
      await createToken(hub, ws.accountKey, 'unrelated');
      const found: Token[] = [];
      for (const maskedKey of maskCandidates(secret)) found.push(...(await api.listTokens({ maskedKey })).data);
      assert.deepStrictEqual(found, [token]);
      const elsewhere = new HubClient({ baseUrl: hub.url, accountKey: other.accountKey });
      for (const maskedKey of maskCandidates(secret)) assert.deepStrictEqual((await elsewhere.listTokens({ maskedKey })).data, []);
    });
  });
});
