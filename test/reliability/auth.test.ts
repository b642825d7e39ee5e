// Every kind of wrong credential is refused with 401, and the limiter on failed authentications is per address.
// Already in test/hub: the basic shapes (malformed, flipped character, truncated, never issued, wrong kind) in
// contract.ts "authentication of management calls" and "invoke"; an expired token and a secret past its grace there
// too; the limiter's threshold, Retry-After and window in ratelimit.test.ts. This file puts the full list a
// reviewer asks for in one table, adding what was missing: a changed prefix and a changed random part with a
// recomputed (valid) checksum, an extra character with a valid checksum, a character swapped for a look-alike, the
// credential in another header or the query string, two Authorization headers, another workspace's account key on
// this workspace's tokens, a revoked account key, a deleted token; and, for the limiter, failures of every kind
// counting towards it and one address's failures never blocking another address (127.0.0.2 vs 127.0.0.3).
import assert from 'assert';
import type { TokenWithSecret } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, checksumOf, generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { call, client, expectError } from '../hub/helpers';
import { httpRequest, rawExchange, sleep } from './support';

const AHEAD_MS = 10 * 60_000;

/** The body of a token (prefix and random part) with a correct checksum: well-formed, so it reaches the lookup. */
const rechecksum = (body: string) => body + checksumOf(body);
const randomPart = (token: string) => token.slice(5, 48);
const otherChar = (c: string) => (c === 'a' ? 'b' : 'a');

describe('reliability: every wrong credential is refused', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let ahead: HubProcess; // same database, clock 10 minutes ahead
  let acme: { workspaceId: string; accountKey: string };
  let globex: { workspaceId: string; accountKey: string };
  let live: TokenWithSecret;

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '1000000'] });
    acme = await hub.init('acme', ['chat-completions']);
    globex = await hub.init('globex', ['chat-completions', 'billing']);
    ahead = await startHub({ db: hub.db, args: ['--auth-failure-limit', '1000000'], env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(AHEAD_MS) } });
    live = await create(acme.accountKey, 'live');
  });
  after(async () => {
    await ahead?.stop();
    await hub?.stop();
  });

  async function create(key: string, name: string, extra: Record<string, unknown> = {}): Promise<TokenWithSecret> {
    const res = await client(hub.url, key).post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'], ...extra });
    assert.strictEqual(res.status, 201, res.text);
    return res.body;
  }

  it('access tokens: 401 for every variant of a real one, and for tokens that were real', async () => {
    const secret = live.secret;
    assert.strictEqual((await client(hub.url).invoke('chat-completions', secret)).status, 200, 'control: the real one works');
    const deleted = await create(acme.accountKey, 'deleted');
    assert.strictEqual((await client(hub.url, acme.accountKey).del(`/v1/tokens/${deleted.token.id}`)).status, 204);
    const expiring = await create(acme.accountKey, 'expiring', { expiresAt: new Date(Date.now() + 2 * 60_000).toISOString() });
    const rotated = await create(acme.accountKey, 'rotated');
    const rotation = await client(hub.url, acme.accountKey).post<TokenWithSecret>(`/v1/tokens/${rotated.token.id}/rotate`, { graceSeconds: 60 });
    assert.strictEqual(rotation.status, 201);
    assert.strictEqual((await client(hub.url).invoke('chat-completions', rotated.secret)).status, 200, 'control: within its grace');
    assert.strictEqual((await client(ahead.url).invoke('chat-completions', live.secret)).status, 200, 'control: the clock ahead accepts a live token');

    const random = randomPart(secret);
    const variants: Array<[string, string, string?]> = [
      ['wrong checksum (last character changed)', secret.slice(0, -1) + otherChar(secret.at(-1)!)],
      ['truncated by one character', secret.slice(0, -1)],
      ['one extra character', `${secret}a`],
      ['one extra character, checksum recomputed', rechecksum(`thub_${random}a`)],
      ['random part changed at the end, checksum recomputed', rechecksum(`thub_${random.slice(0, -3)}${random.slice(-3).split('').map(otherChar).join('')}`)],
      ['random part changed at the start, checksum recomputed', rechecksum(`thub_${otherChar(random[0])}${random.slice(1)}`)],
      ['account-key prefix on the same random part, checksum recomputed', rechecksum(`thak_${random}`)],
      ['upper-case prefix', `THUB_${secret.slice(5)}`],
      ['another separator', `thub-${secret.slice(5)}`],
      ['no prefix', secret.slice(5)],
      // At a fixed place in the random part: replacing a Latin "a" would do nothing to a secret that has none.
      ['a look-alike character (Cyrillic а)', `${secret.slice(0, 10)}\u0430${secret.slice(11)}`],
      ['a zero-width space inside', `${secret.slice(0, 20)}\u200b${secret.slice(20)}`],
      ['well-formed, never issued', generateToken(ACCESS_TOKEN_PREFIX)],
      ['the account key used as an access token', acme.accountKey],
      ['a deleted token', deleted.secret],
      ['a rotated-out secret after its grace (10 minutes later)', rotated.secret, 'ahead'],
      ['an expired token (10 minutes later)', expiring.secret, 'ahead'],
    ];
    for (const [label, candidate, where] of variants) {
      // Raw bytes on the wire (UTF-8), since HTTP clients refuse to send some of these header values at all.
      const request = Buffer.from(
        `POST /v1/endpoints/chat-completions/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${candidate}\r\nConnection: close\r\n\r\n`,
        'utf8',
      );
      const res = await rawExchange(where === 'ahead' ? ahead.port : hub.port, request);
      assert.strictEqual(res.status, 401, `${label}: ${res.raw}`);
    }
    // Elsewhere than the Authorization header, the real secret counts for nothing.
    for (const [label, path, headers] of [
      ['in X-Api-Key', '/v1/endpoints/chat-completions/invoke', { 'x-api-key': secret }],
      ['in the query string', `/v1/endpoints/chat-completions/invoke?token=${secret}&access_token=${secret}`, {}],
      ['as Basic credentials', '/v1/endpoints/chat-completions/invoke', { authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}` }],
      ['beside another token in the same header', '/v1/endpoints/chat-completions/invoke', { authorization: `Bearer ${generateToken(ACCESS_TOKEN_PREFIX)}, Bearer ${secret}` }],
    ] as Array<[string, string, Record<string, string>]>) {
      const res = await call(hub.url, 'POST', path, { headers });
      assert.strictEqual(res.status, 401, `${label}: ${res.status}`);
    }
    // Two Authorization headers on the wire: the hub reads the first only, so a wrong first one is refused.
    const doubled = await httpRequest(hub.url, 'POST', '/v1/endpoints/chat-completions/invoke', {
      headers: { authorization: [`Bearer ${generateToken(ACCESS_TOKEN_PREFIX)}`, `Bearer ${secret}`] as unknown as string },
    });
    assert.strictEqual(doubled.status, 401);
  });

  it('account keys: 401 for every variant, for an access token, and for a revoked key', async () => {
    const key = acme.accountKey;
    assert.strictEqual((await call(hub.url, 'GET', '/v1/workspace', { key })).status, 200, 'control');
    const extra = await hub.cli(['account-key', 'create', '--workspace', 'acme']);
    const { accountKey: revokedKey, accountKeyId } = JSON.parse(extra.stdout);
    assert.strictEqual((await call(hub.url, 'GET', '/v1/workspace', { key: revokedKey })).status, 200);
    assert.strictEqual((await hub.cli(['account-key', 'revoke', '--id', accountKeyId])).code, 0);
    const random = randomPart(key);
    const variants: Array<[string, string]> = [
      ['wrong checksum', key.slice(0, -1) + otherChar(key.at(-1)!)],
      ['truncated', key.slice(0, -1)],
      ['one extra character', `${key}a`],
      ['random part changed, checksum recomputed', rechecksum(`thak_${otherChar(random[0])}${random.slice(1)}`)],
      ['access-token prefix on the same random part, checksum recomputed', rechecksum(`thub_${random}`)],
      ['upper-case prefix', `THAK_${key.slice(5)}`],
      ['well-formed, never issued', generateToken(ACCOUNT_KEY_PREFIX)],
      ['an access token used as an account key', live.secret],
      ['a revoked account key', revokedKey],
    ];
    for (const [label, candidate] of variants) {
      for (const [method, path] of [['GET', '/v1/workspace'], ['GET', '/v1/tokens'], ['DELETE', `/v1/tokens/${live.token.id}`], ['POST', `/v1/tokens/${live.token.id}/rotate`]]) {
        const res = await call(hub.url, method, path, { key: candidate });
        assert.strictEqual(res.status, 401, `${label} on ${method} ${path}: ${res.status} ${res.text}`);
      }
    }
    assert.strictEqual((await client(hub.url).invoke('chat-completions', live.secret)).status, 200, 'nothing was rotated or deleted');
  });

  it("another workspace's account key sees nothing of this workspace: 404, and changes nothing", async () => {
    const theirs = client(hub.url, globex.accountKey);
    expectError(await theirs.get(`/v1/tokens/${live.token.id}`), 404, 'not_found');
    expectError(await theirs.post(`/v1/tokens/${live.token.id}/rotate`, {}), 404, 'not_found');
    expectError(await theirs.del(`/v1/tokens/${live.token.id}`), 404, 'not_found');
    const listed = await theirs.get(`/v1/tokens?search=live`);
    assert.deepStrictEqual(listed.body.data, []);
    assert.strictEqual((await client(hub.url).invoke('chat-completions', live.secret)).status, 200, 'still the same secret, still live');
    // And their token cannot call an endpoint only they have through our workspace, nor ours through theirs.
    const theirToken = await create(globex.accountKey, 'theirs');
    assert.strictEqual((await client(hub.url).invoke('chat-completions', theirToken.secret)).status, 200);
    expectError(await client(hub.url).invoke('billing', live.secret), 403, 'forbidden');
  });
});

describe('reliability: the limiter on failed authentications is per address', function () {
  this.timeout(30_000);
  let hub: HubProcess;
  let ws: { workspaceId: string; accountKey: string };

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '5', '--auth-failure-window', '2'] });
    ws = await hub.init('limited', ['chat-completions']);
  });
  after(() => hub?.stop());

  it('failures of every kind from one address block that address only, until the window ends', async () => {
    const ok = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'ok', endpoints: ['chat-completions'] })).body;
    const gone = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'gone', endpoints: ['chat-completions'] })).body;
    assert.strictEqual((await client(hub.url, ws.accountKey).del(`/v1/tokens/${gone.token.id}`)).status, 204);
    const attacker = '127.0.0.2';
    const bystander = '127.0.0.3';
    const invoke = (secret: string, localAddress: string) =>
      httpRequest(hub.url, 'POST', '/v1/endpoints/chat-completions/invoke', { key: secret, localAddress });
    // Five failures, each of another kind, from the attacker's address.
    const failures = [
      () => invoke(ok.secret.slice(0, -1) + otherChar(ok.secret.at(-1)!), attacker), // bad checksum
      () => invoke(gone.secret, attacker), // deleted
      () => invoke(generateToken(ACCESS_TOKEN_PREFIX), attacker), // unknown
      () => invoke(ws.accountKey, attacker), // wrong kind
      () => httpRequest(hub.url, 'GET', '/v1/workspace', { key: generateToken(ACCOUNT_KEY_PREFIX), localAddress: attacker }), // unknown account key
    ];
    for (const fail of failures) assert.strictEqual((await fail()).status, 401);
    const blocked = await invoke(generateToken(ACCESS_TOKEN_PREFIX), attacker);
    assert.strictEqual(blocked.status, 429, 'a further failure from the blocked address');
    assert.strictEqual(blocked.body.error.code, 'rate_limited');
    assert.strictEqual((await invoke(ok.secret, attacker)).status, 200, 'a valid token is never refused for its address');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    // Another address is not affected, for tokens and account keys alike; nor is the default loopback address.
    assert.strictEqual((await invoke(ok.secret, bystander)).status, 200);
    assert.strictEqual((await httpRequest(hub.url, 'GET', '/v1/workspace', { key: ws.accountKey, localAddress: bystander })).status, 200);
    assert.strictEqual((await client(hub.url).invoke('chat-completions', ok.secret)).status, 200);
    // Until the window ends.
    await sleep(Number(blocked.headers['retry-after']) * 1000 + 100);
    assert.strictEqual((await invoke(generateToken(ACCESS_TOKEN_PREFIX), attacker)).status, 401, 'the window ended');
  });
});
