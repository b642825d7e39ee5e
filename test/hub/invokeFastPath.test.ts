// POST /v1/endpoints/{id}/invoke has two ways through the hub: plain requests (no body, a plain endpoint id) are
// answered straight from node:http (src/hub/fastInvoke.ts), everything else by the fastify route, which
// app.inject also reaches. Every outcome is asked both ways here, over real HTTP and through app.inject, and must
// get the same status, headers and bytes; fastify's diagnostics channel shows which way each request took.
import assert from 'assert';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken } from '../../src/core/token';
import type { Hub } from '../../src/hub/app';
import type { SqliteStore } from '../../src/hub/stores/sqlite';
import { overHttp, pick, type Answer } from '../support/answers';
import { FastPathHub } from '../support/fastPathHub';

describe('invoke: the node:http fast path answers exactly as the fastify route', function () {
  this.timeout(30_000);
  const fixture = new FastPathHub();
  let hub: Hub;
  let port: number;
  let sqlite: SqliteStore;
  let workspaceId: string;
  const { throughFastify } = fixture;
  const newToken = (endpoints: string[], expiresInMs?: number) => fixture.newToken(endpoints, expiresInMs);

  before(async () => {
    await fixture.start();
    ({ hub, port, sqlite, workspaceId } = fixture);
  });
  after(() => fixture.close());
  beforeEach(() => fixture.reset());

  /**
   * Asks both ways; asserts they agree and, when `fast` is given, which way the real request went (fastify
   * publishes on its channel when a route handler runs; not for answers its router or body parser gives itself).
   */
  async function both(
    url: string,
    headers: Record<string, string>,
    options: { body?: string; method?: string; fast?: boolean },
  ): Promise<Answer> {
    throughFastify.length = 0;
    const real = await overHttp(port, url, headers, options.body, options.method);
    const viaFastify = throughFastify.includes(url);
    throughFastify.length = 0;
    const injected = await hub.app.inject({ method: (options.method ?? 'POST') as 'POST', url, headers, payload: options.body });
    const inject: Answer = { status: injected.statusCode, headers: pick(injected.headers), body: injected.body };
    assert.deepStrictEqual(real, inject, `${url}: real HTTP and app.inject differ`);
    if (options.fast !== undefined) {
      assert.strictEqual(viaFastify, !options.fast, `${url} should ${options.fast ? 'not ' : ''}go through fastify's route`);
    }
    return real;
  }

  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
  const INVOKE = '/v1/endpoints/chat-completions/invoke';

  function expectError(answer: Answer, status: number, code: string): void {
    assert.strictEqual(answer.status, status, answer.body);
    assert.strictEqual(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.strictEqual(JSON.parse(answer.body).error.code, code, answer.body);
  }

  it('200 with the endpoint and the token id, and records the last use', async () => {
    const token = await newToken(['chat-completions']);
    const answer = await both(INVOKE, bearer(token.secret), { fast: true });
    assert.strictEqual(answer.status, 200);
    assert.strictEqual(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepStrictEqual(JSON.parse(answer.body), { endpoint: 'chat-completions', tokenId: token.id });
    assert.ok(hub.lastUsed.get(token.id) !== undefined, 'last use recorded');
  });

  it('the same through the asynchronous store path (as PostgreSQL answers)', async () => {
    const token = await newToken(['chat-completions']);
    fixture.fault = 'async';
    const answer = await both(INVOKE, bearer(token.secret), { fast: true });
    assert.deepStrictEqual(JSON.parse(answer.body), { endpoint: 'chat-completions', tokenId: token.id });
    expectError(await both('/v1/endpoints/embeddings/invoke', bearer(token.secret), { fast: true }), 403, 'forbidden');
    expectError(await both(INVOKE, bearer(generateToken(ACCESS_TOKEN_PREFIX)), { fast: true }), 401, 'unauthorized');
  });

  it('401 for a missing, malformed, unknown, account-key, expired or deleted credential', async () => {
    const token = await newToken(['chat-completions']);
    const expired = await newToken(['chat-completions'], 60_000);
    const deleted = await newToken(['chat-completions']);
    assert.ok(await sqlite.deleteToken(workspaceId, deleted.id));
    const flipped = token.secret.slice(0, 30) + (token.secret[30] === 'a' ? 'b' : 'a') + token.secret.slice(31);
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer    ' },
      { authorization: `bearer ${flipped}` },
      bearer(token.secret.slice(0, -1)),
      bearer(generateToken(ACCESS_TOKEN_PREFIX)),
      bearer(generateToken(ACCOUNT_KEY_PREFIX)),
      bearer(deleted.secret),
    ];
    for (const headers of cases) {
      hub.limiter.evict(Number.MAX_SAFE_INTEGER);
      expectError(await both(INVOKE, headers, { fast: true }), 401, 'unauthorized');
    }
    fixture.offset = 120_000;
    expectError(await both(INVOKE, bearer(expired.secret), { fast: true }), 401, 'unauthorized');
  });

  it('403 for a valid token not scoped to the endpoint, also for an endpoint that does not exist', async () => {
    const token = await newToken(['chat-completions']);
    expectError(await both('/v1/endpoints/embeddings/invoke', bearer(token.secret), { fast: true }), 403, 'forbidden');
    expectError(await both('/v1/endpoints/no.such~endpoint_/invoke', bearer(token.secret), { fast: true }), 403, 'forbidden');
  });

  it('429 with Retry-After for failures once an address has failed too often, while a valid token still works; 403s do not count', async () => {
    const token = await newToken(['chat-completions']);
    for (let i = 0; i < 5; i++) {
      assert.strictEqual((await overHttp(port, '/v1/endpoints/embeddings/invoke', bearer(token.secret))).status, 403);
    }
    assert.strictEqual((await overHttp(port, INVOKE, bearer(token.secret))).status, 200);
    // Three failures over real HTTP: the limit.
    for (let i = 0; i < 3; i++) assert.strictEqual((await overHttp(port, INVOKE, bearer(generateToken(ACCESS_TOKEN_PREFIX)))).status, 401);
    const answer = await both(INVOKE, bearer(generateToken(ACCESS_TOKEN_PREFIX)), { fast: true });
    expectError(answer, 429, 'rate_limited');
    assert.match(answer.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
    expectError(await both(INVOKE, bearer('thub_junk'), { fast: true }), 429, 'rate_limited');
    // A valid token is never refused for its address; no credential at all is not a guess.
    assert.strictEqual((await both(INVOKE, bearer(token.secret), { fast: true })).status, 200);
    expectError(await both(INVOKE, {}, { fast: true }), 401, 'unauthorized');
  });

  it('503 with Retry-After when the database cannot be reached, synchronously or not', async () => {
    const token = await newToken(['chat-completions']);
    for (const kind of ['unavailable', 'async-unavailable'] as const) {
      fixture.fault = kind;
      const answer = await both(INVOKE, bearer(token.secret), { fast: true });
      expectError(answer, 503, 'service_unavailable');
      assert.strictEqual(answer.headers['retry-after'], '5');
    }
  });

  it('500 internal_error for anything else the store throws (a bug)', async () => {
    const token = await newToken(['chat-completions']);
    fixture.fault = 'bug';
    expectError(await both(INVOKE, bearer(token.secret), { fast: true }), 500, 'internal_error');
  });

  it('requests with a body, a query, escapes or an unusual URL go through fastify, with its answers', async () => {
    const token = await newToken(['chat-completions']);
    const auth = bearer(token.secret);
    const ok = (answer: Answer) => assert.strictEqual(answer.status, 200, answer.body);
    ok(await both(INVOKE, { ...auth, 'content-type': 'application/json' }, { body: '{}', fast: false }));
    ok(await both(INVOKE, { ...auth, 'content-type': 'text/plain' }, { body: 'hello', fast: false }));
    ok(await both(INVOKE, { ...auth, 'content-length': '3' }, { body: 'abc', fast: false }));
    ok(await both(`${INVOKE}?x=1`, auth, { fast: false }));
    ok(await both('/v1/endpoints/chat%2Dcompletions/invoke', auth, { fast: false }));
    // Answered by fastify before any handler (body parser, router): the fast path never answers these codes.
    expectError(await both(INVOKE, { ...auth, 'content-type': 'application/json' }, { body: '' }), 400, 'bad_request');
    expectError(await both(INVOKE, { ...auth, 'content-type': 'application/json' }, { body: '{"a":' }), 400, 'bad_request');
    expectError(await both(`/v1/endpoints/${'a'.repeat(257)}/invoke`, auth, {}), 404, 'not_found');
    expectError(await both(`${INVOKE}/`, auth, {}), 404, 'not_found');
    expectError(await both('/v1/endpoints/a/b/invoke', auth, {}), 404, 'not_found');
    expectError(await both('/v1/endpoints/%zz/invoke', auth, {}), 400, 'bad_request');
    expectError(await both(INVOKE, auth, { method: 'GET' }), 404, 'not_found');
    expectError(await both(INVOKE, auth, { method: 'PUT' }), 404, 'not_found');
    // An empty id is not plain: fastify decides.
    assert.notStrictEqual((await both('/v1/endpoints//invoke', auth, {})).status, 200);
    // A plain 256-character id is still the fast path.
    expectError(await both(`/v1/endpoints/${'a'.repeat(256)}/invoke`, auth, { fast: true }), 403, 'forbidden');
    ok(await both(INVOKE, { ...auth, 'content-length': '0' }, { fast: true }));
  });
});
