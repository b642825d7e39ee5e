// Last use of tokens: the invoke path records it in memory (a Map write, never a wait); a timer writes it to the
// store at most once a minute per token, and close() writes what is left. Listings merge in what this process
// knows, so a token used here shows its newest use at once. Memory holds only tokens used in the last minute or so.
import type { Clock } from './clock';
import type { Store } from './store';

/**
 * Uses written per statement batch. A SQLite write holds the event loop (10,000 rows take ~45 ms), so a large
 * flush is written in chunks with a turn of the event loop between them: requests keep being answered meanwhile.
 */
const WRITE_CHUNK = 256;

export class LastUsedTracker {
  /** Newest use known to this process, per token. */
  private readonly latest = new Map<string, number>();
  /** Tokens whose latest use is not yet written. */
  private readonly dirty = new Set<string>();
  /** When each token was last written (this process's clock). */
  private readonly written = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: Clock,
    readonly writeIntervalMs = 60_000,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  touch(tokenId: string, at: number): void {
    this.latest.set(tokenId, at);
    this.dirty.add(tokenId);
  }

  /** The newest use this process knows, or undefined. */
  get(tokenId: string): number | undefined {
    return this.latest.get(tokenId);
  }

  forget(tokenId: string): void {
    this.latest.delete(tokenId);
    this.dirty.delete(tokenId);
    this.written.delete(tokenId);
  }

  start(tickMs = 1000): void {
    this.timer ??= setInterval(() => void this.flush(false), tickMs);
    this.timer.unref();
  }

  /** Writes due uses (all of them when `all`); failures keep them for the next try. */
  flush(all: boolean): Promise<void> {
    if (this.flushing) return all ? this.flushing.then(() => this.flush(true)) : this.flushing;
    const now = this.now();
    const due: Array<[string, number]> = [];
    for (const id of this.dirty) {
      const last = this.written.get(id);
      if (all || last === undefined || now - last >= this.writeIntervalMs) due.push([id, this.latest.get(id)!]);
    }
    // Forget what the store already has and is old enough not to be throttled any more.
    for (const [id, at] of this.written) {
      if (now - at >= this.writeIntervalMs && !this.dirty.has(id)) {
        this.written.delete(id);
        this.latest.delete(id);
      }
    }
    if (due.length === 0) return Promise.resolve();
    this.flushing = this.write(due, now).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Writes the uses chunk by chunk; on a failure the rest stay dirty for the next try. */
  private async write(due: Array<[string, number]>, now: number): Promise<void> {
    for (let start = 0; start < due.length; start += WRITE_CHUNK) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const chunk = due.length <= WRITE_CHUNK ? due : due.slice(start, start + WRITE_CHUNK);
      try {
        await this.store.recordLastUsed(chunk);
      } catch (error) {
        this.onError(error);
        return;
      }
      for (const [id, at] of chunk) {
        this.written.set(id, now);
        if (this.latest.get(id) === at) this.dirty.delete(id);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush(true);
  }
}
