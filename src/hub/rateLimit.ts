// Failed authentications per client address, in fixed windows: after `limit` failures within a window, every
// authenticated request from that address gets 429 until the window ends. Successes do not count. A request
// without any credential is not counted (it guesses nothing). Memory is bounded by `maxAddresses`.
import type { Clock } from './clock';

interface Entry {
  failures: number;
  resetAt: number;
}

export class AuthFailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: Clock = Date.now,
    readonly maxAddresses = 50_000,
  ) {}

  /** Seconds until the address may try again, or 0 when it is not blocked. Cheap when nothing failed. */
  retryAfter(address: string): number {
    if (this.entries.size === 0) return 0;
    const entry = this.entries.get(address);
    if (entry === undefined || entry.failures < this.limit) return 0;
    const left = entry.resetAt - this.now();
    if (left <= 0) {
      this.entries.delete(address);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  recordFailure(address: string): void {
    const now = this.now();
    const entry = this.entries.get(address);
    if (entry !== undefined && entry.resetAt > now) {
      entry.failures++;
      return;
    }
    if (entry !== undefined) this.entries.delete(address);
    if (this.entries.size >= this.maxAddresses) this.evict(now);
    this.entries.set(address, { failures: 1, resetAt: now + this.windowMs });
  }

  /** Drops finished windows; if that frees nothing, the oldest tenth (insertion order). */
  evict(now = this.now()): void {
    for (const [address, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(address);
    if (this.entries.size < this.maxAddresses) return;
    let drop = Math.max(1, Math.floor(this.maxAddresses / 10));
    for (const address of this.entries.keys()) {
      this.entries.delete(address);
      if (--drop === 0) break;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
