// The verified-token cache of one hub process, shared by both stores: token records by secret digest, bounded (least
// recently used dropped first), droppable by token id. It only holds hits: an unknown digest is never cached, so a
// token created anywhere works at once. When an entry may be dropped is each store's business (sqlite.ts: the
// database's data_version; postgres.ts: LISTEN/NOTIFY with leases, pgInvalidation.ts).
import type { TokenAuthRecord } from './store';

/** Default of `tokenhub serve --token-cache-size`: entries, about 300 bytes each. */
export const DEFAULT_TOKEN_CACHE_SIZE = 50_000;

export interface TokenCacheStats {
  size: number;
  max: number;
  hits: number;
  misses: number;
}

export class TokenCache {
  /** Map keeps insertion order: a hit is re-inserted, so the first key is the least recently used. */
  private readonly byDigest = new Map<string, TokenAuthRecord>();
  /** The digests (current, previous) cached per token id, to drop a token without a scan. */
  private readonly byId = new Map<string, string[]>();
  hits = 0;
  misses = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.byDigest.size;
  }

  get(key: string): TokenAuthRecord | undefined {
    const record = this.byDigest.get(key);
    if (record === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.byDigest.delete(key);
    this.byDigest.set(key, record);
    return record;
  }

  set(key: string, record: TokenAuthRecord): void {
    if (this.max <= 0) return;
    if (this.byDigest.has(key)) this.remove(key);
    this.byDigest.set(key, record);
    const keys = this.byId.get(record.id);
    if (keys) keys.push(key);
    else this.byId.set(record.id, [key]);
    if (this.byDigest.size > this.max) this.remove(this.byDigest.keys().next().value as string);
  }

  /** Drops every entry of the token (its current and previous secret). */
  dropToken(id: string): void {
    const keys = this.byId.get(id);
    if (keys === undefined) return;
    this.byId.delete(id);
    for (const key of keys) this.byDigest.delete(key);
  }

  clear(): void {
    this.byDigest.clear();
    this.byId.clear();
  }

  stats(): TokenCacheStats {
    return { size: this.byDigest.size, max: this.max, hits: this.hits, misses: this.misses };
  }

  private remove(key: string): void {
    const record = this.byDigest.get(key);
    if (record === undefined) return;
    this.byDigest.delete(key);
    const keys = this.byId.get(record.id);
    if (keys === undefined) return;
    const rest = keys.filter((k) => k !== key);
    if (rest.length === 0) this.byId.delete(record.id);
    else this.byId.set(record.id, rest);
  }
}
