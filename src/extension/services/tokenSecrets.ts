// Token secrets on this machine: VS Code SecretStorage and nowhere else. The index of which tokens have a
// stored secret lives in SecretStorage too, so nothing about secrets touches settings or globalState.
//
// The keys are those of version 0.1, so what it stored still reads: `tokenHub.tokenSecret/<connectionId>/<tokenId>`
// holds one secret, `tokenHub.tokenIndex/<connectionId>` a JSON array of the token ids that have one.
//
// The index exists because SecretStorage cannot list its keys (no `keys()` in VS Code 1.100). It is one entry that
// every window of this VS Code reads and writes, and SecretStorage has no compare-and-swap, so two windows writing it
// at once can still overwrite each other. What this class does about that:
// - each change re-reads the stored index and changes only its own id (add: union; delete: that id alone), never
//   writing back a list read earlier; this window's changes to one connection's index run one after the other;
// - the secret entries are the truth and the index only lists them: when the stored index changes (onDidChange), the
//   ids that appeared or vanished are checked against their secret entries and the index is repaired (an id lost to
//   another window's write comes back, one whose secret is gone is dropped); get() finding no secret for an indexed
//   id drops it too, so has() does not claim a secret that is gone.
// What it cannot guarantee: repairs wait for onDidChange, which desktop VS Code fires in every window but code-server
// fires only in the window that wrote; and code-server keeps all of a browser's secrets in one blob, which two of its
// windows can overwrite whole (any key, not only the index) without either being told.
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { Logger } from './logger';

const SECRET_PREFIX = 'tokenHub.tokenSecret/';
const INDEX_PREFIX = 'tokenHub.tokenIndex/';

const secretKey = (connectionId: string, tokenId: string) => `${SECRET_PREFIX}${connectionId}/${tokenId}`;

export class TokenSecretStore extends Disposable {
  private readonly index = new Map<string, ReadonlySet<string>>();
  /** Per connection, this window's last index change: the next one starts after it. */
  private readonly queue = new Map<string, Promise<unknown>>();
  /** Keys whose entry, if storage still holds one, is not the token's current secret (storing or deleting failed). */
  private readonly disowned = new Set<string>();
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** Fires with a connection id when which of its tokens have a stored secret changed, here or in another window. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {
    super();
    this._register(secrets.onDidChange(({ key }) => {
      if (!key.startsWith(INDEX_PREFIX)) return;
      const connectionId = key.slice(INDEX_PREFIX.length);
      // Also while this window's first change is under way: the event can come before that change has loaded the index.
      if (this.index.has(connectionId) || this.queue.has(connectionId)) void this.reconcile(connectionId);
    }));
  }

  /** The ids with a stored secret; an index storage cannot read counts as empty (logged). */
  loadIndex(connectionId: string): Promise<ReadonlySet<string>> {
    const loaded = this.index.get(connectionId);
    if (loaded) return Promise.resolve(loaded);
    return this.serial(connectionId, async () => {
      let ids = this.index.get(connectionId);
      if (ids) return ids;
      try {
        ids = await this.readIndex(connectionId);
      } catch (error) {
        this.logger.error(`Reading which token secrets are stored for ${connectionId} failed; none count as stored`, error);
        ids = new Set();
      }
      this.index.set(connectionId, ids);
      return ids;
    });
  }

  /** Synchronous check against the loaded index, for the tree. */
  has(connectionId: string, tokenId: string): boolean {
    return (this.index.get(connectionId)?.has(tokenId) ?? false) && !this.disowned.has(secretKey(connectionId, tokenId));
  }

  /** The stored secret, or undefined: none stored, or storage cannot be read (logged). */
  async get(connectionId: string, tokenId: string): Promise<string | undefined> {
    const key = secretKey(connectionId, tokenId);
    if (this.disowned.has(key)) return undefined;
    let secret: string | undefined;
    try {
      secret = await this.secrets.get(key);
    } catch (error) {
      this.logger.error(`Reading the stored secret of token ${tokenId} failed`, error);
      return undefined;
    }
    if (secret === undefined && this.has(connectionId, tokenId)) await this.reconcile(connectionId, [tokenId]);
    return secret;
  }

  /** Throws when storage refuses (no OS keyring); then nothing is left under that id, not even an older secret. */
  async store(connectionId: string, tokenId: string, secret: string): Promise<void> {
    const key = secretKey(connectionId, tokenId);
    try {
      await this.secrets.store(key, secret);
      this.disowned.delete(key);
      await this.updateIndex(connectionId, (ids) => ids.add(tokenId));
    } catch (error) {
      // A rotated token's previous secret would otherwise be handed out by Copy Token as if it were current.
      await this.forgetSecret(connectionId, tokenId);
      throw error;
    }
  }

  /** Forgets one secret. Never throws: what storage refuses to delete is logged and disowned here. */
  async delete(connectionId: string, tokenId: string): Promise<void> {
    await this.forgetSecret(connectionId, tokenId);
  }

  async deleteAll(connectionId: string): Promise<void> {
    await this.serial(connectionId, async () => {
      const ids = new Set(this.index.get(connectionId));
      try {
        for (const tokenId of await this.readIndex(connectionId)) ids.add(tokenId);
      } catch (error) {
        this.logger.error(`Reading which token secrets are stored for ${connectionId} failed`, error);
      }
      for (const tokenId of ids) await this.deleteEntry(connectionId, tokenId);
      try {
        await this.secrets.delete(INDEX_PREFIX + connectionId);
      } catch (error) {
        this.logger.error(`Forgetting the index of stored token secrets for ${connectionId} failed`, error);
      }
      this.setIndex(connectionId, new Set());
    });
  }


  private async forgetSecret(connectionId: string, tokenId: string): Promise<void> {
    await this.deleteEntry(connectionId, tokenId);
    try {
      await this.updateIndex(connectionId, (ids) => ids.delete(tokenId));
    } catch (error) {
      this.logger.error(`Removing token ${tokenId} from the index of stored secrets failed`, error);
      const ids = this.index.get(connectionId);
      if (ids?.has(tokenId)) this.setIndex(connectionId, new Set([...ids].filter((id) => id !== tokenId)));
    }
  }

  private async deleteEntry(connectionId: string, tokenId: string): Promise<void> {
    const key = secretKey(connectionId, tokenId);
    this.disowned.add(key); // until the delete is done, a read here must not return what is being deleted
    try {
      await this.secrets.delete(key);
      this.disowned.delete(key);
    } catch (error) {
      this.logger.error(`Forgetting the stored secret of token ${tokenId} failed; VS Code's secret storage may still hold it`, error);
    }
  }

  /** Re-reads the stored index, applies one change and writes it back, after this window's earlier changes. */
  private updateIndex(connectionId: string, change: (ids: Set<string>) => void): Promise<void> {
    return this.serial(connectionId, async () => {
      const stored = await this.readIndex(connectionId);
      const ids = new Set(stored);
      change(ids);
      if (!sameIds(stored, ids)) await this.writeIndex(connectionId, ids);
      this.setIndex(connectionId, ids);
    });
  }

  /**
   * Brings the index in line with the secret entries for the ids where the stored index and this window disagree,
   * and for `suspects`; writes the repaired index when it differs from what is stored.
   */
  private reconcile(connectionId: string, suspects: string[] = []): Promise<void> {
    return this.serial(connectionId, async () => {
      const known = this.index.get(connectionId);
      if (!known) return;
      let stored: Set<string> | undefined;
      try {
        stored = await this.readIndex(connectionId);
      } catch (error) {
        this.logger.error(`Reading which token secrets are stored for ${connectionId} failed`, error);
      }
      const result = new Set(stored ?? known);
      const candidates = new Set(suspects);
      for (const id of known) if (!result.has(id)) candidates.add(id);
      for (const id of result) if (!known.has(id)) candidates.add(id);
      for (const tokenId of candidates) {
        const present = await this.present(connectionId, tokenId);
        if (present === true) result.add(tokenId);
        else if (present === false) result.delete(tokenId);
      }
      if (stored && !sameIds(stored, result)) {
        try {
          await this.writeIndex(connectionId, result);
        } catch (error) {
          this.logger.error(`Repairing the index of stored token secrets for ${connectionId} failed`, error);
        }
      }
      this.setIndex(connectionId, result);
    }).catch((error) => this.logger.error(`Following the stored token secrets of ${connectionId} failed`, error));
  }

  /** Whether storage holds the token's current secret; undefined when it cannot be read. */
  private async present(connectionId: string, tokenId: string): Promise<boolean | undefined> {
    const key = secretKey(connectionId, tokenId);
    if (this.disowned.has(key)) return false;
    try {
      return (await this.secrets.get(key)) !== undefined;
    } catch {
      return undefined;
    }
  }

  private async readIndex(connectionId: string): Promise<Set<string>> {
    const raw = await this.secrets.get(INDEX_PREFIX + connectionId);
    if (!raw) return new Set();
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return new Set(parsed.filter((id): id is string => typeof id === 'string'));
    } catch {
      // Not JSON: said below.
    }
    this.logger.warn(`The index of stored token secrets for ${connectionId} is not a list of token ids; it starts again empty.`);
    return new Set();
  }

  private async writeIndex(connectionId: string, ids: ReadonlySet<string>): Promise<void> {
    await this.secrets.store(INDEX_PREFIX + connectionId, JSON.stringify([...ids]));
  }

  private setIndex(connectionId: string, ids: ReadonlySet<string>): void {
    const before = this.index.get(connectionId);
    this.index.set(connectionId, ids);
    if (!before || !sameIds(before, ids)) this.changed.fire(connectionId);
  }

  private serial<T>(connectionId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.queue.get(connectionId) ?? Promise.resolve()).then(task);
    this.queue.set(connectionId, run.catch(() => undefined));
    return run;
  }
}

function sameIds(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((id) => b.has(id));
}
