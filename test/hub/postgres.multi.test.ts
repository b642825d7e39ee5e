// Two hub processes on one PostgreSQL database behave as one service; a database outage is a 503 and heals by itself.
import assert from 'assert';
import type { TokenPage, TokenWithSecret } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { call, client, expectError, sleep } from './helpers';

describe('two hubs on one PostgreSQL database', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster;
  let a: HubProcess;
  let b: HubProcess;
  let ws: { workspaceId: string; accountKey: string };

  before(async () => {
    cluster = await startPostgres();
    const db = await cluster.createDatabase('multi');
    [a, b] = await Promise.all([startHub({ db }), startHub({ db })]); // both migrate at once: the advisory lock serialises them
    ws = await a.init('shared', ['chat-completions', 'embeddings']);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
  });

  const create = async (hub: HubProcess, name: string) => {
    const res = await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] });
    assert.strictEqual(res.status, 201, res.text);
    return res.body;
  };

  it('a token deleted through one hub gets 401 at the other on its next request', async () => {
    const { token, secret } = await create(a, 'revoke-me');
    assert.strictEqual((await client(b.url).invoke('chat-completions', secret)).status, 200);
    assert.strictEqual((await client(a.url, ws.accountKey).del(`/v1/tokens/${token.id}`)).status, 204);
    expectError(await client(b.url).invoke('chat-completions', secret), 401, 'unauthorized');
    expectError(await client(b.url, ws.accountKey).get(`/v1/tokens/${token.id}`), 404, 'not_found');
  });

  it('a rotation through one hub is seen by the other at once', async () => {
    const { token, secret } = await create(b, 'rotate-me');
    const rotated = await client(a.url, ws.accountKey).post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {});
    expectError(await client(b.url).invoke('chat-completions', secret), 401, 'unauthorized');
    assert.strictEqual((await client(b.url).invoke('chat-completions', rotated.body.secret)).status, 200);
  });

  it('concurrent creates of one name through both hubs: exactly one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `contested-${round}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => client(i % 2 ? a.url : b.url, ws.accountKey).post('/v1/tokens', { name, endpoints: ['chat-completions'] })),
      );
      const created = results.filter((r) => r.status === 201);
      assert.strictEqual(created.length, 1, results.map((r) => r.status).join(','));
      for (const r of results) if (r.status !== 201) expectError(r, 409, 'name_taken');
      const listed = await client(a.url, ws.accountKey).get<TokenPage>(`/v1/tokens?search=${name}`);
      assert.strictEqual(listed.body.data.length, 1);
    }
  });

  it('concurrent retries of one Idempotency-Key through both hubs create one token', async () => {
    const body = { name: 'idempotent-pair', endpoints: ['chat-completions'] };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client(i % 2 ? a.url : b.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', body, { headers: { 'Idempotency-Key': 'pair-1' } }),
      ),
    );
    const ids = new Set<string>();
    for (const r of results) {
      if (r.status === 201) ids.add(r.body.token.id);
      else ids.add(expectError(r, 409, 'idempotency_replayed').tokenId!);
    }
    assert.strictEqual(ids.size, 1, 'every answer names the same token');
    const listed = await client(a.url, ws.accountKey).get<TokenPage>('/v1/tokens?search=idempotent-pair');
    assert.strictEqual(listed.body.data.length, 1);
  });

  it('an account key revoked on the command line gets 401 from both hubs', async () => {
    const extra = await a.cli(['account-key', 'create', '--workspace', 'shared']);
    assert.strictEqual(extra.code, 0, extra.stderr);
    const { accountKey, accountKeyId } = JSON.parse(extra.stdout);
    assert.strictEqual((await client(b.url, accountKey).get('/v1/workspace')).status, 200);
    const revoked = await a.cli(['account-key', 'revoke', '--id', accountKeyId]);
    assert.strictEqual(revoked.code, 0, revoked.stderr);
    expectError(await client(a.url, accountKey).get('/v1/workspace'), 401, 'unauthorized');
    expectError(await client(b.url, accountKey).get('/v1/workspace'), 401, 'unauthorized');
  });

  it('while the database is down: 503 service_unavailable (no hang, no crash); after, it heals without a restart', async () => {
    const { secret } = await create(a, 'outage');
    assert.strictEqual((await client(a.url).invoke('chat-completions', secret)).status, 200);
    await cluster.stopServer();
    try {
      const res = await client(a.url, ws.accountKey).get('/v1/tokens');
      expectError(res, 503, 'service_unavailable');
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      expectError(await client(b.url).invoke('chat-completions', secret), 503, 'service_unavailable');
      expectError(await client(a.url, ws.accountKey).post('/v1/tokens', { name: 'during', endpoints: ['chat-completions'] }), 503, 'service_unavailable');
      assert.strictEqual((await call(a.url, 'GET', '/healthz')).status, 200, 'the process itself is alive');
    } finally {
      await cluster.startServer();
    }
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await client(a.url).invoke('chat-completions', secret)).status;
      if (status !== 200) await sleep(200);
    }
    assert.strictEqual(status, 200, 'hub A works again');
    assert.strictEqual((await client(b.url, ws.accountKey).get('/v1/tokens')).status, 200, 'hub B works again');
    assert.strictEqual(a.process.exitCode, null);
    assert.strictEqual(b.process.exitCode, null);
  });
});
