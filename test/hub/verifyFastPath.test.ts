// POST /v1/verify has two ways through the hub: plain JSON bodies with a service key are answered straight from
// node:http (src/hub/fastVerify.ts), everything else by the fastify route (with the body the fast path read
// replayed to it), which app.inject also reaches. Every case is asked both ways, over real HTTP and through
// app.inject, and must get the same status, headers and bytes; fastify's diagnostics channel shows which way each
// request took.
import assert from 'assert';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX, generateToken } from '../../src/core/token';
import type { Hub } from '../../src/hub/app';
import type { SqliteStore } from '../../src/hub/stores/sqlite';
import { overHttp, pick, type Answer } from '../support/answers';
import { FastPathHub } from '../support/fastPathHub';

const VERIFY = '/v1/verify';
const JSON_TYPE = 'application/json; charset=utf-8';

describe('verify: the node:http fast path answers exactly as the fastify route', function () {
  this.timeout(30_000);
  const fixture = new FastPathHub();
  let hub: Hub;
  let port: number;
  let sqlite: SqliteStore;
  let workspaceId: string;
  let serviceKey: string;
  const { digest, throughFastify } = fixture;
  const newToken = (endpoints: string[], expiresInMs?: number) => fixture.newToken(endpoints, expiresInMs);

  before(async () => {
    await fixture.start();
    ({ hub, port, sqlite, workspaceId, serviceKey } = fixture);
  });
  after(() => fixture.close());
  beforeEach(() => fixture.reset());

  /**
   * Sends `body` (a string as it is, anything else as JSON) both ways; asserts they agree and, when `fast` is
   * given, which way the real request went (fastify publishes on its channel when a route handler runs; not for
   * answers its hooks, router or body parser give themselves).
   */
  async function both(
    body: unknown,
    options: { headers?: Record<string, string>; key?: string | null; fast?: boolean } = {},
  ): Promise<Answer> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const key = options.key === undefined ? serviceKey : options.key;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...options.headers,
    };
    throughFastify.length = 0;
    const real = await overHttp(port, VERIFY, headers, payload);
    const viaFastify = throughFastify.includes(VERIFY);
    throughFastify.length = 0;
    const injected = await hub.app.inject({ method: 'POST', url: VERIFY, headers, payload });
    const inject: Answer = { status: injected.statusCode, headers: pick(injected.headers), body: injected.body };
    assert.deepStrictEqual(real, inject, `${payload.slice(0, 80)}: real HTTP and app.inject differ`);
    if (options.fast !== undefined) {
      assert.strictEqual(viaFastify, !options.fast, `${payload.slice(0, 80)} should ${options.fast ? 'not ' : ''}go through fastify's route`);
    }
    return real;
  }

  function expectVerdict(answer: Answer, verdict: Record<string, unknown>): void {
    assert.strictEqual(answer.status, 200, answer.body);
    assert.strictEqual(answer.headers['content-type'], JSON_TYPE);
    assert.deepStrictEqual(JSON.parse(answer.body), verdict);
  }

  function expectError(answer: Answer, status: number, code: string): void {
    assert.strictEqual(answer.status, status, answer.body);
    assert.strictEqual(answer.headers['content-type'], JSON_TYPE);
    assert.strictEqual(JSON.parse(answer.body).error.code, code, answer.body);
  }

  it('valid, forbidden, expired and unknown verdicts, the same bytes both ways, with or without the platform client', async () => {
    const token = await newToken(['chat-completions']);
    const record = await sqlite.authenticateToken(digest(token.secret));
    const valid = {
      valid: true,
      tokenId: token.id,
      workspaceId,
      endpoints: ['chat-completions'],
      expiresAt: new Date(record?.expiresAt as number).toISOString(),
    };
    expectVerdict(await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true }), valid);
    expectVerdict(
      await both({ token: token.secret, endpoint: 'chat-completions', clientAddress: '203.0.113.9', userAgent: 'curl/8' }, { fast: true }),
      valid,
    );
    expectVerdict(await both({ endpoint: 'chat-completions', token: token.secret }, { fast: true }), valid);
    expectVerdict(await both({ token: token.secret, endpoint: 'embeddings' }, { fast: true }), { valid: false, reason: 'forbidden' });
    expectVerdict(await both({ token: token.secret }, { fast: true }), { valid: false, reason: 'forbidden' });
    expectVerdict(await both({ token: token.secret, endpoint: 7 }, { fast: true }), { valid: false, reason: 'forbidden' });
    const unknown = { valid: false, reason: 'unknown' };
    for (const body of [{}, { token: 'thub_junk', endpoint: 'chat-completions' }, { token: generateToken(ACCESS_TOKEN_PREFIX), endpoint: 'x' }, { token: 42 }]) {
      expectVerdict(await both(body, { fast: true }), unknown);
    }
    const deleted = await newToken(['chat-completions']);
    assert.ok(await sqlite.deleteToken(workspaceId, deleted.id));
    expectVerdict(await both({ token: deleted.secret, endpoint: 'chat-completions' }, { fast: true }), unknown);
    const expired = await newToken(['chat-completions'], 60_000);
    fixture.offset = 120_000;
    expectVerdict(await both({ token: expired.secret, endpoint: 'chat-completions' }, { fast: true }), { valid: false, reason: 'expired' });
  });

  it('the same through the asynchronous store path (as PostgreSQL answers), and 503 or 500 when the store fails', async () => {
    const token = await newToken(['chat-completions']);
    fixture.asyncKeys = true;
    fixture.fault = 'async';
    assert.strictEqual(JSON.parse((await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true })).body).valid, true);
    expectVerdict(await both({ token: token.secret, endpoint: 'embeddings' }, { fast: true }), { valid: false, reason: 'forbidden' });
    for (const kind of ['unavailable', 'async-unavailable'] as const) {
      fixture.fault = kind;
      const answer = await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true });
      expectError(answer, 503, 'service_unavailable');
      assert.strictEqual(answer.headers['retry-after'], '5');
    }
    fixture.fault = 'bug';
    expectError(await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true }), 500, 'internal_error');
  });

  it('401 for any credential but a service key, 429 once an address has failed too often, while the service key still works', async () => {
    const token = await newToken(['chat-completions']);
    const body = { token: token.secret, endpoint: 'chat-completions' };
    for (const key of [null, 'thsk_junk', generateToken(SERVICE_KEY_PREFIX), generateToken(ACCOUNT_KEY_PREFIX), token.secret]) {
      hub.limiter.evict(Number.MAX_SAFE_INTEGER);
      expectError(await both(body, { key }), 401, 'unauthorized');
    }
    expectError(await both(body, { key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthorized');
    hub.limiter.evict(Number.MAX_SAFE_INTEGER);
    fixture.asyncKeys = true;
    // Three failures over real HTTP: the limit.
    const made = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) {
      assert.strictEqual((await overHttp(port, VERIFY, made(generateToken(SERVICE_KEY_PREFIX)), JSON.stringify(body))).status, 401);
    }
    const answer = await both(body, { key: generateToken(SERVICE_KEY_PREFIX) });
    expectError(answer, 429, 'rate_limited');
    assert.match(answer.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
    assert.strictEqual(JSON.parse((await both(body, { fast: true })).body).valid, true);
  });

  it('unusual bodies and headers go to fastify, with its answers', async () => {
    const token = await newToken(['chat-completions']);
    const body = { token: token.secret, endpoint: 'chat-completions' };
    const valid = (answer: Answer) => assert.strictEqual(JSON.parse(answer.body).valid, true, answer.body);
    // Taken by the route, with the body the fast path read (or did not read) replayed to it.
    valid(await both({ ...body, extra: 1 }, { fast: false }));
    valid(await both(body, { headers: { 'content-type': JSON_TYPE }, fast: false }));
    valid(await both(JSON.stringify(body).replace('chat', '\\u0063hat'), { fast: false }));
    valid(await both({ ...body, padding: 'x'.repeat(5000) }, { fast: false }));
    valid(await both(` \n${JSON.stringify(body)}\n `, { fast: true }));
    // Answered by fastify before the handler: the fast path never answers these.
    expectError(await both(JSON.stringify(body), { headers: { 'content-type': 'text/plain' } }), 400, 'bad_request');
    expectError(await both('{"token":', {}), 400, 'bad_request');
    expectError(await both('not json', {}), 400, 'bad_request');
    expectError(await both('', {}), 400, 'bad_request');
    expectError(await both('[1,2]', {}), 400, 'bad_request');
    expectError(await both('null', {}), 400, 'bad_request');
    expectError(await both('"thub_x"', {}), 400, 'bad_request');
    expectError(await both('{"__proto__":{"x":1},"token":"thub_x"}', {}), 400, 'bad_request');
    expectError(await both('{"token":"thub_x","nested":{"constructor":{"prototype":{}}}}', {}), 400, 'bad_request');
    for (const field of [{ clientAddress: 5 }, { clientAddress: '1'.repeat(65) }, { userAgent: 'u'.repeat(257) }]) {
      assert.strictEqual((await both({ ...body, ...field }, {})).status, 422);
    }
    expectError(await both({ ...body, padding: 'x'.repeat(70_000) }, {}), 400, 'bad_request');
  });
});
