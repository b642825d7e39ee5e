// The hub's in-memory parts, in-process with a fake clock: the failed-authentication limiter, the replay cache of
// idempotent responses, and the last-used writer.
import assert from 'assert';
import { AuthFailureLimiter } from '../../src/hub/rateLimit';
import { LastUsedTracker } from '../../src/hub/lastUsed';
import { ReplayCache } from '../../src/hub/replayCache';
import type { Store } from '../../src/hub/store';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('hub components', () => {
  describe('AuthFailureLimiter', () => {
    it('blocks after the limit within a window, with the seconds left, and forgets after it', () => {
      const clock = fakeClock();
      const limiter = new AuthFailureLimiter(3, 10_000, clock.now);
      assert.strictEqual(limiter.retryAfter('a'), 0);
      for (let i = 0; i < 3; i++) limiter.recordFailure('a');
      assert.strictEqual(limiter.retryAfter('a'), 10);
      assert.strictEqual(limiter.retryAfter('b'), 0, 'per address');
      clock.advance(9_001);
      assert.strictEqual(limiter.retryAfter('a'), 1);
      clock.advance(1_000);
      assert.strictEqual(limiter.retryAfter('a'), 0);
      limiter.recordFailure('a');
      assert.strictEqual(limiter.retryAfter('a'), 0, 'a new window starts from one failure');
    });

    it('stays within its memory bound under a flood of addresses', () => {
      const clock = fakeClock();
      const limiter = new AuthFailureLimiter(5, 60_000, clock.now, 1000);
      for (let i = 0; i < 20_000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
      assert.ok(limiter.size <= 1000, `size ${limiter.size}`);
      clock.advance(60_000);
      limiter.evict();
      assert.strictEqual(limiter.size, 0);
    });
  });

  describe('ReplayCache', () => {
    it('returns the first response for 10 minutes, then nothing', () => {
      const clock = fakeClock();
      const cache = new ReplayCache(clock.now);
      const body = { token: { id: 'tok_1' }, secret: 'thub_secret' };
      cache.put('ws\u0000k', 'tok_1', 'hash', body);
      assert.deepStrictEqual(cache.get('ws\u0000k'), { tokenId: 'tok_1', requestHash: 'hash', body });
      assert.strictEqual(cache.get('other\u0000k'), null);
      clock.advance(10 * 60_000 - 1);
      assert.ok(cache.get('ws\u0000k'));
      clock.advance(1);
      assert.strictEqual(cache.get('ws\u0000k'), null);
    });

    it('holds the response encrypted, forgets a token on demand, and is bounded', () => {
      const clock = fakeClock();
      const cache = new ReplayCache(clock.now, 600_000, 100);
      cache.put('s1', 'tok_1', 'h', { secret: 'thub_PLAINTEXT_MARKER' });
      const entries = (cache as unknown as { entries: Map<string, { data: Buffer }> }).entries;
      assert.ok(!entries.get('s1')!.data.toString('latin1').includes('PLAINTEXT_MARKER'));
      cache.dropToken('tok_1');
      assert.strictEqual(cache.get('s1'), null);
      for (let i = 0; i < 500; i++) cache.put(`s${i}`, `tok_${i}`, 'h', { i });
      assert.ok(cache.size <= 100);
    });
  });

  describe('LastUsedTracker', () => {
    function fakeStore() {
      const writes: Array<Array<readonly [string, number]>> = [];
      let failing = false;
      const store = {
        recordLastUsed: async (entries: ReadonlyArray<readonly [string, number]>) => {
          if (failing) throw new Error('database down');
          writes.push([...entries]);
        },
      } as unknown as Store;
      return { store, writes, fail: (f: boolean) => (failing = f) };
    }

    it('writes a token at most once per interval, the newest use, and everything on close', async () => {
      const clock = fakeClock();
      const { store, writes } = fakeStore();
      const tracker = new LastUsedTracker(store, clock.now, 60_000);
      tracker.touch('tok_a', clock.now());
      await tracker.flush(false);
      assert.deepStrictEqual(writes, [[['tok_a', 1_000_000]]], 'the first use is written at the next tick');
      for (let i = 0; i < 50; i++) {
        clock.advance(1000);
        tracker.touch('tok_a', clock.now());
        await tracker.flush(false);
      }
      assert.strictEqual(writes.length, 1, 'throttled within the minute');
      assert.strictEqual(tracker.get('tok_a'), clock.now(), 'the newest use is known in memory');
      clock.advance(10_000);
      await tracker.flush(false);
      assert.strictEqual(writes.length, 2);
      assert.deepStrictEqual(writes[1], [['tok_a', clock.now() - 10_000]]);
      clock.advance(1000);
      tracker.touch('tok_a', clock.now());
      await tracker.close();
      assert.deepStrictEqual(writes[2], [['tok_a', clock.now()]], 'close writes what is pending');
    });

    it('keeps uses when a write fails and writes them later', async () => {
      const clock = fakeClock();
      const { store, writes, fail } = fakeStore();
      const errors: unknown[] = [];
      const tracker = new LastUsedTracker(store, clock.now, 60_000, (e) => errors.push(e));
      tracker.touch('tok_b', clock.now());
      fail(true);
      await tracker.flush(false);
      assert.strictEqual(errors.length, 1);
      fail(false);
      await tracker.flush(false);
      assert.deepStrictEqual(writes, [[['tok_b', 1_000_000]]]);
    });
  });
});
