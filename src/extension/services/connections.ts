// The hubs this VS Code is signed in to. Account keys live in SecretStorage only; settings keep URL and workspace.
import * as vscode from 'vscode';
import { HubClient, HubRequestError, normaliseHubUrl } from '../../api/client';
import { Workspace } from '../../contract/types';
import { Logger } from './logger';
import { HubEntry, SettingsService } from './settings';

export type ConnectionStatus = 'connected' | 'signedOut';

export interface Connection {
  /** Stable across sessions: the hub URL and the workspace id. */
  readonly id: string;
  readonly url: string;
  readonly workspaceId: string;
  workspaceName: string;
  status: ConnectionStatus;
  client: HubClient | undefined;
  workspace: Workspace | undefined;
  /** Made from the environment (TOKENHUB_URL): kept for this window only, nothing saved, until the person keeps it. */
  windowOnly?: boolean;
}

const ACCOUNT_KEY_STORAGE_PREFIX = 'tokenHub.accountKey/';

export function connectionIdOf(url: string, workspaceId: string): string {
  return `${normaliseHubUrl(url)}#${workspaceId}`;
}

export class ConnectionManager implements vscode.Disposable {
  private readonly connections = new Map<string, Connection>();
  /** Keys of window-only connections, in memory only: never in settings or SecretStorage unless kept. */
  private readonly windowOnlyKeys = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly settings: SettingsService,
    private readonly secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {}

  /** Reads the saved hubs and their keys; does not contact any hub. */
  async load(): Promise<void> {
    // Built aside and swapped in at once: readers never see a half-loaded (or empty) list while keys are read.
    const loaded = new Map<string, Connection>();
    for (const entry of this.settings.hubs()) {
      const id = connectionIdOf(entry.url, entry.workspaceId);
      const accountKey = await this.secrets.get(ACCOUNT_KEY_STORAGE_PREFIX + id);
      loaded.set(id, {
        id,
        url: normaliseHubUrl(entry.url),
        workspaceId: entry.workspaceId,
        workspaceName: entry.workspaceName,
        status: accountKey ? 'connected' : 'signedOut',
        client: accountKey ? new HubClient({ baseUrl: entry.url, accountKey }) : undefined,
        workspace: undefined,
      });
    }
    // A window-only connection outlives a reload of the settings, unless the saved one is signed in.
    for (const [id, connection] of this.connections) {
      if (connection.windowOnly && this.windowOnlyKeys.has(id) && loaded.get(id)?.status !== 'connected') loaded.set(id, connection);
    }
    this.connections.clear();
    for (const [id, connection] of loaded) this.connections.set(id, connection);
    this.changed.fire();
  }

  list(): Connection[] {
    return [...this.connections.values()];
  }

  get(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  connected(): Connection[] {
    return this.list().filter((connection) => connection.status === 'connected');
  }

  /**
   * Checks the key with GET /v1/workspace, and only then saves it (or, with `windowOnly`, keeps it in memory for this
   * window only). Throws HubRequestError on refusal.
   */
  async signIn(url: string, accountKey: string, options: { windowOnly?: boolean } = {}): Promise<Connection> {
    const baseUrl = normaliseHubUrl(url);
    const client = new HubClient({ baseUrl, accountKey });
    const workspace = await client.getWorkspace();
    const id = connectionIdOf(baseUrl, workspace.id);
    const windowOnly = options.windowOnly === true;
    if (windowOnly) this.windowOnlyKeys.set(id, accountKey);
    else await this.save(id, baseUrl, workspace, accountKey);
    const connection: Connection = {
      id,
      url: baseUrl,
      workspaceId: workspace.id,
      workspaceName: workspace.name,
      status: 'connected',
      client,
      workspace,
      windowOnly,
    };
    this.connections.set(id, connection);
    this.logger.info(`Signed in to workspace "${workspace.name}" at ${baseUrl}${windowOnly ? ' for this window only' : ''}.`);
    this.changed.fire();
    return connection;
  }

  /** Saves a window-only connection like a sign-in: the key to SecretStorage, the hub to user settings. */
  async keep(id: string): Promise<Connection | undefined> {
    const connection = this.connections.get(id);
    const accountKey = this.windowOnlyKeys.get(id);
    if (!connection?.windowOnly || !accountKey) return undefined;
    await this.save(id, connection.url, { id: connection.workspaceId, name: connection.workspaceName }, accountKey);
    this.windowOnlyKeys.delete(id);
    connection.windowOnly = false;
    this.logger.info(`Kept the connection to "${connection.workspaceName}" at ${connection.url}.`);
    this.changed.fire();
    return connection;
  }

  private async save(id: string, url: string, workspace: Pick<Workspace, 'id' | 'name'>, accountKey: string): Promise<void> {
    await this.secrets.store(ACCOUNT_KEY_STORAGE_PREFIX + id, accountKey);
    const entry: HubEntry = { url, workspaceId: workspace.id, workspaceName: workspace.name };
    const hubs = this.settings.hubs().filter((hub) => connectionIdOf(hub.url, hub.workspaceId) !== id);
    await this.settings.saveHubs([...hubs, entry]);
  }

  /** Forgets the connection: its key, its settings entry. */
  async signOut(id: string): Promise<void> {
    const connection = this.connections.get(id);
    this.windowOnlyKeys.delete(id);
    await this.secrets.delete(ACCOUNT_KEY_STORAGE_PREFIX + id);
    await this.settings.saveHubs(this.settings.hubs().filter((hub) => connectionIdOf(hub.url, hub.workspaceId) !== id));
    this.connections.delete(id);
    if (connection) this.logger.info(`Signed out of workspace "${connection.workspaceName}" at ${connection.url}.`);
    this.changed.fire();
  }

  /**
   * A 401 on the management API: the key was revoked or replaced. Marks the connection signed out and
   * returns true the first time, so the caller says so once rather than once per request.
   */
  markRefused(connection: Connection): boolean {
    if (connection.status === 'signedOut') return false;
    connection.status = 'signedOut';
    connection.client = undefined;
    this.windowOnlyKeys.delete(connection.id);
    void this.secrets.delete(ACCOUNT_KEY_STORAGE_PREFIX + connection.id);
    this.logger.warn(`The hub at ${connection.url} refused the account key of "${connection.workspaceName}".`);
    this.changed.fire();
    return true;
  }

  /** The connection's workspace (with its policy), fetched once per session. */
  async workspaceOf(connection: Connection): Promise<Workspace> {
    if (connection.workspace) return connection.workspace;
    const client = this.clientOf(connection);
    connection.workspace = await client.getWorkspace();
    return connection.workspace;
  }

  clientOf(connection: Connection): HubClient {
    if (!connection.client) {
      throw new HubRequestError(
        `You are signed out of "${connection.workspaceName}" at ${connection.url}. Sign in again.`,
        { kind: 'http', hubUrl: connection.url, status: 401, code: 'unauthorized' },
      );
    }
    return connection.client;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
