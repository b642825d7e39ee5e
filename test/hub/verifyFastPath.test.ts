// POST /v1/verify has two ways through the hub: plain JSON bodies with a service key are answered straight from
// node:http (src/hub/fastVerify.ts), everything else by the fastify route (with the body the fast path read
// replayed to it), which app.inject also reaches. Every case is asked both ways, over real HTTP and through
// app.inject, and must get the same status, headers and bytes; fastify's diagnostics channel shows which way each
// request took.
import assert from 'assert';
import diagnostics from 'diagnostics_channel';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX, generateToken, maskToken } from '../../src/core/token';
import { buildHub, type Hub } from '../../src/hub/app';
import { makeDigester, newId } from '../../src/hub/digest';
import { StoreUnavailableError } from '../../src/hub/errors';
import type { Store, TokenAuthRecord } from '../../src/hub/store';
import { SqliteStore } from '../../src/hub/stores/sqlite';
import { overHttp, pick, type Answer } from '../support/answers';

const VERIFY = '/v1/verify';
const JSON_TYPE = 'application/json; charset=utf-8';

describe('verify: the node:http fast path answers exactly as the fastify route', function () {
  this.timeout(30_000);
  let dir: string;
  let sqlite: SqliteStore;
  let hub: Hub;
  let port: number;
  let offset = 0;
  /** What the next authenticateToken does instead of asking SQLite. */
  let fault: 'none' | 'unavailable' | 'bug' | 'async' | 'async-unavailable' = 'none';
  /** authenticateServiceKey answers asynchronously, as PostgreSQL does. */
  let asyncKeys = false;
  const now = () => Date.now() + offset;
  const digest = makeDigester(undefined);
  let workspaceId: string;
  let serviceKey: string;
  const throughFastify: string[] = [];
  const channel = diagnostics.tracingChannel('fastify.request.handler');
  const onStart = (message: unknown) => {
    const request = (message as { request?: { url?: string } }).request;
    if (request?.url) throughFastify.push(request.url);
  };
  const subscribers = { start: onStart, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };

  async function newToken(endpoints: string[], expiresInMs = 3_600_000): Promise<{ id: string; secret: string }> {
    const secret = generateToken(ACCESS_TOKEN_PREFIX);
    const id = newId('tok_');
    const created = now();
    const result = await sqlite.createToken({
      id,
      workspaceId,
      name: `t-${id.slice(4).toLowerCase()}`,
      maskedKey: maskToken(secret),
      endpoints,
      digest: digest(secret),
      createdAt: created,
      expiresAt: created + expiresInMs,
    });
    assert.strictEqual(result.kind, 'created');
    return { id, secret };
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-verifyfast-'));
    sqlite = new SqliteStore(path.join(dir, 'hub.db'));
    await sqlite.migrate();
    ({ workspace: { id: workspaceId } } = await sqlite.ensureWorkspace('acme', newId('ws_'), undefined, Date.now()));
    await sqlite.upsertEndpoint(workspaceId, { id: 'chat-completions', name: 'Chat', description: '' }, Date.now());
    serviceKey = generateToken(SERVICE_KEY_PREFIX);
    await sqlite.createServiceKey(newId('sk_'), digest(serviceKey), maskToken(serviceKey), Date.now());
    // The store as the hub sees it, with faults on demand on the token lookup.
    const store = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (property === 'authenticateServiceKey') {
          return (d: Buffer) => (asyncKeys ? Promise.resolve(target.authenticateServiceKey(d)) : target.authenticateServiceKey(d));
        }
        if (property !== 'authenticateToken') return Reflect.get(target, property, receiver);
        return (d: Buffer): TokenAuthRecord | null | Promise<TokenAuthRecord | null> => {
          switch (fault) {
            case 'unavailable':
              throw new StoreUnavailableError('SQLite: database is locked');
            case 'bug':
              throw new TypeError('something broke');
            case 'async':
              return Promise.resolve(target.authenticateToken(d));
            case 'async-unavailable':
              return Promise.reject(new StoreUnavailableError('PostgreSQL: connection refused'));
            default:
              return target.authenticateToken(d);
          }
        };
      },
    }) as Store;
    hub = await buildHub({ store, now, logger: false, authFailureLimit: 3, authFailureWindowSeconds: 60 });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    port = (hub.app.server.address() as { port: number }).port;
    channel.subscribe(subscribers);
  });

  after(async () => {
    channel.unsubscribe(subscribers);
    await hub?.close();
    await sqlite?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    hub.limiter.evict(Number.MAX_SAFE_INTEGER); // a fresh window for every case
    fault = 'none';
    asyncKeys = false;
    offset = 0;
  });

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
    offset = 120_000;
    expectVerdict(await both({ token: expired.secret, endpoint: 'chat-completions' }, { fast: true }), { valid: false, reason: 'expired' });
  });

  it('the same through the asynchronous store path (as PostgreSQL answers), and 503 or 500 when the store fails', async () => {
    const token = await newToken(['chat-completions']);
    asyncKeys = true;
    fault = 'async';
    assert.strictEqual(JSON.parse((await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true })).body).valid, true);
    expectVerdict(await both({ token: token.secret, endpoint: 'embeddings' }, { fast: true }), { valid: false, reason: 'forbidden' });
    for (const kind of ['unavailable', 'async-unavailable'] as const) {
      fault = kind;
      const answer = await both({ token: token.secret, endpoint: 'chat-completions' }, { fast: true });
      expectError(answer, 503, 'service_unavailable');
      assert.strictEqual(answer.headers['retry-after'], '5');
    }
    fault = 'bug';
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
    asyncKeys = true;
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
