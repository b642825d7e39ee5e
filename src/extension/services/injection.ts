// "Use in Terminals and Debug Sessions": a token's secret as an environment variable of the new terminals, tasks and
// debug sessions of this window, with no file at all.
//
// - Terminals and tasks: the extension's EnvironmentVariableCollection with persistent = false, so VS Code keeps it in
//   memory and never caches it in workspace storage. VS Code marks open terminals as stale ("relaunch") itself.
// - Debug sessions: a DebugConfigurationProvider for every type ('*') adds the variables to `config.env`. A value the
//   launch configuration sets itself (even null, which unsets it) wins: it is what the person wrote for that session.
// - Which tokens are injected (token id, name, variable; never the secret) is kept in memory for this window only:
//   a reload or a new window starts with none. Keeping the choice across reloads would mean re-injecting a secret
//   into terminals the person no longer thinks about; turning it on again is one command.
// The collection is the one place the secrets are held; the debug provider reads them from it.
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';

export interface InjectedToken {
  connectionId: string;
  tokenId: string;
  tokenName: string;
  variable: string;
}

const keyOf = (connectionId: string, tokenId: string) => `${connectionId}\n${tokenId}`;

export class SecretInjection extends Disposable implements vscode.DebugConfigurationProvider {
  /** By connection and token id. */
  private readonly injected = new Map<string, InjectedToken>();
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  constructor(private readonly collection: vscode.EnvironmentVariableCollection) {
    super();
    collection.persistent = false;
    // A collection persisted by an earlier version (or another build) would be handed back here: start empty.
    collection.clear();
    collection.description = undefined;
    this._register(vscode.debug.registerDebugConfigurationProvider('*', this));
  }

  list(): InjectedToken[] {
    return [...this.injected.values()];
  }

  /** The variable a token is given to terminals as, if it is. */
  variableOf(connectionId: string, tokenId: string): string | undefined {
    return this.injected.get(keyOf(connectionId, tokenId))?.variable;
  }

  /** The token a variable currently gives to terminals, if any. */
  holderOf(variable: string): InjectedToken | undefined {
    return this.list().find((entry) => entry.variable === variable);
  }

  /**
   * Gives the secret to new terminals, tasks and debug sessions as `variable`. A token has one variable: injecting it
   * again under another name moves it. Another token holding `variable` is replaced (the caller has asked).
   */
  inject(token: Omit<InjectedToken, 'variable'>, variable: string, secret: string): void {
    this.removeQuietly(token.connectionId, token.tokenId);
    const holder = this.holderOf(variable);
    if (holder) this.removeQuietly(holder.connectionId, holder.tokenId);
    this.injected.set(keyOf(token.connectionId, token.tokenId), { ...token, variable });
    this.collection.replace(variable, secret);
    this.update();
  }

  /** Stops giving the token to new terminals; true when it was given. */
  remove(connectionId: string, tokenId: string): boolean {
    const removed = this.removeQuietly(connectionId, tokenId);
    if (removed) this.update();
    return removed;
  }

  /** After a rotation: new terminals get the new secret under the same name. */
  replaceSecret(connectionId: string, tokenId: string, secret: string): void {
    const entry = this.injected.get(keyOf(connectionId, tokenId));
    if (!entry) return;
    this.collection.replace(entry.variable, secret);
    this.update();
  }

  /** Keeps only the tokens of these connections (Sign Out forgets a connection's secrets, and so its injections). */
  retainConnections(connectionIds: ReadonlySet<string>): void {
    let removed = false;
    for (const entry of this.list()) {
      if (!connectionIds.has(entry.connectionId)) removed = this.removeQuietly(entry.connectionId, entry.tokenId) || removed;
    }
    if (removed) this.update();
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration {
    // No type yet: VS Code is asking for a configuration to be made (F5 without launch.json); leave that to its debugger.
    if (this.injected.size === 0 || !config.type) return config;
    const env: Record<string, string | null> = config.env && typeof config.env === 'object' ? { ...config.env } : {};
    for (const entry of this.injected.values()) {
      const value = this.collection.get(entry.variable)?.value;
      if (value !== undefined && !(entry.variable in env)) env[entry.variable] = value;
    }
    return { ...config, env };
  }

  private removeQuietly(connectionId: string, tokenId: string): boolean {
    const key = keyOf(connectionId, tokenId);
    const entry = this.injected.get(key);
    if (!entry) return false;
    this.injected.delete(key);
    this.collection.delete(entry.variable);
    return true;
  }

  private update(): void {
    // Shown by VS Code beside a terminal's "relaunch" indicator: names only, never a secret.
    const entries = this.list();
    this.collection.description = entries.length === 0
      ? undefined
      : vscode.l10n.t('Token Hub gives {0} to new terminals of this window.', entries.map((entry) => `${entry.variable} ("${entry.tokenName}")`).join(', '));
    void vscode.commands.executeCommand('setContext', 'tokenHub.injecting', entries.length > 0);
    this.changed.fire();
  }

  override dispose(): void {
    this.collection.clear();
    super.dispose();
  }
}
