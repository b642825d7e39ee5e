// Behind a reverse proxy every client has the proxy's address. Two defects this suite was written against (both
// failed before): 20 junk requests a minute from anyone behind the proxy locked everyone out, account keys and
// access tokens included; and the hub could not be told to take the client's address from X-Forwarded-For.
// Now a valid credential is never refused for its address (only failures get 429), and `serve --trust-proxy`
// takes the rightmost X-Forwarded-For entry that is not a trusted proxy, from trusted proxies only. Through a real
// loopback proxy process; clients are other loopback addresses (127.0.0.2, …).
import assert from 'assert';
import type { TokenWithSecret } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken } from '../../src/core/token';
import { runHubCli, startHub } from '../support/hub';
import { startLoopbackProxy } from '../support/loopbackProxy';
import { startUpstream, type UpstreamProcess } from '../support/upstream';
import { httpRequest } from '../reliability/support';
import { client } from './helpers';

const PROXY_ADDRESS = '127.0.0.9';
const ATTACKER = '127.0.0.2';
const PERSON = '127.0.0.3';
const LIMIT = 3;

describe('behind a reverse proxy: the failed-authentication limit', function () {
  this.timeout(60_000);
  let upstream: UpstreamProcess;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream?.stop());

  async function setUp(args: string[]) {
    const hub = await startHub({ args: ['--auth-failure-limit', String(LIMIT), '--auth-failure-window', '60', ...args] });
    const ws = await hub.init('proxied', ['chat-completions']);
    await hub.cli(['endpoint', 'set-upstream', '--workspace', 'proxied', '--id', 'chat-completions', upstream.url]);
    const token = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'prod', endpoints: ['chat-completions'] })).body;
    const proxy = await startLoopbackProxy(hub.url, PROXY_ADDRESS);
    return { hub, ws, token, proxy };
  }

  /**
   * A burst of failed authentications from one client (unknown account keys, junk and unknown access tokens, by
   * turns), each with `headers(i)`: the statuses, 401 until the limit, then 429.
   */
  async function junk(base: string, from: string, count: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const [method, path, key] = [
        ['GET', '/v1/workspace', generateToken(ACCOUNT_KEY_PREFIX)],
        ['POST', '/v1/endpoints/chat-completions/invoke', 'thub_junk'],
        ['POST', '/v1/endpoints/chat-completions/invoke', generateToken(ACCESS_TOKEN_PREFIX)],
      ][i % 3]!;
      statuses.push((await httpRequest(base, method!, path!, { key, localAddress: from, headers: headers(i) })).status);
    }
    return statuses;
  }

  /** What a person with valid credentials gets through the proxy: the workspace, an invoke, a gateway call. */
  async function validCalls(base: string, from: string, accountKey: string, secret: string): Promise<number[]> {
    return [
      (await httpRequest(base, 'GET', '/v1/workspace', { key: accountKey, localAddress: from })).status,
      (await httpRequest(base, 'POST', '/v1/endpoints/chat-completions/invoke', { key: secret, localAddress: from })).status,
      (await httpRequest(base, 'GET', '/v1/gateway/chat-completions/echo', { key: secret, localAddress: from })).status,
    ];
  }

  describe('without --trust-proxy', () => {
    let env: Awaited<ReturnType<typeof setUp>>;
    before(async () => {
      env = await setUp([]);
    });
    after(async () => {
      await env?.proxy.stop();
      await env?.hub.stop();
    });

    it("junk from one client behind the proxy does not lock anyone out of valid credentials, account keys included", async () => {
      const statuses = await junk(env.proxy.url, ATTACKER, 20);
      assert.deepStrictEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(401));
      assert.deepStrictEqual(new Set(statuses.slice(LIMIT)), new Set([429]), 'the junk itself is shed');
      // Everyone shares the proxy's address, which is now blocked for failures; valid credentials still work.
      assert.deepStrictEqual(await validCalls(env.proxy.url, PERSON, env.ws.accountKey, env.token.secret), [200, 200, 200]);
      assert.deepStrictEqual(await validCalls(env.proxy.url, ATTACKER, env.ws.accountKey, env.token.secret), [200, 200, 200]);
      assert.deepStrictEqual(await validCalls(env.hub.url, '127.0.0.1', env.ws.accountKey, env.token.secret), [200, 200, 200]);
    });

    it('X-Forwarded-For is ignored: a client cannot pick a fresh address for each guess', async () => {
      const statuses = await junk(env.hub.url, '127.0.0.4', LIMIT + 3, (i) => ({ 'x-forwarded-for': `10.1.1.${i}` }));
      assert.deepStrictEqual(statuses.slice(LIMIT), [429, 429, 429]);
    });
  });

  describe('with --trust-proxy', () => {
    let env: Awaited<ReturnType<typeof setUp>>;
    before(async () => {
      env = await setUp(['--trust-proxy', `${PROXY_ADDRESS},10.0.0.0/8`]);
    });
    after(async () => {
      await env?.proxy.stop();
      await env?.hub.stop();
    });

    it("each client behind the proxy is counted by its own address: one client's junk does not count against another", async () => {
      const statuses = await junk(env.proxy.url, ATTACKER, LIMIT + 3);
      assert.deepStrictEqual(statuses, [...Array(LIMIT).fill(401), 429, 429, 429]);
      // Another client behind the same proxy fails on its own count, and valid credentials work for both.
      assert.deepStrictEqual(await junk(env.proxy.url, PERSON, 1), [401]);
      assert.deepStrictEqual(await validCalls(env.proxy.url, PERSON, env.ws.accountKey, env.token.secret), [200, 200, 200]);
      assert.deepStrictEqual(await validCalls(env.proxy.url, ATTACKER, env.ws.accountKey, env.token.secret), [200, 200, 200]);
    });

    it('the rightmost entry that is not a trusted proxy counts: entries a client adds to the left change nothing', async () => {
      // The client sends a made-up chain; the proxy appends the client's real address after it.
      const statuses = await junk(env.proxy.url, '127.0.0.5', LIMIT + 2, (i) => ({ 'x-forwarded-for': `203.0.113.${i}, 10.0.0.${i}` }));
      assert.deepStrictEqual(statuses, [...Array(LIMIT).fill(401), 429, 429]);
    });

    it('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async () => {
      const statuses = await junk(env.hub.url, '127.0.0.6', LIMIT + 2, (i) => ({ 'x-forwarded-for': `198.51.100.${i}` }));
      assert.deepStrictEqual(statuses, [...Array(LIMIT).fill(401), 429, 429]);
    });
  });

  it('serve refuses a --trust-proxy entry that is not an address or a CIDR block, saying what to give', async () => {
    const res = await runHubCli(['serve', '--port', '0', '--trust-proxy', '10.0.0.0/8,proxy.local']);
    assert.strictEqual(res.code, 2, res.stderr);
    assert.match(res.stderr, /"proxy\.local" is not an IP address or a CIDR block such as 10\.0\.0\.0\/8/);
  });
});
