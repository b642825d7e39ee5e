// Random requests to every route over REAL HTTP: raw bytes on a TCP socket to a hub process, so node:http's parser,
// its limits (header size, framing) and the hub's fast paths before fastify are exercised too. test/hub/fuzz.test.ts
// does the same through app.inject (fastify only, in-process). Methods, request targets (raw UTF-8, percent escapes,
// very long), query strings, headers (credentials of every kind, Content-Type, Idempotency-Key, CR/LF and raw
// bytes, huge values), framing (Content-Length, chunked, both, too short) and bodies (JSON of every shape, binary,
// deep nesting, over the body limit) are generated with fast-check. Every answer must be well-formed HTTP/1.1,
// never a 5xx, and every error must have the contract's shape; the hub must not crash or log an internal error.
import assert from 'assert';
import fc from 'fast-check';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { assertErrorShape, call, client } from '../hub/helpers';
import { rawExchange } from './support';

const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 4000);

for (const store of ['SQLite', 'PostgreSQL'] as const)
describe(`reliability: random requests over real HTTP (fast-check, raw sockets, ${store})`, function () {
  this.timeout(300_000);
  let cluster: PostgresCluster | undefined;
  let hub: HubProcess;
  let accountKey: string;
  let accessToken: string;
  let tokenId: string;
  let otherKey: string;

  before(async () => {
    if (store === 'PostgreSQL') cluster = await startPostgres();
    const db = cluster ? await cluster.createDatabase('fuzz') : undefined;
    hub = await startHub({ db, args: ['--auth-failure-limit', '1000000', '--log-level', 'warn'] });
    ({ accountKey } = await hub.init('fuzz', ['chat-completions', 'embeddings']));
    ({ accountKey: otherKey } = await hub.init('other', ['chat-completions']));
    const created = await client(hub.url, accountKey).post('/v1/tokens', { name: 'seed', endpoints: ['chat-completions'] });
    assert.strictEqual(created.status, 201);
    accessToken = created.body.secret;
    tokenId = created.body.token.id;
  });

  after(async () => {
    await hub?.stop();
    await cluster?.stop();
  });

  const unicode = fc.string({ unit: 'grapheme', maxLength: 12 });
  const anyText = fc.oneof(fc.string({ maxLength: 30 }), unicode, fc.string({ unit: 'binary', maxLength: 20 }));
  const segment = fc.oneof(
    fc.constantFrom('v1', 'tokens', 'endpoints', 'workspace', 'invoke', 'rotate', 'healthz', 'openapi.json', 'chat-completions', 'TOKEN_ID'),
    fc.constantFrom('%', '%zz', '%00', 'tok_%00', 'a%00b', '%2F', '%2e%2e', '..', '.', '', 'tok_0000000000000000', '%C3%A9', '%ED%A0%80', '%FF', '*', ';a=b'),
    unicode, // sent as raw UTF-8 bytes
    anyText.map(encodeURIComponent),
    fc.integer({ min: 200, max: 9000 }).map((n) => 'x'.repeat(n)),
  );
  const pathArb = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '/healthz',
        '/openapi.json',
        '/v1/workspace',
        '/v1/endpoints',
        '/v1/tokens',
        '/v1/tokens/TOKEN_ID',
        '/v1/tokens/TOKEN_ID/rotate',
        '/v1/endpoints/chat-completions/invoke',
        '/v1/endpoints/embeddings/invoke',
      ),
    },
    fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
    fc.constantFrom('*', 'http://127.0.0.1/v1/tokens', '//v1//tokens', '/v1/tokens/', '/V1/TOKENS', '/v1/endpoints//invoke', 'v1/tokens', ''),
  );
  const queryArb = fc.option(
    fc
      .array(
        fc.tuple(
          fc.constantFrom('limit', 'cursor', 'search', 'x', 'limit[]', 'search[0]', '__proto__', 'constructor'),
          fc.oneof(anyText, fc.integer().map(String), fc.constantFrom('', '0', '1', '200', '201', '-1', '1e2', '0x10', 'NaN', '%', 'MTow', '%00', 'a%00')),
          fc.boolean(), // encode or send raw
        ),
        { maxLength: 4 },
      )
      .map((pairs) => pairs.map(([k, v, encode]) => (encode ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`)).join('&')),
    { nil: undefined },
  );
  const credential = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('ACCOUNT', 'ACCESS') },
    fc.constantFrom('OTHER', 'ACCOUNT ', ' ACCOUNT'),
    fc.constant(generateToken(ACCOUNT_KEY_PREFIX)),
    fc.constant(generateToken(ACCESS_TOKEN_PREFIX)),
    anyText,
    fc.integer({ min: 1000, max: 20_000 }).map((n) => 'thub_' + 'A'.repeat(n)),
  );
  const authArb = fc.option(
    fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Bearer', 'Basic ', 'Bearer  ', 'Bearer\t', ''), credential).map(([scheme, c]) => scheme + c),
    { nil: undefined },
  );
  const headerValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    unicode,
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('a\rb', 'a\nX-Injected: 1', 'a\r\nX-Injected: 1', '\u0000', ' ', 'x'.repeat(300)),
    fc.integer({ min: 5000, max: 20_000 }).map((n) => 'v'.repeat(n)),
  );
  const extraHeaders = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('Idempotency-Key', 'Content-Type', 'Accept', 'X-Forwarded-For', 'Authorization', 'Host', 'Expect', 'Accept-Encoding', 'Cookie', 'Origin'),
        fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
        fc.constantFrom('Bad Name', 'Bad:Name', '', 'Ünicode'),
      ),
      headerValue,
    ),
    { maxLength: 4 },
  );
  const contentType = fc.option(
    fc.constantFrom(
      'application/json',
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;',
      'application/jsonx',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
      ';;;',
    ),
    { nil: undefined },
  );
  const plausible = fc.record(
    {
      name: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$/), anyText),
      endpoints: fc.oneof(fc.subarray(['chat-completions', 'embeddings'], { minLength: 1 }), fc.array(anyText, { maxLength: 60 })),
      expiresAt: fc.oneof(fc.constant(null), fc.integer({ min: -1000, max: 400 * 86_400 }).map((s) => new Date(Date.now() + s * 1000).toISOString()), anyText),
      graceSeconds: fc.oneof(fc.integer({ min: -5, max: 90_000 }), fc.double(), anyText),
    },
    { requiredKeys: [] },
  );
  const validCreate = fc.record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,30}[a-z0-9]$/),
    endpoints: fc.subarray(['chat-completions', 'embeddings'], { minLength: 1 }),
  });
  const bodyArb = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: validCreate.map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 3, arbitrary: plausible.map((v) => Buffer.from(JSON.stringify(v))) },
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.integer({ min: 1, max: 40_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
    fc.integer({ min: 60 * 1024, max: 70 * 1024 }).map((n) => Buffer.from(JSON.stringify({ name: 'x'.repeat(n) }))),
    fc.constantFrom('{', '[]', 'null', '""', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"name":"a","name":"b"}', '\uFEFF{}').map((s) => Buffer.from(s)),
  );
  const framing = fc.constantFrom('length', 'length', 'length', 'chunked', 'none', 'both', 'short');
  const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 extra', 'http/1.1');
  const methodArb = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'POST', 'DELETE', 'HEAD') },
    fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'TRACE', 'get', 'FOO', 'G\u00c9T', 'POST\u0000'),
  );
  // Three in four requests are well-formed HTTP/1.1 (so that they reach the routes, bodies and rules); the rest
  // are hostile at every level.
  const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
  const saneSegment = fc.oneof(
    fc.constantFrom('v1', 'tokens', 'endpoints', 'workspace', 'invoke', 'rotate', 'TOKEN_ID', 'chat-completions', 'tok_0000000000000000'),
    anyText.map(encodeURIComponent),
  );
  const ROUTES_SENT: Array<[string, string]> = [
    ['GET', '/healthz'],
    ['GET', '/openapi.json'],
    ['GET', '/v1/workspace'],
    ['GET', '/v1/endpoints'],
    ['GET', '/v1/tokens'],
    ['POST', '/v1/tokens'],
    ['POST', '/v1/tokens'],
    ['POST', '/v1/tokens'],
    ['GET', '/v1/tokens/TOKEN_ID'],
    ['GET', '/v1/tokens/tok_%00'],
    ['DELETE', '/v1/tokens/TOKEN_ID'],
    ['POST', '/v1/tokens/TOKEN_ID/rotate'],
    ['POST', '/v1/endpoints/chat-completions/invoke'],
    ['POST', '/v1/endpoints/embeddings/invoke'],
    ['HEAD', '/v1/tokens'],
  ];
  const saneRoute = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ROUTES_SENT) },
    fc.tuple(
      fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD', 'PUT', 'OPTIONS'),
      fc.oneof(
        pathArb.filter((p) => /^\/[\x21-\x7e]*$/.test(p) && p.length < 300),
        fc.array(saneSegment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
      ),
    ),
  );
  const saneRequest = fc.record({
    route: saneRoute,
    query: fc.option(
      fc
        .array(
          fc.tuple(fc.constantFrom('limit', 'cursor', 'search', 'search', 'x'), fc.oneof(anyText, fc.integer({ min: -5, max: 300 }).map(String), fc.constantFrom('\u0000', 'a\u0000'))),
          { maxLength: 3 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
      { nil: undefined },
    ),
    version: fc.constant('HTTP/1.1'),
    auth: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('Bearer ACCOUNT', 'Bearer ACCESS') },
      fc.constantFrom('Bearer OTHER', 'bearer ACCOUNT', `Bearer ${generateToken(ACCESS_TOKEN_PREFIX)}`, `Bearer ${generateToken(ACCOUNT_KEY_PREFIX)}`),
      printable.map((text) => `Bearer ${text}`),
      fc.constant(undefined),
    ),
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, contentType),
    extra: fc.array(fc.tuple(fc.constantFrom('Idempotency-Key', 'Accept', 'X-Forwarded-For', 'Origin'), printable), { maxLength: 2 }),
    framing: fc.constantFrom('length', 'length', 'length', 'chunked'),
    body: bodyArb,
  }).map(({ route: [method, path], ...rest }) => ({ method, path, ...rest }));
  const hostileRequest = fc.record({
    method: methodArb,
    path: pathArb,
    query: queryArb,
    version,
    auth: authArb,
    contentType,
    extra: extraHeaders,
    framing,
    body: bodyArb,
  });
  const requestArb = fc.oneof({ weight: 3, arbitrary: saneRequest }, { weight: 1, arbitrary: hostileRequest });

  type Generated = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

  function substitute(text: string): string {
    return text.replace(/TOKEN_ID/g, tokenId);
  }

  function credentialText(auth: string): string {
    return auth
      .replace('ACCOUNT', accountKey)
      .replace('ACCESS', accessToken)
      .replace('OTHER', otherKey);
  }

  function build(r: Generated): Buffer {
    const target = substitute(r.path) + (r.query !== undefined ? `?${r.query}` : '');
    const lines: Buffer[] = [Buffer.from(`${r.method} `, 'utf8'), Buffer.from(target, 'utf8'), Buffer.from(` ${r.version}\r\n`, 'latin1')];
    const header = (name: string, value: string) => lines.push(Buffer.from(`${name}: `, 'latin1'), Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
    header('Host', `127.0.0.1:${hub.port}`);
    if (r.auth !== undefined) header('Authorization', credentialText(r.auth));
    if (r.contentType !== undefined) header('Content-Type', r.contentType);
    for (const [name, value] of r.extra) header(name, value);
    header('Connection', 'close');
    const body = r.body ?? Buffer.alloc(0);
    let payload = Buffer.alloc(0);
    if (r.body !== undefined || r.framing === 'both') {
      switch (r.framing) {
        case 'length':
          header('Content-Length', String(body.length));
          payload = body;
          break;
        case 'short': // declares less than it sends: the rest is read as a next request on the same connection
          header('Content-Length', String(Math.max(0, body.length - 3)));
          payload = body;
          break;
        case 'chunked':
        case 'both': {
          header('Transfer-Encoding', 'chunked');
          if (r.framing === 'both') header('Content-Length', String(body.length));
          const parts: Buffer[] = [];
          for (let at = 0; at < body.length; at += 4096) {
            const chunk = body.subarray(at, at + 4096);
            parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
          }
          parts.push(Buffer.from('0\r\n\r\n'));
          payload = Buffer.concat(parts);
          break;
        }
        case 'none': // a body without framing: the server reads none, and the bytes are a malformed next request
          payload = body;
          break;
      }
    }
    lines.push(Buffer.from('\r\n'));
    return Buffer.concat([...lines, payload]);
  }

  // Found by this fuzz on PostgreSQL, whose text cannot hold U+0000: such a token id was a 500 there.
  it('a NUL character in a token id or a search: 404 or an empty list, as for any id or name that does not exist', async () => {
    const api = client(hub.url, accountKey);
    for (const id of ['%00', 'tok_%00', `${tokenId.slice(0, -1)}%00`]) {
      assert.strictEqual((await api.get(`/v1/tokens/${id}`)).status, 404);
      assert.strictEqual((await api.del(`/v1/tokens/${id}`)).status, 404);
      assert.strictEqual((await api.post(`/v1/tokens/${id}/rotate`, {})).status, 404);
      assert.strictEqual((await api.post(`/v1/tokens/${id}/rotate`, {}, { headers: { 'Idempotency-Key': `nul-${id}` } })).status, 404);
    }
    for (const search of ['%00', 'se%00ed', 'SEED', 'se_d', '%25']) {
      const listed = await api.get(`/v1/tokens?search=${search}`);
      assert.strictEqual(listed.status, 200, listed.text);
      assert.deepStrictEqual(listed.body.data.map((t: { name: string }) => t.name), search === 'SEED' ? ['seed'] : []);
    }
  });

  it('answers every request with well-formed HTTP, never 5xx, errors in the contract shape; the hub survives', async () => {
    const statuses = new Map<number, number>();
    const messages = new Map<string, number>();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        tried++;
        const request = build(r);
        const head = r.method === 'HEAD';
        const res = await rawExchange(hub.port, request, { head, timeoutMs: 15_000 });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const shown = `${JSON.stringify(request.toString('latin1').slice(0, 400))} → ${JSON.stringify(res.raw.slice(0, 400))}`;
        assert.ok(res.status !== 0, `no answer at all: ${shown}`);
        assert.ok(res.status < 500, `a 5xx: ${shown}`);
        if (head || res.status === 204 || res.status === 304) return;
        assert.match(res.headers['content-type'] ?? '', /^application\/json/, `not JSON: ${shown}`);
        let parsed: unknown;
        assert.doesNotThrow(() => (parsed = JSON.parse(res.body.toString('utf8'))), `a body that is not JSON: ${shown}`);
        if (res.status >= 400) {
          if (process.env.HTTP_FUZZ_DEBUG) {
            const key = `${res.status} ${(JSON.parse(res.body.toString('utf8')) as { error?: { message?: string } }).error?.message}`;
            messages.set(key, (messages.get(key) ?? 0) + 1);
          }
          try {
            assertErrorShape(parsed);
          } catch (error) {
            throw new Error(`${(error as Error).message}: ${shown}`);
          }
          for (const secret of [accountKey, accessToken, otherKey]) assert.ok(!res.raw.includes(secret.slice(5, 25)), `a secret echoed: ${shown}`);
        }
        if (res.status === 429) assert.ok(res.headers['retry-after'], shown);
        // Follow the newest token, so that ACCESS and TOKEN_ID keep meaning a live token after deletes and rotations.
        if (res.status === 201) {
          const created = parsed as { token: { id: string }; secret: string };
          assert.match(created.secret, /^thub_/, shown);
          accessToken = created.secret;
          tokenId = created.token.id;
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`      ${tried} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    if (process.env.HTTP_FUZZ_DEBUG) console.log([...messages].sort((a, b) => b[1] - a[1]));
    // The run must have reached the deep paths, not only 400s and 404s.
    for (const status of [200, 201, 400, 401, 404, 422]) assert.ok((statuses.get(status) ?? 0) > 0, `no ${status}`);
    // Alive, still serving, and nothing was logged as an internal error (level 50 and above).
    assert.strictEqual(hub.process.exitCode, null, 'the hub process is still running');
    assert.strictEqual((await call(hub.url, 'GET', '/healthz')).status, 200);
    const fresh = await client(hub.url, accountKey).post('/v1/tokens', { name: 'after-the-fuzz', endpoints: ['chat-completions'] });
    assert.strictEqual(fresh.status, 201, fresh.text);
    assert.strictEqual((await client(hub.url).invoke('chat-completions', fresh.body.secret)).status, 200);
    const errorLines = hub.output().split('\n').filter((line) => /"level":(50|60)/.test(line));
    assert.deepStrictEqual(errorLines, []);
  });
});
