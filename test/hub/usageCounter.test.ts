// The usage counter adds what it counted to the store once per flush, and a failed write loses nothing: the counts
// are merged with those counted meanwhile and written by the next flush.
import assert from 'assert';
import { LastUsedTracker } from '../../src/hub/lastUsed';
import type { LastClient, Store, UsageCount } from '../../src/hub/store';
import { DAY_MS, UsageCounter } from '../../src/hub/usageCounter';

describe('UsageCounter', () => {
  it('counts per token, UTC day and endpoint; a failed flush keeps its counts for the next one', async () => {
    const added = new Map<string, number>();
    const clients: LastClient[] = [];
    let fail = true;
    const errors: unknown[] = [];
    const store = {
      recordLastUsed: async () => {},
      pruneUsage: async () => 0,
      recordUsage: async (counts: readonly UsageCount[], last: readonly LastClient[]) => {
        if (fail) throw new Error('database down');
        for (const c of counts) {
          const key = `${c.day}/${c.endpointId}`;
          added.set(key, (added.get(key) ?? 0) + c.accepted * 1000 + c.refused);
        }
        clients.push(...last);
      },
    } as unknown as Store;
    const now = 20_000 * DAY_MS + 5000;
    const lastUsed = new LastUsedTracker(store, () => now, 60_000);
    const counter = new UsageCounter(store, lastUsed, () => now, 60_000, (e) => errors.push(e));
    counter.recordUse('tok_a', 'chat', true, now - DAY_MS, '10.0.0.1', 'a/1'); // yesterday
    counter.recordUse('tok_a', 'chat', true, now, '10.0.0.2', 'b/1');
    counter.recordUse('tok_a', 'embed', false, now, '10.0.0.3', 'x'.repeat(400));
    assert.strictEqual(lastUsed.get('tok_a'), now, 'an accepted use is the token\'s last use');

    await counter.flush();
    assert.strictEqual(errors.length, 1);
    counter.recordUse('tok_a', 'chat', true, now, '10.0.0.4', 'c/1'); // counted while the database was down
    assert.deepStrictEqual(
      counter.pending('tok_a').counts.map((c) => [c.day, c.endpointId, c.accepted, c.refused]).sort(),
      [[20_000, 'chat', 2, 0], [20_000, 'embed', 0, 1], [19_999, 'chat', 1, 0]].sort(),
    );

    fail = false;
    await counter.flush();
    assert.deepStrictEqual(Object.fromEntries(added), { '19999/chat': 1000, '20000/chat': 2000, '20000/embed': 1 });
    assert.deepStrictEqual(clients.map((c) => [c.address, c.userAgent?.length]), [['10.0.0.4', 3]]);
    assert.deepStrictEqual(counter.pending('tok_a'), { counts: [], lastClient: null });
  });
});
