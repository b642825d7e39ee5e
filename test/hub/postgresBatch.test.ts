// PostgresStore answers the token lookups of one event-loop turn with one query: every lookup must still get exactly
// what a lookup of its own would get (current and previous secrets, misses, the same digest twice, more lookups than
// one query carries), and a database failure must reach every waiting lookup.
import assert from 'assert';
import { createHash } from 'crypto';
import { newId } from '../../src/hub/digest';
import { StoreUnavailableError } from '../../src/hub/errors';
import type { TokenAuthRecord } from '../../src/hub/store';
import { PostgresStore } from '../../src/hub/stores/postgres';
import { startPostgres, type PostgresCluster } from '../support/postgres';

const digestOf = (text: string) => createHash('sha256').update(text).digest();

describe('PostgresStore: token lookups of one turn in one query', function () {
  this.timeout(60_000);
  let pg: PostgresCluster;
  let store: PostgresStore;
  let ws: string;

  before(async () => {
    pg = await startPostgres();
    store = new PostgresStore(await pg.createDatabase('batch'));
    await store.migrate();
    ws = (await store.ensureWorkspace('batch', newId('ws_'), undefined, 1)).workspace.id;
  });

  after(async () => {
    await store?.close().catch(() => undefined);
    await pg?.stop();
  });

  async function create(secret: string, endpoints: string[], expiresAt: number | null): Promise<string> {
    const id = newId('tok_');
    const result = await store.createToken({
      id,
      workspaceId: ws,
      name: `t-${id.slice(4).toLowerCase()}`,
      maskedKey: 'thub_abcd…wxyz',
      endpoints,
      digest: digestOf(secret),
      createdAt: Date.now(),
      expiresAt,
    });
    assert.strictEqual(result.kind, 'created');
    return id;
  }

  it('answers each lookup as a lookup of its own would, for 1,200 lookups started together', async () => {
    const plain = await create('plain', ['a'], 5_000_000_000_000);
    const rotated = await create('old', ['a', 'b'], null);
    assert.strictEqual((await store.rotateToken(ws, rotated, digestOf('new'), 'thub_new…', 4_000_000_000_000)).kind, 'rotated');
    const many: Array<{ secret: string; id: string }> = [];
    for (let i = 0; i < 50; i++) many.push({ secret: `many-${i}`, id: await create(`many-${i}`, ['a'], null) });

    const expected = new Map<string, Partial<TokenAuthRecord> | null>([
      ['plain', { id: plain, current: true, expiresAt: 5_000_000_000_000, endpoints: ['a'] }],
      ['new', { id: rotated, current: true, expiresAt: null, endpoints: ['a', 'b'] }],
      ['old', { id: rotated, current: false, previousExpiresAt: 4_000_000_000_000 }],
      ['unknown', null],
      ...many.map((m) => [m.secret, { id: m.id, current: true }] as const),
    ]);
    const secrets = [...expected.keys()];
    // Every secret several times over, interleaved with misses, all started in the same turn.
    const asked: string[] = [];
    for (let i = 0; i < 1200; i++) asked.push(i % 7 === 0 ? `miss-${i}` : secrets[i % secrets.length]);
    const answers = await Promise.all(asked.map((secret) => store.authenticateToken(digestOf(secret))));
    answers.forEach((answer, i) => {
      const want = asked[i].startsWith('miss-') ? null : expected.get(asked[i])!;
      if (want === null) {
        assert.strictEqual(answer, null, `${asked[i]} is unknown`);
        return;
      }
      assert.ok(answer, `${asked[i]} is found`);
      for (const [key, value] of Object.entries(want)) {
        assert.deepStrictEqual(answer[key as keyof TokenAuthRecord], value, `${asked[i]}: ${key}`);
      }
      assert.strictEqual(answer.workspaceId, ws);
    });
  });

  it('a lookup after a commit sees it (each batch is sent after its lookups were asked)', async () => {
    const id = await create('later', ['a'], null);
    assert.strictEqual((await store.authenticateToken(digestOf('later')))?.id, id);
    assert.ok(await store.deleteToken(ws, id));
    assert.strictEqual(await store.authenticateToken(digestOf('later')), null);
  });

  it('every lookup of a batch gets the error when the database cannot be reached', async () => {
    await pg.stopServer();
    try {
      const results = await Promise.allSettled(['plain', 'unknown', 'plain'].map((s) => store.authenticateToken(digestOf(s))));
      for (const result of results) {
        assert.strictEqual(result.status, 'rejected');
        assert.ok((result as PromiseRejectedResult).reason instanceof StoreUnavailableError, String((result as PromiseRejectedResult).reason));
      }
    } finally {
      await pg.startServer();
    }
    // And it recovers.
    assert.ok(await store.authenticateToken(digestOf('plain')));
  });
});
