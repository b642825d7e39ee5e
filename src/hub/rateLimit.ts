// Failed authentications per client address, in fixed windows: after `limit` failures within a window, every
// further failed attempt from that address gets 429 instead of 401 until the window ends. A valid credential is
// never refused (a 256-bit secret cannot be guessed, so refusing valid ones would only let anyone lock others out,
// and behind a proxy everyone shares an address). Successes do not count; a request without any credential is not
// counted (it guesses nothing). Memory is bounded by `maxAddresses`.
import type { Clock } from './clock';
import { HubError, errors } from './errors';
import { prebuilt } from './wireError';

const UNAUTHORIZED = prebuilt(errors.unauthorized());

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

  /**
   * A failed authentication from the address: counted, and answered 401, or 429 once the address is over the
   * limit (a blocked address's failures are not counted further: its window ends when it began).
   */
  refuse(address: string): HubError {
    const wait = this.retryAfter(address);
    if (wait > 0) return errors.rateLimited(wait);
    this.recordFailure(address);
    return UNAUTHORIZED;
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
    dropOldestTenth(this.entries, this.maxAddresses);
  }

  get size(): number {
    return this.entries.size;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (the account key of POST /v1/tokens/lookup): `burst` calls at once, then `perSecond`
 * calls a second. Separate from AuthFailureLimiter on purpose: a scan full of dead secrets is not a failed
 * authentication and must not lock the person's address out. Memory is bounded by `maxKeys`.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly now: Clock = Date.now,
    readonly maxKeys = 50_000,
  ) {}

  /** Takes one call from the key's bucket: 0 when allowed, else the seconds until the next call is. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Drops buckets that have filled up again (they behave as new ones); if that frees nothing, the oldest tenth. */
  evict(now = this.now()): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    dropOldestTenth(this.buckets, this.maxKeys);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** When a limiter's map is still full after dropping what is finished: the oldest tenth (insertion order) goes. */
function dropOldestTenth(entries: Map<string, unknown>, max: number): void {
  if (entries.size < max) return;
  let drop = Math.max(1, Math.floor(max / 10));
  for (const key of entries.keys()) {
    entries.delete(key);
    if (--drop === 0) break;
  }
}
