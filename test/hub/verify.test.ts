// POST /v1/verify with a service key: the four verdicts, service keys refused everywhere else and other credentials
// refused here, and each verdict about a real token recorded as a use (GET /v1/tokens/{id}/usage); on PostgreSQL,
// service keys looked up once a turn, and a revoked one refused by the next request.
import assert from 'assert';
import type { TokenWithSecret } from '../../src/contract/types';
import { generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { client, expectError } from './helpers';

describe('POST /v1/verify (service keys)', function () {
  this.timeout(60_000);
  const AHEAD_MS = 10 * 60_000;
  let hub: HubProcess;
  let ahead: HubProcess; // the same database, its clock 10 minutes ahead: short-lived tokens have expired there
  let ws: { workspaceId: string; accountKey: string };
  let serviceKey: string;

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '100000'] });
    ws = await hub.init('verify', ['chat-completions', 'embeddings']);
    const made = await hub.cli(['service-key', 'create']);
    assert.strictEqual(made.code, 0, made.stderr);
    serviceKey = JSON.parse(made.stdout.trim()).serviceKey;
    ahead = await startHub({ db: hub.db, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(AHEAD_MS) } });
  });

  after(async () => {
    await ahead?.stop();
    await hub?.stop();
  });

  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'], ...extra });
    assert.strictEqual(res.status, 201, res.text);
    return res.body;
  };
  const verify = (url: string, body: unknown, key = serviceKey) => client(url, key).post('/v1/verify', body);

  it('service-key create prints one thsk_ key, and the database holds only its digest', async () => {
    assert.match(serviceKey, /^thsk_[0-9A-Za-z]{49}$/);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(hub.db, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM service_keys').all() as Array<Record<string, unknown>>;
      assert.strictEqual(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(serviceKey.slice(5, 40)), 'the secret is not stored');
    } finally {
      db.close();
    }
  });

  it('valid: the token, its workspace, scope and expiry', async () => {
    const { token, secret } = await create('verify-valid');
    const res = await verify(hub.url, { token: secret, endpoint: 'chat-completions' });
    assert.strictEqual(res.status, 200, res.text);
    assert.deepStrictEqual(res.body, {
      valid: true,
      tokenId: token.id,
      workspaceId: ws.workspaceId,
      endpoints: ['chat-completions'],
      expiresAt: token.expiresAt,
    });
  });

  it('forbidden: a valid token outside its scope', async () => {
    const { secret } = await create('verify-forbidden');
    const res = await verify(hub.url, { token: secret, endpoint: 'embeddings' });
    assert.deepStrictEqual([res.status, res.body], [200, { valid: false, reason: 'forbidden' }]);
  });

  it('expired: a token past its expiresAt', async () => {
    const { secret } = await create('verify-expired', { expiresAt: new Date(Date.now() + 5 * 60_000).toISOString() });
    const res = await verify(ahead.url, { token: secret, endpoint: 'chat-completions' });
    assert.deepStrictEqual([res.status, res.body], [200, { valid: false, reason: 'expired' }]);
  });

  it('unknown: junk, a well-formed stranger, a deleted token, a rotated-out secret, a body without a token', async () => {
    const deleted = await create('verify-deleted');
    assert.strictEqual((await client(hub.url, ws.accountKey).del(`/v1/tokens/${deleted.token.id}`)).status, 204);
    const rotated = await create('verify-rotated');
    assert.strictEqual((await client(hub.url, ws.accountKey).post(`/v1/tokens/${rotated.token.id}/rotate`, {})).status, 201);
    for (const body of [
      { token: 'not a token', endpoint: 'chat-completions' },
      { token: generateToken('thub_'), endpoint: 'chat-completions' },
      { token: deleted.secret, endpoint: 'chat-completions' },
      { token: rotated.secret, endpoint: 'chat-completions' },
      { token: 42, endpoint: 'chat-completions' },
      {},
    ]) {
      const res = await verify(hub.url, body);
      assert.deepStrictEqual([res.status, res.body], [200, { valid: false, reason: 'unknown' }], JSON.stringify(body));
    }
  });

  it('401 for an account key, an access token, a revoked or made-up service key, and no credential', async () => {
    const { secret } = await create('verify-wrong-credential');
    const body = { token: secret, endpoint: 'chat-completions' };
    const other = JSON.parse((await hub.cli(['service-key', 'create'])).stdout.trim()).serviceKey as string;
    assert.strictEqual((await hub.cli(['service-key', 'revoke', '--key', other])).code, 0);
    for (const key of [ws.accountKey, secret, other, generateToken('thsk_')]) expectError(await verify(hub.url, body, key), 401, 'unauthorized');
    expectError(await client(hub.url).post('/v1/verify', body), 401, 'unauthorized');
  });

  it('a service key gets 401 everywhere else', async () => {
    const { token } = await create('verify-elsewhere');
    const c = client(hub.url, serviceKey);
    expectError(await c.get('/v1/workspace'), 401, 'unauthorized');
    expectError(await c.get('/v1/tokens'), 401, 'unauthorized');
    expectError(await c.get(`/v1/tokens/${token.id}/usage`), 401, 'unauthorized');
    expectError(await c.get('/v1/audit'), 401, 'unauthorized');
    expectError(await c.post('/v1/tokens', { name: 'by-service', endpoints: ['chat-completions'] }), 401, 'unauthorized');
    expectError(await c.invoke('chat-completions', serviceKey), 401, 'unauthorized');
  });

  it('records each verdict about a real token as a use: accepted, refused for forbidden, with the platform\'s client', async () => {
    const { token, secret } = await create('verify-counted');
    await verify(hub.url, { token: secret, endpoint: 'chat-completions', clientAddress: '10.0.0.3', userAgent: 'python-requests/2.32' });
    await verify(hub.url, { token: secret, endpoint: 'chat-completions', clientAddress: '10.0.0.3', userAgent: 'python-requests/2.32' });
    await verify(hub.url, { token: secret, endpoint: 'embeddings', clientAddress: '10.0.0.4', userAgent: 'curl/8.5' });
    const usage = await client(hub.url, ws.accountKey).get(`/v1/tokens/${token.id}/usage?days=1`);
    assert.strictEqual(usage.status, 200, usage.text);
    assert.strictEqual(usage.body.days.length, 1);
    const today = usage.body.days[0];
    assert.deepStrictEqual(
      { accepted: today.accepted, refused: today.refused, byEndpoint: today.byEndpoint },
      { accepted: 2, refused: 1, byEndpoint: { 'chat-completions': { accepted: 2, refused: 0 }, embeddings: { accepted: 0, refused: 1 } } },
    );
    assert.strictEqual(usage.body.lastClientAddress, '10.0.0.4');
    assert.strictEqual(usage.body.lastUserAgent, 'curl/8.5');
    assert.notStrictEqual(usage.body.lastUsedAt, null);
  });
});

describe('POST /v1/verify on PostgreSQL: service keys looked up once a turn', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let hub: HubProcess;
  let ws: { workspaceId: string; accountKey: string };

  before(async () => {
    cluster = await startPostgres();
    hub = await startHub({ db: await cluster.createDatabase('verify'), args: ['--auth-failure-limit', '100000'] });
    ws = await hub.init('verify', ['chat-completions']);
  });

  after(async () => {
    await hub?.stop();
    await cluster?.stop();
  });

  it('many requests at once with one key all get their verdict, and the first request after a revoke gets 401', async () => {
    const made = await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'pg-verify', endpoints: ['chat-completions'] });
    assert.strictEqual(made.status, 201, made.text);
    const serviceKeys: string[] = [];
    for (let i = 0; i < 2; i++) serviceKeys.push(JSON.parse((await hub.cli(['service-key', 'create'])).stdout.trim()).serviceKey);
    const body = { token: made.body.secret, endpoint: 'chat-completions' };
    // Both keys' requests share turns of the hub's event loop: each key gets its own answer.
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => client(hub.url, serviceKeys[i % 2]).post('/v1/verify', body)));
    assert.deepStrictEqual(new Set(answers.map((res) => `${res.status} ${JSON.stringify(res.body.valid)}`)), new Set(['200 true']));

    assert.strictEqual((await hub.cli(['service-key', 'revoke', '--key', serviceKeys[0]])).code, 0);
    const after = await Promise.all(Array.from({ length: 60 }, (_, i) => client(hub.url, serviceKeys[i % 2]).post('/v1/verify', body)));
    after.forEach((res, i) => assert.strictEqual(res.status, i % 2 === 0 ? 401 : 200, `request ${i}: ${res.text}`));
  });
});
