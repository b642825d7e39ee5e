// The last-used writer splits a large flush into chunks with a turn of the event loop between them (a SQLite write
// holds the event loop), and still writes everything due in that one flush.
import assert from 'assert';
import { LastUsedTracker } from '../../src/hub/lastUsed';
import type { Store } from '../../src/hub/store';

describe('LastUsedTracker: large flushes', () => {
  it('writes 1,000 first uses in one flush, in chunks, letting the event loop turn between chunks', async () => {
    const writes: number[] = [];
    let turns = 0;
    let counting = true;
    const tick = () => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    const store = {
      recordLastUsed: async (entries: ReadonlyArray<readonly [string, number]>) => {
        writes.push(entries.length);
      },
    } as unknown as Store;
    const tracker = new LastUsedTracker(store, () => 1_000_000, 60_000);
    for (let i = 0; i < 1000; i++) tracker.touch(`tok_${i}`, 1_000_000);
    setImmediate(tick);
    await tracker.flush(false);
    counting = false;
    assert.strictEqual(writes.reduce((a, b) => a + b, 0), 1000, 'every first use written by the one flush');
    assert.ok(writes.length > 1, `written in chunks (${writes.join(', ')})`);
    assert.ok(turns >= writes.length - 1, `the event loop turned between chunks (${turns} turns)`);
    await tracker.flush(false);
    assert.strictEqual(writes.reduce((a, b) => a + b, 0), 1000, 'nothing left to write');
  });

  it('a failing chunk keeps it and the rest for the next flush', async () => {
    const written: string[] = [];
    let calls = 0;
    const errors: unknown[] = [];
    const store = {
      recordLastUsed: async (entries: ReadonlyArray<readonly [string, number]>) => {
        if (++calls === 2) throw new Error('database down');
        written.push(...entries.map(([id]) => id));
      },
    } as unknown as Store;
    const tracker = new LastUsedTracker(store, () => 1_000_000, 60_000, (e) => errors.push(e));
    for (let i = 0; i < 1000; i++) tracker.touch(`tok_${i}`, 1_000_000);
    await tracker.flush(false);
    assert.strictEqual(errors.length, 1);
    assert.ok(written.length > 0 && written.length < 1000);
    await tracker.flush(false);
    assert.deepStrictEqual(new Set(written).size, 1000, 'the rest written on the next flush');
  });
});
