// Two hubs on one PostgreSQL database are one service for usage counts, the audit trail and idempotent replays:
// every call is counted once whichever instance took it, the trail has one order for everyone, and a replay never
// hands out a secret that the other instance has since rotated out or deleted.
import assert from 'assert';
import type { TokenWithSecret } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { client, expectError, sleep } from './helpers';

/** Polls until `check` returns a value other than undefined, for up to `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('two hubs on one PostgreSQL database: usage, audit trail, replays', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster;
  let a: HubProcess;
  let b: HubProcess;
  let ws: { workspaceId: string; accountKey: string };
  let alice: string;

  before(async () => {
    cluster = await startPostgres();
    const db = await cluster.createDatabase('usage_audit');
    const args = ['--flush-seconds', '1', '--auth-failure-limit', '100000'];
    [a, b] = await Promise.all([startHub({ db, args }), startHub({ db, args })]);
    ws = await a.init('shared', ['chat-completions', 'embeddings']);
    const made = await a.cli(['account-key', 'create', '--workspace', 'shared', '--label', 'alice']);
    assert.strictEqual(made.code, 0, made.stderr);
    alice = JSON.parse(made.stdout.trim()).accountKey;
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
  });

  const create = async (hub: HubProcess, name: string, key = ws.accountKey, headers: Record<string, string> = {}) => {
    const res = await client(hub.url, key).post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] }, { headers });
    assert.strictEqual(res.status, 201, res.text);
    return res.body;
  };

  it('every call is counted once, whichever instance took it, and stays counted once after more flushes', async () => {
    const { token, secret } = await create(a, 'counted');
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 30; i++) {
      const hub = i % 2 ? a : b;
      calls.push(client(hub.url).invoke(i % 5 === 0 ? 'embeddings' : 'chat-completions', secret)); // 6 refused (403)
    }
    await Promise.all(calls);
    const expected = { accepted: 24, refused: 6, byEndpoint: { 'chat-completions': { accepted: 24, refused: 0 }, embeddings: { accepted: 0, refused: 6 } } };
    const read = async (hub: HubProcess) => {
      const res = await client(hub.url, ws.accountKey).get(`/v1/tokens/${token.id}/usage?days=3`);
      assert.strictEqual(res.status, 200, res.text);
      return res.body;
    };
    for (const hub of [a, b]) {
      await eventually(async () => {
        const today = (await read(hub)).days.at(-1);
        return today.accepted === 24 && today.refused === 6 ? today : undefined;
      }, 'both instances to have written their counts');
    }
    await sleep(2500); // two more flush intervals on each instance
    for (const hub of [a, b]) {
      const usage = await read(hub);
      assert.strictEqual(usage.days.length, 3);
      assert.deepStrictEqual(usage.days.slice(0, 2).map((d: { accepted: number; refused: number }) => d.accepted + d.refused), [0, 0]);
      const today = usage.days[2];
      assert.strictEqual(today.date, new Date().toISOString().slice(0, 10));
      assert.deepStrictEqual({ accepted: today.accepted, refused: today.refused, byEndpoint: today.byEndpoint }, expected);
      assert.strictEqual(usage.lastClientAddress, '127.0.0.1');
      assert.strictEqual(usage.lastUserAgent, 'node');
    }
  });

  it('usage: days 1 to 90 (default 30), 404 for a token of no workspace of the key', async () => {
    const { token } = await create(b, 'windows');
    const c = client(a.url, ws.accountKey);
    assert.strictEqual((await c.get(`/v1/tokens/${token.id}/usage`)).body.days.length, 30);
    assert.strictEqual((await c.get(`/v1/tokens/${token.id}/usage?days=90`)).body.days.length, 90);
    expectError(await c.get(`/v1/tokens/${token.id}/usage?days=0`), 422, 'invalid_days', 'days');
    expectError(await c.get(`/v1/tokens/${token.id}/usage?days=91`), 422, 'invalid_days', 'days');
    expectError(await c.get('/v1/tokens/tok_0000000000000000/usage'), 404, 'not_found');
  });

  it('the audit trail: who did what, from which instance, in one order for everyone, never a secret', async () => {
    const made = await create(a, 'audited', alice, { 'user-agent': 'alice-laptop/1.0' });
    const rotated = await client(b.url, ws.accountKey).post<TokenWithSecret>(`/v1/tokens/${made.token.id}/rotate`, {}, { headers: { 'user-agent': 'ci/2' } });
    assert.strictEqual(rotated.status, 201);
    assert.strictEqual((await client(a.url, alice).del(`/v1/tokens/${made.token.id}`)).status, 204);
    assert.strictEqual((await a.cli(['endpoint', 'add', '--workspace', 'shared', '--id', 'rerank', '--name', 'Rerank'])).code, 0);
    // Where the gateway sends a token's calls is a change worth a trail entry too (one per command).
    assert.strictEqual((await b.cli(['endpoint', 'set-upstream', '--workspace', 'shared', '--id', 'rerank', 'http://127.0.0.1:9'])).code, 0);

    const fromA = await client(a.url, ws.accountKey).get('/v1/audit?limit=200');
    const fromB = await client(b.url, alice).get('/v1/audit?limit=200');
    assert.strictEqual(fromA.status, 200, fromA.text);
    assert.deepStrictEqual(fromA.body, fromB.body, 'both instances answer the same trail');
    const events = fromA.body.data as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const ids = events.map((e) => Number(String(e.id).slice(4)));
    assert.deepStrictEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
    assert.deepStrictEqual(
      events.slice(0, 5).map((e) => [e.action, e.tokenId ?? e.endpointId, e.actor.kind, e.actor.label ?? null, e.userAgent]),
      [
        ['endpoint.changed', 'rerank', 'operator', null, null],
        ['endpoint.changed', 'rerank', 'operator', null, null],
        ['token.deleted', made.token.id, 'account_key', 'alice', 'node'],
        ['token.rotated', made.token.id, 'account_key', null, 'ci/2'],
        ['token.created', made.token.id, 'account_key', 'alice', 'alice-laptop/1.0'],
      ],
    );
    assert.strictEqual(events[2].tokenName, 'audited');
    assert.strictEqual(events[2].clientAddress, '127.0.0.1');
    assert.strictEqual(events[0].clientAddress, null);
    assert.match(events[2].actor.maskedKey, /^thak_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$/);
    const created = events.filter((e) => e.action === 'account_key.created');
    assert.strictEqual(created.length, 2, 'init\'s key and alice\'s');
    assert.deepStrictEqual(created[0].actor, { kind: 'operator' });
    const text = JSON.stringify(fromA.body);
    for (const secret of [made.secret, rotated.body.secret, ws.accountKey, alice]) assert.ok(!text.includes(secret.slice(5, 30)), 'no secret in the trail');

    // One token's events, and pages that walk the trail without gaps or repeats.
    const mine = await client(b.url, ws.accountKey).get(`/v1/audit?tokenId=${made.token.id}`);
    assert.deepStrictEqual(mine.body.data.map((e: { action: string }) => e.action), ['token.deleted', 'token.rotated', 'token.created']);
    const walked: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await client(walked.length % 4 ? a.url : b.url, ws.accountKey).get(
        `/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      walked.push(...page.body.data.map((e) => e.id));
      cursor = page.body.nextCursor;
    }
    assert.deepStrictEqual(walked, events.map((e) => e.id));
    expectError(await client(a.url, ws.accountKey).get('/v1/audit?cursor=junk'), 422, 'invalid_cursor', 'cursor');
  });

  it('a create retried on one instance after the token was rotated or deleted on the other is 409 idempotency_replayed, never a dead secret', async () => {
    for (const change of ['rotate', 'delete'] as const) {
      const headers = { 'idempotency-key': `create-then-${change}` };
      const first = await create(a, `replayed-${change}`, ws.accountKey, headers);
      if (change === 'rotate') assert.strictEqual((await client(b.url, ws.accountKey).post(`/v1/tokens/${first.token.id}/rotate`, {})).status, 201);
      else assert.strictEqual((await client(b.url, ws.accountKey).del(`/v1/tokens/${first.token.id}`)).status, 204);
      const retry = await client(a.url, ws.accountKey).post('/v1/tokens', { name: `replayed-${change}`, endpoints: ['chat-completions'] }, { headers });
      const error = expectError(retry, 409, 'idempotency_replayed');
      assert.strictEqual(error.tokenId, first.token.id);
    }
  });

  it('a rotate retried on one instance after another rotation on the other is 409 idempotency_replayed', async () => {
    const { token } = await create(a, 'rotate-replayed');
    const headers = { 'idempotency-key': 'rotate-once' };
    const first = await client(a.url, ws.accountKey).post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {}, { headers });
    assert.strictEqual(first.status, 201);
    // Still current: the replay is the first answer.
    const same = await client(a.url, ws.accountKey).post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {}, { headers });
    assert.deepStrictEqual([same.status, same.body.secret], [201, first.body.secret]);
    assert.strictEqual((await client(b.url, ws.accountKey).post(`/v1/tokens/${token.id}/rotate`, {})).status, 201);
    const retry = await client(a.url, ws.accountKey).post(`/v1/tokens/${token.id}/rotate`, {}, { headers });
    assert.strictEqual(expectError(retry, 409, 'idempotency_replayed').tokenId, token.id);
  });
});
