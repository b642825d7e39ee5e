// The sidebar tree: a root per connection, its tokens (masked key, last use, expiry state), their endpoints.
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { Token } from '../../contract/types';
import { describeExpiry, describeLastUsed, expiryState, ExpiryState, formatInstant } from '../../core/dates';
import { Connection, ConnectionManager } from '../services/connections';
import { SecretInjection } from '../services/injection';
import { SettingsService } from '../services/settings';
import { TokenLists } from '../services/tokenLists';
import { TokenSecretStore } from '../services/tokenSecrets';
import { TokenUsages } from '../services/tokenUsages';
import { TokenActivityCache } from '../services/tokenActivity';
import { Usage } from '../../core/usageIndex';
import { COMMAND } from '../commands/ids';
import { historyLine, usageLine } from '../../core/usageSummary';

export type TreeNode =
  | { kind: 'connection'; connection: Connection }
  | { kind: 'token'; connection: Connection; token: Token }
  | { kind: 'endpoint'; connection: Connection; token: Token; endpointId: string }
  | { kind: 'usage'; connection: Connection; token: Token; usage: Usage }
  | { kind: 'loadMore'; connection: Connection; loadedCount: number }
  | { kind: 'message'; connection: Connection; text: string; hint?: string; tooltip?: string; action: 'retry' | 'signIn' | 'create' | 'none' };

/** The state the welcome views key on (`tokenHub.state`); `empty`: signed in, and no workspace has a token. */
export type ViewState = 'signedOut' | 'empty' | 'tokens';

const STATE_ICONS: Record<ExpiryState, vscode.ThemeIcon> = {
  active: new vscode.ThemeIcon('key', new vscode.ThemeColor('charts.green')),
  never: new vscode.ThemeIcon('key', new vscode.ThemeColor('charts.yellow')),
  expiring: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  expired: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
};

export class TokenTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = this._register(new vscode.EventEmitter<TreeNode | undefined | void>());
  readonly onDidChangeTreeData = this.changed.event;
  private viewState: ViewState | undefined;
  private usages: TokenUsages | undefined;
  private activity: TokenActivityCache | undefined;
  /** Read once per settings change, not per row: reading the configuration costs more than the rest of a row. */
  private warningDays: number | undefined;
  private readonly stateChanged = this._register(new vscode.EventEmitter<ViewState>());
  /** Fires after the tree computed its root: tests and the welcome views wait on it. */
  readonly onDidChangeViewState = this.stateChanged.event;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly lists: TokenLists,
    private readonly secrets: TokenSecretStore,
    private readonly settings: SettingsService,
    private readonly injection: SecretInjection,
  ) {
    super();
    this._registerAll(
      connections.onDidChange(() => this.changed.fire()),
      lists.onDidChange(() => this.changed.fire()),
      secrets.onDidChange(() => this.changed.fire()), // "stored on this machine" changed, maybe in another window
      injection.onDidChange(() => this.changed.fire()),
      settings.onDidChange(() => (this.warningDays = undefined)),
    );
  }

  get state(): ViewState | undefined {
    return this.viewState;
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Shows under each token where it is used, and follows the index. */
  attachUsages(usages: TokenUsages): void {
    this.usages = usages;
    this._register(usages.onDidChange(() => this.changed.fire()));
  }

  /** Adds each token's usage and history to its tooltip, fetched when the tooltip is first shown. */
  attachActivity(activity: TokenActivityCache): void {
    this.activity = activity;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'token' || !this.activity || !(item.tooltip instanceof vscode.MarkdownString)) return item;
    const markdown = item.tooltip;
    try {
      const { usage, history } = await this.activity.get(node.connection, node.token.id);
      markdown.appendMarkdown(`\n\n$(pulse) ${escapeMarkdown(usageLine(usage))}`);
      const past = historyLine(history);
      if (past) markdown.appendMarkdown(`\n\n$(history) ${escapeMarkdown(past)}`);
    } catch {
      markdown.appendMarkdown(`\n\n$(warning) ${vscode.l10n.t('Its usage could not be loaded from the hub; refresh the view to try again.')}`);
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'connection') return this.connectionChildren(node.connection);
    if (node.kind === 'token') {
      const endpoints: TreeNode[] = node.token.endpoints.map((endpointId) => ({ kind: 'endpoint', connection: node.connection, token: node.token, endpointId }));
      const places: TreeNode[] = (this.usages?.placesOf(node.connection, node.token) ?? []).map((usage) => ({ kind: 'usage', connection: node.connection, token: node.token, usage }));
      return [...endpoints, ...places];
    }
    return [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'connection':
        return this.connectionItem(node.connection);
      case 'token':
        return this.tokenItem(node.connection, node.token);
      case 'endpoint': {
        const item = new vscode.TreeItem(node.endpointId, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.connection.id}/${node.token.id}/${node.endpointId}`;
        item.iconPath = new vscode.ThemeIcon('symbol-interface');
        item.contextValue = 'endpoint';
        item.tooltip = vscode.l10n.t('The token may call the endpoint "{0}".', node.endpointId);
        return item;
      }
      case 'usage': {
        const uri = vscode.Uri.file(node.usage.file);
        const label = usageLabel(node.usage);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.connection.id}/${node.token.id}/usage/${node.usage.file}:${node.usage.line}:${node.usage.column}`;
        item.iconPath = new vscode.ThemeIcon(node.usage.variable ? 'symbol-variable' : 'file-code');
        item.resourceUri = uri;
        item.contextValue = 'usage';
        item.tooltip = vscode.l10n.t('The secret of "{0}" is in {1}, line {2}. Click to open it there.', node.token.name, vscode.workspace.asRelativePath(uri), node.usage.line + 1);
        const range = new vscode.Range(node.usage.line, node.usage.column, node.usage.line, node.usage.column + node.usage.length);
        item.command = { command: 'vscode.open', title: vscode.l10n.t('Open'), arguments: [uri, { selection: range }] };
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem(vscode.l10n.t('Load more tokens…'), vscode.TreeItemCollapsibleState.None);
        item.id = `${node.connection.id}/loadMore/${node.loadedCount}`;
        item.description = vscode.l10n.t('{0} shown', node.loadedCount);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'loadMore';
        item.command = { command: COMMAND.loadMore, title: vscode.l10n.t('Load More Tokens'), arguments: [node] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.connection.id}/message`;
        // Short enough for the default sidebar width: the sentence, then what a click does; the whole story in the tooltip.
        item.description = node.hint;
        item.tooltip = node.tooltip ?? node.text;
        item.accessibilityInformation = { label: node.tooltip ?? node.text };
        item.iconPath = new vscode.ThemeIcon(MESSAGE_ICONS[node.action]);
        item.contextValue = node.action === 'retry' ? 'error' : 'message';
        // The whole row acts, so what to do is readable without hovering for the inline action.
        if (node.action === 'retry') item.command = { command: COMMAND.retry, title: vscode.l10n.t('Retry'), arguments: [node] };
        if (node.action === 'signIn') item.command = { command: COMMAND.signIn, title: vscode.l10n.t('Sign In'), arguments: [node] };
        if (node.action === 'create') item.command = { command: COMMAND.createToken, title: vscode.l10n.t('Create Access Token'), arguments: [node] };
        return item;
      }
    }
  }

  private async roots(): Promise<TreeNode[]> {
    const connections = this.connections.list();
    if (connections.length === 0) {
      this.setState('signedOut');
      return [];
    }
    // Every connection keeps its root (workspace and hub, with Sign Out and Create on it), tokens or not; an empty
    // workspace says so under its root.
    const lists = await Promise.all(connections.map((connection) => (connection.status === 'connected' ? this.lists.ensureLoaded(connection) : undefined)));
    const empty = !this.lists.filter && lists.every((list) => list !== undefined && !list.error && list.tokens.length === 0);
    this.setState(empty ? 'empty' : 'tokens');
    return connections.map((connection) => ({ kind: 'connection', connection }));
  }

  private async connectionChildren(connection: Connection): Promise<TreeNode[]> {
    if (connection.status === 'signedOut') {
      return [{ kind: 'message', connection, action: 'signIn', text: vscode.l10n.t('Signed out.'), hint: vscode.l10n.t('Sign In'), tooltip: vscode.l10n.t('Signed out: the hub refused the account key. Click to sign in again.') }];
    }
    const list = await this.lists.ensureLoaded(connection);
    if (list.error) {
      const text = list.error.isUnreachable ? vscode.l10n.t('Cannot reach the hub.') : vscode.l10n.t('The hub refused the list.');
      return [{ kind: 'message', connection, action: 'retry', text, hint: vscode.l10n.t('Retry'), tooltip: vscode.l10n.t('{0} Click to retry.', list.error.message) }];
    }
    if (list.tokens.length === 0) {
      if (this.lists.filter) return [{ kind: 'message', connection, action: 'none', text: vscode.l10n.t('No token name contains "{0}".', this.lists.filter) }];
      return [{
        kind: 'message',
        connection,
        action: 'create',
        text: vscode.l10n.t('No tokens yet.'),
        hint: vscode.l10n.t('Create one'),
        tooltip: vscode.l10n.t('The workspace "{0}" has no access tokens yet. Click to create one.', connection.workspaceName),
      }];
    }
    const nodes: TreeNode[] = list.tokens.map((token) => ({ kind: 'token', connection, token }));
    if (list.nextCursor) nodes.push({ kind: 'loadMore', connection, loadedCount: list.tokens.length });
    return nodes;
  }

  private connectionItem(connection: Connection): vscode.TreeItem {
    const item = new vscode.TreeItem(connection.workspaceName, vscode.TreeItemCollapsibleState.Expanded);
    item.id = connection.id;
    item.description = connection.url.replace(/^https?:\/\//, '');
    const signedOut = connection.status === 'signedOut';
    item.iconPath = new vscode.ThemeIcon(signedOut ? 'debug-disconnect' : 'cloud');
    // A connection made from TOKENHUB_URL for this window only offers Keep Signed In on its context menu.
    item.contextValue = signedOut ? 'connection.signedOut' : connection.windowOnly ? 'connection.windowOnly' : 'connection';
    item.tooltip = signedOut
      ? vscode.l10n.t('Workspace "{0}" at {1}: signed out. Sign in again to manage its tokens.', connection.workspaceName, connection.url)
      : vscode.l10n.t('Workspace "{0}" at {1}', connection.workspaceName, connection.url);
    return item;
  }

  private tokenItem(connection: Connection, token: Token): vscode.TreeItem {
    this.warningDays ??= this.settings.read().expiryWarningDays;
    const state = expiryState(token.expiresAt, this.warningDays, Date.now(), token.createdAt);
    const stored = this.secrets.has(connection.id, token.id);
    const item = new vscode.TreeItem(token.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${connection.id}/${token.id}`;
    const lastUsed = describeLastUsed(token.lastUsedAt);
    // What people look for, and all that fits beside the name at the default sidebar width: when it was last used,
    // and that it expired (or soon will, last, so that a narrow row cuts that and not the last use). The masked
    // key and the rest are in the tooltip.
    item.description = state === 'expired' ? describeExpiry(token.expiresAt) : state === 'expiring' ? `${lastUsed} · ${describeExpiry(token.expiresAt)}` : lastUsed;
    item.iconPath = STATE_ICONS[state];
    item.contextValue = `token.${state}${stored ? '.stored' : ''}`;
    item.tooltip = tokenTooltip(token, state, stored, this.usages?.placesOf(connection, token).length);
    item.accessibilityInformation = { label: `${token.name}, ${token.maskedKey}, ${lastUsed}, ${describeExpiry(token.expiresAt)}` };
    const variable = this.injection.variableOf(connection.id, token.id);
    if (variable) showInjection(item, variable);
    return item;
  }

  private setState(state: ViewState): void {
    if (this.viewState === state) {
      this.stateChanged.fire(state);
      return;
    }
    this.viewState = state;
    void vscode.commands.executeCommand('setContext', 'tokenHub.state', state);
    void vscode.commands.executeCommand('setContext', 'tokenHub.signedIn', state !== 'signedOut');
    this.stateChanged.fire(state);
  }
}

/** A token given to new terminals: a compact `$NAME` marker on the row, the sentence in the tooltip. */
function showInjection(item: vscode.TreeItem, variable: string): void {
  item.description = `${String(item.description ?? '')} · $${variable}`;
  item.contextValue = `${item.contextValue ?? 'token'}.injected`;
  if (item.tooltip instanceof vscode.MarkdownString) {
    item.tooltip.appendMarkdown(`\n\n$(terminal) ${vscode.l10n.t('New terminals and debug sessions of this window get it as `{0}`.', variable)}`);
  }
  if (item.accessibilityInformation) item.accessibilityInformation = { label: `${item.accessibilityInformation.label}, in terminals as ${variable}` };
}

const MESSAGE_ICONS: Record<Extract<TreeNode, { kind: 'message' }>['action'], string> = {
  retry: 'debug-disconnect',
  signIn: 'sign-in',
  create: 'add',
  none: 'info',
};

const STATE_WORDS: Record<ExpiryState, string> = {
  active: 'Active',
  never: 'Active, never expires',
  expiring: 'Expires soon',
  expired: 'Expired',
};

/** ".env as BILLING_TOKEN", "apps/api/.env.local as TOKEN", "src/app.js line 3". */
export function usageLabel(usage: Usage): string {
  const relative = vscode.workspace.asRelativePath(vscode.Uri.file(usage.file));
  return usage.variable ? vscode.l10n.t('{0} as {1}', relative, usage.variable) : vscode.l10n.t('{0} line {1}', relative, usage.line + 1);
}

/** Escapes what Markdown would read in a name, an endpoint id, an address or a user agent; hyphens stay readable. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>]/g, '\\$&');
}

export function tokenTooltip(token: Token, state: ExpiryState, stored: boolean, places?: number): vscode.MarkdownString {
  const escape = escapeMarkdown;
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.appendMarkdown(`**${escape(token.name)}** · ${STATE_WORDS[state]}\n\n`);
  markdown.appendMarkdown(`| | |\n|---|---|\n`);
  markdown.appendMarkdown(`| Key | \`${token.maskedKey}\` |\n`);
  markdown.appendMarkdown(`| Endpoints | ${token.endpoints.map(escape).join(', ')} |\n`);
  markdown.appendMarkdown(`| Created | ${formatInstant(token.createdAt)} |\n`);
  markdown.appendMarkdown(`| Last used | ${token.lastUsedAt ? formatInstant(token.lastUsedAt) : 'Never'} |\n`);
  markdown.appendMarkdown(`| Expires | ${token.expiresAt ? `${formatInstant(token.expiresAt)} (${describeExpiry(token.expiresAt)})` : 'Never'} |\n\n`);
  markdown.appendMarkdown(
    stored
      ? '$(lock) Its secret is stored on this machine, in VS Code\'s secret storage.'
      : '$(circle-slash) Its secret is not stored on this machine.',
  );
  if (places !== undefined) {
    markdown.appendMarkdown(
      places === 0
        ? '\n\nNo file of this workspace holds its secret.'
        : `\n\nIts secret is in ${places === 1 ? '1 place' : `${places} places`} in this workspace's files (listed under it).`,
    );
  }
  return markdown;
}
