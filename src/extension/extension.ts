// The one composition root: builds every service once, injects it, and owns every disposable.
import * as vscode from 'vscode';
import { Prompter } from './flows/prompter';
import { VsCodePrompter } from './flows/vscodePrompter';
import { registerGuarded, reportError } from './commands/errorBoundary';
import { connectFromEnvironmentCommand, filterCommand, hasEnvironmentConnection, keepSignedInCommand, setFilter, signInCommand, signOutCommand } from './commands/connectionCommands';
import { insertIntoEnv } from './commands/envCommands';
import { stopUsingInTerminalsCommand, useInTerminalsCommand } from './commands/injectionCommands';
import { LeakCodeActions, leakCommandHandlers } from './commands/leakCommands';
import { Services } from './commands/services';
import { copyMaskedKeyCommand, copyTokenCommand, createTokenCommand, deleteTokenCommand, rotateTokenCommand } from './commands/tokenCommands';
import { SecretClipboard } from './services/clipboard';
import { ConnectionManager } from './services/connections';
import { EnvFileService } from './services/envFiles';
import { AutoRefresh } from './services/autoRefresh';
import { ExpiryMonitor } from './services/expiryMonitor';
import { SecretInjection } from './services/injection';
import { LeakGuard } from './services/leakGuard';
import { TokenOwners } from './services/leakOwners';
import { Logger } from './services/logger';
import { TOKENS_VIEW_ID, ViewProgress } from './services/progress';
import { SettingsService } from './services/settings';
import { TokenLists } from './services/tokenLists';
import { TokenSecretStore } from './services/tokenSecrets';
import { TokenUsages } from './services/tokenUsages';
import { TokenActivityCache } from './services/tokenActivity';
import { chooseToken } from './commands/pickers';
import { TokenTreeProvider, TreeNode } from './views/tokenTree';
import { UsagePanels } from './views/usagePanel';
import { SwappablePrompter, SwappableSecretStorage, TokenHubApi } from './testApi';

export type { TokenHubApi };
import { COMMAND, CommandId } from './commands/ids';

export async function activate(context: vscode.ExtensionContext): Promise<TokenHubApi | undefined> {
  const logger = new Logger(vscode.window.createOutputChannel('Token Hub', { log: true }));
  const settings = new SettingsService();
  const connections = new ConnectionManager(settings, context.secrets, logger);
  const testMode = context.extensionMode === vscode.ExtensionMode.Test;
  const swappable = testMode ? new SwappableSecretStorage(context.secrets) : undefined;
  const secrets = new TokenSecretStore(swappable ?? context.secrets, logger);
  const quickInputShown = new vscode.EventEmitter<vscode.QuickInput>();
  context.subscriptions.push(quickInputShown);
  const realPrompter = new VsCodePrompter(testMode ? (input) => quickInputShown.fire(input) : undefined);
  const swappablePrompter = testMode ? new SwappablePrompter(realPrompter) : undefined;
  const prompter: Prompter = swappablePrompter ?? realPrompter;
  const notifyRefused = (connection: { workspaceName: string; url: string }) => {
    const signIn = vscode.l10n.t('Sign In');
    void prompter
      .message(vscode.l10n.t('The hub at {0} refused the account key of "{1}". Sign in again.', connection.url, connection.workspaceName), { id: 'refused', severity: 'warning' }, signIn)
      .then((choice) => choice === signIn && vscode.commands.executeCommand(COMMAND.signIn));
  };
  const progress = new ViewProgress();
  const lists = new TokenLists(connections, secrets, logger, notifyRefused, progress);
  const injection = new SecretInjection(context.environmentVariableCollection);
  const tree = new TokenTreeProvider(connections, lists, secrets, settings, injection);
  const envFiles = new EnvFileService(logger);
  const clipboard = new SecretClipboard();
  const services: Services = { connections, lists, secrets, settings, logger, envFiles, clipboard, prompter, injection, progress };

  const treeView = vscode.window.createTreeView(TOKENS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const expiry = new ExpiryMonitor(lists, settings, context.globalState, (text, ...actions) =>
    prompter.message(text, { id: 'expiryNotice', severity: 'warning' }, ...actions),
  );
  context.subscriptions.push(logger, progress, connections, secrets, lists, tree, treeView, clipboard, expiry);
  context.subscriptions.push(
    injection,
    // Signing out forgets a connection's secrets: new terminals stop getting them too.
    connections.onDidChange(() => injection.retainConnections(new Set(connections.list().map((connection) => connection.id)))),
  );
  const leakGuard = new LeakGuard(settings, logger);
  const tokenOwners = new TokenOwners(connections, lists, secrets, logger);
  // Where each token lives: built in the background once activation is over (started at the end of activate()).
  const usages = new TokenUsages(tokenOwners, settings, logger);
  tree.attachUsages(usages);
  const activity = new TokenActivityCache(connections, lists);
  const usagePanels = new UsagePanels(activity);
  tree.attachActivity(activity);
  context.subscriptions.push(activity, usagePanels);
  leakGuard.useIdentities((secret) => tokenOwners.identify(secret), tokenOwners.onDidForget);
  Object.assign(services, { usages, owners: tokenOwners, leakGuard });
  context.subscriptions.push(
    leakGuard,
    tokenOwners,
    usages,
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new LeakCodeActions(services, tokenOwners), {
      providedCodeActionKinds: LeakCodeActions.kinds,
    }),
  );

  const updateMessage = () => {
    treeView.message = lists.filter ? vscode.l10n.t('Showing tokens whose name contains "{0}".', lists.filter) : undefined;
  };
  const refreshAll = async () => {
    await connections.load();
    lists.invalidateAll();
  };
  const command = (id: CommandId, handler: (...args: unknown[]) => unknown) => context.subscriptions.push(registerGuarded(services, id, handler));

  command(COMMAND.signIn, (arg) => signInCommand(services, arg));
  command(COMMAND.signOut, (arg) => signOutCommand(services, arg));
  command(COMMAND.connectFromEnvironment, () => connectFromEnvironmentCommand(services));
  command(COMMAND.keepSignedIn, (arg) => keepSignedInCommand(services, arg));
  command(COMMAND.refresh, refreshAll);
  command(COMMAND.retry, refreshAll);
  command(COMMAND.createToken, (arg) => createTokenCommand(services, arg));
  command(COMMAND.deleteToken, (arg) => deleteTokenCommand(services, arg));
  command(COMMAND.rotateToken, (arg) => rotateTokenCommand(services, arg));
  command(COMMAND.copyToken, (arg) => copyTokenCommand(services, arg));
  command(COMMAND.copyMaskedKey, (arg) => copyMaskedKeyCommand(services, arg));
  command(COMMAND.insertIntoEnv, (arg) => insertIntoEnv(services, arg));
  command(COMMAND.useInTerminals, (arg) => useInTerminalsCommand(services, arg));
  command(COMMAND.stopUsingInTerminals, (arg) => stopUsingInTerminalsCommand(services, arg));
  command(COMMAND.filter, async () => {
    await filterCommand(services);
    updateMessage();
  });
  command(COMMAND.clearFilter, () => {
    setFilter(services, undefined);
    updateMessage();
  });
  command(COMMAND.loadMore, async (arg) => {
    const node = arg as TreeNode | undefined;
    if (node && node.kind === 'loadMore') await lists.loadMore(node.connection);
  });
  command(COMMAND.showLog, () => logger.show());
  command(COMMAND.showUsage, async (arg) => {
    const target = await chooseToken(services, arg, { title: vscode.l10n.t('Show the usage of an access token') });
    if (target) await usagePanels.show(target.connection, target.token);
  });
  command(COMMAND.cancelIndex, () => usages.cancel());
  // tokenHub.scanWorkspace and the leak guard's quick fixes.
  for (const [id, handler] of Object.entries(leakCommandHandlers(services, leakGuard, tokenOwners))) command(id as CommandId, handler);

  context.subscriptions.push(
    new AutoRefresh(settings, lists),
    settings.onDidChange((event) => {
      if (event.affectsConfiguration('tokenHub.hubs')) void refreshAll();
      if (event.affectsConfiguration('tokenHub.expiryWarningDays')) {
        tree.refresh();
        expiry.update();
      }
    }),
  );

  // "Keep Signed In" in the Command Palette while a connection made from TOKENHUB_URL lasts for this window only.
  const updateWindowOnly = () => void vscode.commands.executeCommand('setContext', 'tokenHub.windowOnlyConnection', connections.list().some((c) => c.windowOnly));
  context.subscriptions.push(connections.onDidChange(updateWindowOnly));
  // Restricted Mode: writes into the folder are refused (secretTargets.ts); once trusted they work without a reload.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      logger.info('The folder is now trusted: Token Hub may write secrets into its files.');
      tree.refresh();
    }),
  );
  await vscode.commands.executeCommand('setContext', 'tokenHub.environmentConnectionAvailable', hasEnvironmentConnection());
  try {
    await connections.load();
  } catch (error) {
    reportError(services, 'Loading the saved hubs', error);
  }
  if (connections.connected().length === 0 && hasEnvironmentConnection()) {
    // First run in a VS Code started with TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY (the demo, CI): connect with them,
    // for this window only (a dev container's remoteEnv can set them); a notification offers to keep the connection.
    // Also when the saved hubs have no account key here (code-server keeps secrets per browser: the demo's URL opened
    // in another browser), which would otherwise leave "Signed out" and a key that was never shown to anyone.
    // Failing here is not an error to shout about: the welcome view still offers the button and Sign In.
    // Not awaited, so activation does not wait on the network; the tree updates when the connection is made.
    void connectFromEnvironmentCommand(services).catch((error) => logger.warn(`Connecting with TOKENHUB_URL failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  // The first page of each connection, in the background, so expiry warnings show without opening the view.
  for (const connection of connections.connected()) void lists.ensureLoaded(connection);
  usages.start();
  logger.info(`Token Hub activated with ${connections.list().length} saved connection(s).`);

  if (!testMode) return undefined;
  return {
    services,
    tree,
    secretStorage: context.secrets,
    expiry,
    treeView,
    leakGuard,
    usages,
    progress,
    onDidShowQuickInput: quickInputShown.event,
    usagePanels,
    setPrompter: (scripted) => swappablePrompter?.use(scripted),
    useTokenSecretStorage: (storage) => swappable?.use(storage),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
