// Usage of tokens per UTC day and endpoint (GET /v1/tokens/{id}/usage): every decision about a token's use (invoke,
// verify, the gateway) calls recordUse, which counts in memory (Map writes, never a wait) and records last use. A
// timer adds the counts to the store once per flush interval (the last-used write interval, 60 s by default) with an
// additive upsert, so instances sharing a database never overwrite each other; close() writes what is left. An
// instance that is killed loses at most the uses of one flush interval. Counts older than 90 days are pruned.
import type { Clock } from './clock';
import type { LastUsedTracker } from './lastUsed';
import type { LastClient, Store, TokenUsageRecord, UsageCount } from './store';

export const DAY_MS = 86_400_000;
/** How long counts are kept, and the longest window GET /v1/tokens/{id}/usage answers. */
export const USAGE_RETENTION_DAYS = 90;
/** An endpoint id longer than any endpoint's (refused calls name what the client sent) is counted under this. */
export const OTHER_ENDPOINT = '(other)';
const ENDPOINT_ID_MAX = 64;

/** The UTC day (whole days since the epoch) of an instant. */
export function utcDay(at: number): number {
  return Math.floor(at / DAY_MS);
}

/** What the decisions call for each use of a token: accepted (it may call the endpoint) or refused (403). */
export interface UseRecorder {
  recordUse(tokenId: string, endpointId: string, accepted: boolean, at: number, address: string, userAgent: string | undefined): void;
}

export class UsageCounter implements UseRecorder {
  /** Counts not yet written, per token, day and endpoint. */
  private counts = new Map<string, UsageCount>();
  /** The newest client per token not yet written. */
  private clients = new Map<string, LastClient>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPrunedDay = -1;

  constructor(
    private readonly store: Store,
    private readonly lastUsed: LastUsedTracker,
    private readonly now: Clock,
    readonly flushIntervalMs = 60_000,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  recordUse(tokenId: string, endpointId: string, accepted: boolean, at: number, address: string, userAgent: string | undefined): void {
    if (accepted) this.lastUsed.touch(tokenId, at);
    const endpoint = endpointId.length <= ENDPOINT_ID_MAX ? endpointId : OTHER_ENDPOINT;
    const day = utcDay(at);
    const key = `${tokenId}\u0000${day}\u0000${endpoint}`;
    let count = this.counts.get(key);
    if (count === undefined) this.counts.set(key, (count = { tokenId, day, endpointId: endpoint, accepted: 0, refused: 0 }));
    if (accepted) count.accepted++;
    else count.refused++;
    const agent = userAgent === undefined ? null : userAgent.length > 256 ? userAgent.slice(0, 256) : userAgent;
    const last = this.clients.get(tokenId);
    if (last === undefined) this.clients.set(tokenId, { tokenId, at, address, userAgent: agent });
    else if (last.at <= at) {
      // Updated in place: no allocation per call on the hot path.
      last.at = at;
      last.address = address;
      last.userAgent = agent;
    }
  }

  /** What this process counted for the token and has not written yet (merged into answers, as last use is). */
  pending(tokenId: string): TokenUsageRecord {
    const counts: UsageCount[] = [];
    for (const count of this.counts.values()) if (count.tokenId === tokenId) counts.push({ ...count });
    const last = this.clients.get(tokenId);
    return { counts, lastClient: last ? { at: last.at, address: last.address, userAgent: last.userAgent } : null };
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Adds what was counted to the store; on a failure the counts are merged back for the next try. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const counts = this.counts;
    const clients = this.clients;
    const today = utcDay(this.now());
    const prune = today !== this.lastPrunedDay;
    if (counts.size === 0 && clients.size === 0 && !prune) return Promise.resolve();
    this.counts = new Map();
    this.clients = new Map();
    this.flushing = (async () => {
      try {
        await this.store.recordUsage([...counts.values()], [...clients.values()]);
      } catch (error) {
        this.onError(error);
        this.mergeBack(counts, clients);
        return;
      }
      if (prune) {
        this.lastPrunedDay = today;
        await this.store.pruneUsage(today - USAGE_RETENTION_DAYS).catch(this.onError);
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private mergeBack(counts: Map<string, UsageCount>, clients: Map<string, LastClient>): void {
    for (const [key, old] of counts) {
      const now = this.counts.get(key);
      if (now === undefined) this.counts.set(key, old);
      else {
        now.accepted += old.accepted;
        now.refused += old.refused;
      }
    }
    for (const [id, old] of clients) {
      const now = this.clients.get(id);
      if (now === undefined || now.at < old.at) this.clients.set(id, old);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
