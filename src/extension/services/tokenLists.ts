// The tokens loaded from each connection, page by page. The tree, the expiry monitor and the flows read from here.
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { Token } from '../../contract/types';
import { Connection, ConnectionManager } from './connections';
import { Logger } from './logger';
import { TokenSecretStore } from './tokenSecrets';

export const PAGE_SIZE = 100;

export interface TokenList {
  tokens: Token[];
  nextCursor: string | null;
  loaded: boolean;
  loading: Promise<void> | undefined;
  error: HubRequestError | undefined;
}

export class TokenLists implements vscode.Disposable {
  private readonly lists = new Map<string, TokenList>();
  private readonly changed = new vscode.EventEmitter<Connection | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly pageLoaded = new vscode.EventEmitter<Connection>();
  /** After each page arrives (the tree already asked for it, so it is not told again). */
  readonly onDidLoad = this.pageLoaded.event;
  private search: string | undefined;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly secrets: TokenSecretStore,
    private readonly logger: Logger,
    /** Called with a 401 the first time a connection is refused, so the person is told once. */
    private readonly onRefused: (connection: Connection) => void,
  ) {}

  get filter(): string | undefined {
    return this.search;
  }

  setFilter(search: string | undefined): void {
    this.search = search || undefined;
    this.invalidateAll();
  }

  get(connection: Connection): TokenList {
    let list = this.lists.get(connection.id);
    if (!list) {
      list = { tokens: [], nextCursor: null, loaded: false, loading: undefined, error: undefined };
      this.lists.set(connection.id, list);
    }
    return list;
  }

  /** Loads the first page unless it is loaded already. */
  async ensureLoaded(connection: Connection): Promise<TokenList> {
    const list = this.get(connection);
    if (!list.loaded && !list.loading) list.loading = this.loadPage(connection, list, true);
    await list.loading;
    return list;
  }

  async loadMore(connection: Connection): Promise<void> {
    const list = this.get(connection);
    if (list.loading) return list.loading;
    if (!list.nextCursor) return;
    list.loading = this.loadPage(connection, list, false);
    await list.loading;
    this.changed.fire(connection);
  }

  /** Drops what is loaded so the next read asks the hub again. */
  invalidateAll(): void {
    this.lists.clear();
    this.changed.fire(undefined);
  }

  invalidate(connection: Connection): void {
    this.lists.delete(connection.id);
    this.changed.fire(connection);
  }

  /** Every loaded token of every connection (for expiry warnings and pickers). */
  loaded(): Array<{ connection: Connection; token: Token }> {
    return this.connections.connected().flatMap((connection) =>
      (this.lists.get(connection.id)?.tokens ?? []).map((token) => ({ connection, token })),
    );
  }

  private async loadPage(connection: Connection, list: TokenList, first: boolean): Promise<void> {
    try {
      const client = this.connections.clientOf(connection);
      await this.secrets.loadIndex(connection.id);
      const page = await client.listTokens({ limit: PAGE_SIZE, cursor: first ? null : list.nextCursor, search: this.search });
      list.tokens = first ? page.data : [...list.tokens, ...page.data];
      list.nextCursor = page.nextCursor;
      list.error = undefined;
      list.loaded = true;
      this.pageLoaded.fire(connection);
    } catch (error) {
      list.loaded = true;
      if (error instanceof HubRequestError) {
        list.error = error;
        if (error.isUnauthorized && this.connections.markRefused(connection)) this.onRefused(connection);
      } else {
        list.error = new HubRequestError('Token Hub could not read the token list. Show the log for details.', { kind: 'http', hubUrl: connection.url });
      }
      this.logger.error(`Listing tokens of "${connection.workspaceName}" failed`, error);
    } finally {
      list.loading = undefined;
    }
  }

  dispose(): void {
    this.changed.dispose();
    this.pageLoaded.dispose();
  }
}
