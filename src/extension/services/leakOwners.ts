// Which connected workspace a found access token belongs to, by its secret and never by its mask (the mask is
// public: anyone can forge a token with a valid checksum and the same first and last four characters). First the
// secrets stored on this machine (an exact match); then, for each connected workspace whose hub lists a token with
// one of the secret's masks, the hub's lookup. A secret goes only to a hub that lists its mask, so no hub learns
// another hub's secrets. Answers are cached for a minute (the light bulb and the usage index ask often) and forgotten
// when a list, a connection or the stored secrets change; they are keyed by a hash of the secret, never the secret itself.
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { Token } from '../../contract/types';
import { ACCESS_TOKEN_PREFIX, isValidToken, maskCandidates, maskToken } from '../../core/token';
import { secretHash } from '../../core/usageIndex';
import { Connection, ConnectionManager } from './connections';
import { Logger } from './logger';
import { TokenLists } from './tokenLists';
import { TokenSecretStore } from './tokenSecrets';

export interface TokenOwner {
  connection: Connection;
  token: Token;
}

/**
 * What a secret is: a live token of a connected workspace; one that has expired; `notLive` when every connected hub
 * answered and none holds it (unknown or revoked); `unchecked` when signed in nowhere or a hub could not be asked.
 */
export type TokenIdentity =
  | { state: 'live'; owner: TokenOwner }
  | { state: 'expired'; owner: TokenOwner }
  | { state: 'notLive' }
  | { state: 'unchecked' };

const CACHE_MS = 60_000;

export class TokenOwners implements vscode.Disposable {
  private readonly answers = new Map<string, { at: number; identity: Promise<TokenIdentity> }>();
  private readonly subscriptions: vscode.Disposable[];
  private readonly changed = new vscode.EventEmitter<void>();
  /** After cached answers were dropped (a list or a connection changed): ask again. */
  readonly onDidForget = this.changed.event;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly lists: TokenLists,
    private readonly secrets: TokenSecretStore,
    private readonly logger: Logger,
  ) {
    this.subscriptions = [lists.onDidChange(() => this.forget()), connections.onDidChange(() => this.forget()), secrets.onDidChange(() => this.forget()), this.changed];
  }

  /** The connected workspace holding this access token, or undefined (not ours, signed out, hub unreachable). */
  async find(secret: string, fresh = false): Promise<TokenOwner | undefined> {
    const identity = await this.identify(secret, fresh);
    return identity.state === 'live' || identity.state === 'expired' ? identity.owner : undefined;
  }

  identify(secret: string, fresh = false): Promise<TokenIdentity> {
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) return Promise.resolve({ state: 'notLive' });
    const key = secretHash(secret);
    const cached = this.answers.get(key);
    if (!fresh && cached && Date.now() - cached.at < CACHE_MS) return cached.identity;
    const identity = this.lookUp(secret);
    this.answers.set(key, { at: Date.now(), identity });
    return identity;
  }

  forget(): void {
    this.answers.clear();
    this.changed.fire();
  }

  private async lookUp(secret: string): Promise<TokenIdentity> {
    const connected = this.connections.connected();
    if (connected.length === 0) return { state: 'unchecked' };
    // 1. A secret stored on this machine: certain, and no request to the hub but for the token's details.
    for (const connection of connected) {
      for (const tokenId of await this.secrets.loadIndex(connection.id)) {
        if ((await this.secrets.get(connection.id, tokenId)) !== secret) continue;
        const loaded = this.lists.get(connection).tokens.find((token) => token.id === tokenId);
        if (loaded) return identityOf({ connection, token: loaded });
        try {
          return identityOf({ connection, token: await this.connections.clientOf(connection).getToken(tokenId) });
        } catch (error) {
          if (!(error instanceof HubRequestError && error.status === 404)) this.logger.error(`Looking up token ${tokenId} failed`, error);
        }
      }
    }
    // 2. The hub's lookup, asked only of hubs that list a token with one of the secret's masks.
    const masks = maskCandidates(secret);
    let unanswered = false;
    for (const connection of connected) {
      try {
        const client = this.connections.clientOf(connection);
        const listed =
          this.lists.get(connection).tokens.some((token) => masks.includes(token.maskedKey)) ||
          (await Promise.all(masks.map((maskedKey) => client.listTokens({ maskedKey, limit: 1 })))).some((page) => page.data.length > 0);
        if (!listed) continue;
        const token = await client.lookupToken(secret);
        if (token) return identityOf({ connection, token });
      } catch (error) {
        unanswered = true;
        this.logger.error(`Looking for ${maskToken(secret)} among the tokens of "${connection.workspaceName}" failed`, error);
      }
    }
    return { state: unanswered ? 'unchecked' : 'notLive' };
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

function identityOf(owner: TokenOwner): TokenIdentity {
  const expired = owner.token.expiresAt !== null && Date.parse(owner.token.expiresAt) <= Date.now();
  return expired ? { state: 'expired', owner } : { state: 'live', owner };
}
