// The first response to an idempotent request, secret included, kept for replays from this process only:
// in memory, encrypted with a per-process random AES-256-GCM key, for at most 10 minutes. Never written anywhere.
import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import type { Clock } from './clock';

interface Entry {
  expiresAt: number;
  tokenId: string;
  requestHash: string;
  iv: Buffer;
  data: Buffer;
  tag: Buffer;
}

export class ReplayCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: Clock,
    readonly ttlMs = 10 * 60_000,
    readonly maxEntries = 10_000,
  ) {}

  put(scope: string, tokenId: string, requestHash: string, body: unknown): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(scope));
    const data = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
    this.entries.delete(scope);
    if (this.entries.size >= this.maxEntries) this.sweep();
    this.entries.set(scope, { expiresAt: this.now() + this.ttlMs, tokenId, requestHash, iv, data, tag: cipher.getAuthTag() });
  }

  get(scope: string): { tokenId: string; requestHash: string; body: unknown } | null {
    const entry = this.entries.get(scope);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(scope);
      return null;
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, entry.iv);
    decipher.setAAD(Buffer.from(scope));
    decipher.setAuthTag(entry.tag);
    const text = Buffer.concat([decipher.update(entry.data), decipher.final()]).toString('utf8');
    return { tokenId: entry.tokenId, requestHash: entry.requestHash, body: JSON.parse(text) };
  }

  /** Forgets every response about a token (it was deleted or rotated: its old secret must not be handed out). */
  dropToken(tokenId: string): void {
    for (const [scope, entry] of this.entries) if (entry.tokenId === tokenId) this.entries.delete(scope);
  }

  /** Drops expired entries; if still full, the oldest. */
  sweep(): void {
    const now = this.now();
    for (const [scope, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(scope);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}
