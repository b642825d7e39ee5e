// Token secrets on this machine: VS Code SecretStorage and nowhere else. The index of which tokens have a
// stored secret lives in SecretStorage too, so nothing about secrets touches settings or globalState.
import * as vscode from 'vscode';

const SECRET_PREFIX = 'tokenHub.tokenSecret/';
const INDEX_PREFIX = 'tokenHub.tokenIndex/';

export class TokenSecretStore {
  private readonly index = new Map<string, Set<string>>();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  async loadIndex(connectionId: string): Promise<Set<string>> {
    let ids = this.index.get(connectionId);
    if (!ids) {
      const raw = await this.secrets.get(INDEX_PREFIX + connectionId);
      ids = new Set(raw ? (JSON.parse(raw) as string[]) : []);
      this.index.set(connectionId, ids);
    }
    return ids;
  }

  /** Synchronous check against the loaded index, for the tree. */
  has(connectionId: string, tokenId: string): boolean {
    return this.index.get(connectionId)?.has(tokenId) ?? false;
  }

  get(connectionId: string, tokenId: string): Thenable<string | undefined> {
    return this.secrets.get(`${SECRET_PREFIX}${connectionId}/${tokenId}`);
  }

  async store(connectionId: string, tokenId: string, secret: string): Promise<void> {
    await this.secrets.store(`${SECRET_PREFIX}${connectionId}/${tokenId}`, secret);
    const ids = await this.loadIndex(connectionId);
    ids.add(tokenId);
    await this.saveIndex(connectionId, ids);
  }

  async delete(connectionId: string, tokenId: string): Promise<void> {
    await this.secrets.delete(`${SECRET_PREFIX}${connectionId}/${tokenId}`);
    const ids = await this.loadIndex(connectionId);
    if (ids.delete(tokenId)) await this.saveIndex(connectionId, ids);
  }

  async deleteAll(connectionId: string): Promise<void> {
    const ids = await this.loadIndex(connectionId);
    for (const tokenId of ids) await this.secrets.delete(`${SECRET_PREFIX}${connectionId}/${tokenId}`);
    ids.clear();
    await this.secrets.delete(INDEX_PREFIX + connectionId);
  }

  private async saveIndex(connectionId: string, ids: Set<string>): Promise<void> {
    await this.secrets.store(INDEX_PREFIX + connectionId, JSON.stringify([...ids]));
  }
}
