// What each token has been doing, from the hub: its usage (GET /v1/tokens/{id}/usage, 30 days) and its history
// (GET /v1/audit?tokenId=). Fetched lazily, when a tooltip or the Show Usage view asks, and kept until the next
// refresh of the token lists, so hovering again costs nothing and a refresh shows new numbers.
import * as vscode from 'vscode';
import type { AuditEvent, TokenUsage } from '../../contract/types';
import type { Connection, ConnectionManager } from './connections';
import type { TokenLists } from './tokenLists';

export const USAGE_WINDOW_DAYS = 30;

export interface TokenActivity {
  usage: TokenUsage;
  /** The token's audit events, newest first. */
  history: AuditEvent[];
}

export class TokenActivityCache implements vscode.Disposable {
  private readonly cache = new Map<string, Promise<TokenActivity>>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** After a refresh dropped what was fetched: open views fetch again. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly connections: ConnectionManager,
    lists: TokenLists,
  ) {
    this.subscription = lists.onDidChange(() => {
      this.cache.clear();
      this.changed.fire();
    });
  }

  get(connection: Connection, tokenId: string): Promise<TokenActivity> {
    const key = `${connection.id}/${tokenId}`;
    let pending = this.cache.get(key);
    if (!pending) {
      const client = this.connections.clientOf(connection);
      pending = Promise.all([client.getTokenUsage(tokenId, USAGE_WINDOW_DAYS), client.listAudit({ tokenId, limit: 50 })]).then(([usage, page]) => ({
        usage,
        history: page.data,
      }));
      // A failure is not kept: the next hover asks again.
      pending.catch(() => this.cache.delete(key));
      this.cache.set(key, pending);
    }
    return pending;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
