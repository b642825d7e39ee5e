// Which connected workspace an exposed access token belongs to, for the leak guard's "Revoke this token": first the
// secrets stored on this machine (an exact match), then the loaded token lists, then every page of each connected
// workspace's token list, matched by masked key. Answers are cached for a minute (the light bulb asks often) and
// forgotten when a list or a connection changes. Keyed by a hash of the secret, never the secret itself.
import { createHash } from 'crypto';
import * as vscode from 'vscode';
import { HubError } from '../../api/client';
import { Token } from '../../api/types';
import { ACCESS_TOKEN_PREFIX, isValidToken, maskToken } from '../../core/token';
import { Connection, ConnectionManager } from './connections';
import { Logger } from './logger';
import { TokenLists } from './tokenLists';
import { TokenSecretStore } from './tokenSecrets';

export interface TokenOwner {
  connection: Connection;
  token: Token;
}

const CACHE_MS = 60_000;

export class TokenOwners implements vscode.Disposable {
  private readonly answers = new Map<string, { at: number; owner: Promise<TokenOwner | undefined> }>();
  private readonly indexes = new Map<string, { at: number; byMaskedKey: Promise<Map<string, Token>> }>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly connections: ConnectionManager,
    private readonly lists: TokenLists,
    private readonly secrets: TokenSecretStore,
    private readonly logger: Logger,
  ) {
    this.subscriptions = [lists.onDidChange(() => this.forget()), connections.onDidChange(() => this.forget())];
  }

  /** The connected workspace holding this access token, or undefined (not ours, signed out, hub unreachable). */
  find(secret: string, fresh = false): Promise<TokenOwner | undefined> {
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) return Promise.resolve(undefined);
    const key = createHash('sha256').update(secret).digest('hex');
    const cached = this.answers.get(key);
    if (!fresh && cached && Date.now() - cached.at < CACHE_MS) return cached.owner;
    if (fresh) this.indexes.clear();
    const owner = this.lookUp(secret);
    this.answers.set(key, { at: Date.now(), owner });
    return owner;
  }

  forget(): void {
    this.answers.clear();
    this.indexes.clear();
  }

  private async lookUp(secret: string): Promise<TokenOwner | undefined> {
    const maskedKey = maskToken(secret);
    const connected = this.connections.connected();
    // 1. A secret stored on this machine: certain, and no request to the hub but for the token's details.
    for (const connection of connected) {
      for (const tokenId of await this.secrets.loadIndex(connection.id)) {
        if ((await this.secrets.get(connection.id, tokenId)) !== secret) continue;
        const loaded = this.lists.get(connection).tokens.find((token) => token.id === tokenId);
        if (loaded) return { connection, token: loaded };
        try {
          return { connection, token: await this.connections.clientOf(connection).getToken(tokenId) };
        } catch (error) {
          if (!(error instanceof HubError && error.status === 404)) this.logger.error(`Looking up token ${tokenId} failed`, error);
        }
      }
    }
    // 2. The token lists already loaded for the tree.
    const loaded = this.lists.loaded().find((entry) => entry.token.maskedKey === maskedKey);
    if (loaded) return loaded;
    // 3. Every page of each connected workspace.
    for (const connection of connected) {
      try {
        const token = (await this.indexOf(connection)).get(maskedKey);
        if (token) return { connection, token };
      } catch (error) {
        this.logger.error(`Looking for ${maskedKey} among the tokens of "${connection.workspaceName}" failed`, error);
      }
    }
    return undefined;
  }

  private indexOf(connection: Connection): Promise<Map<string, Token>> {
    const cached = this.indexes.get(connection.id);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.byMaskedKey;
    const byMaskedKey = this.connections
      .clientOf(connection)
      .listAllTokens()
      .then((tokens) => new Map(tokens.map((token) => [token.maskedKey, token])));
    byMaskedKey.catch(() => this.indexes.delete(connection.id));
    this.indexes.set(connection.id, { at: Date.now(), byMaskedKey });
    return byMaskedKey;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
