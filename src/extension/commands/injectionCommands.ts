// Use in Terminals and Debug Sessions, and Stop Using: a token's secret as an environment variable of this window's
// new terminals, tasks and debug sessions (services/injection.ts), instead of a line in .env.
import * as vscode from 'vscode';
import { validateEnvVariableName } from '../../core/validation';
import { BACK } from '../flows/prompter';
import { InjectedToken } from '../services/injection';
import { TreeNode } from '../views/tokenTree';
import { UserFacingError } from './errorBoundary';
import { chooseToken } from './pickers';
import { Services } from './services';

const DEFAULT_VARIABLE = 'TOKENHUB_TOKEN';

/** The name offered first: `tokenHub.envVariable` from user settings only, as a cloned repository must not choose it. */
function userVariableName(): string {
  const value = vscode.workspace.getConfiguration('tokenHub').inspect<string>('envVariable')?.globalValue;
  return typeof value === 'string' && !validateEnvVariableName(value.trim()) ? value.trim() : DEFAULT_VARIABLE;
}

export async function useInTerminalsCommand(services: Services, arg?: unknown): Promise<InjectedToken | undefined> {
  const target = await chooseToken(services, arg, { title: vscode.l10n.t('Use a token in terminals and debug sessions'), storedOnly: true });
  if (!target) return undefined;
  const { connection, token } = target;
  const secret = await services.secrets.get(connection.id, token.id);
  if (!secret) {
    throw new UserFacingError(vscode.l10n.t('The secret of "{0}" is not stored on this machine. Rotate the token to get a new one.', token.name));
  }
  const { injection, prompter } = services;
  let variable = injection.variableOf(connection.id, token.id) ?? userVariableName();
  for (;;) {
    const answer = await prompter.askText({
      id: 'injectVariable',
      title: vscode.l10n.t('Use "{0}" in terminals and debug sessions', token.name),
      prompt: vscode.l10n.t('The environment variable that holds the secret in new terminals, tasks and debug sessions of this window.'),
      value: variable,
      validate: (value) => validateEnvVariableName(value.trim()) ?? undefined,
    });
    if (answer === undefined || answer === BACK) return undefined;
    variable = answer.trim();
    const holder = injection.holderOf(variable);
    if (!holder || (holder.connectionId === connection.id && holder.tokenId === token.id)) break;
    const replace = vscode.l10n.t('Replace');
    const choice = await prompter.message(
      vscode.l10n.t('New terminals already get "{0}" as {1}. Give them "{2}" as {1} instead?', holder.tokenName, variable, token.name),
      { id: 'confirmInjectReplace', modal: true, severity: 'warning', detail: vscode.l10n.t('Or choose another name for "{0}".', token.name) },
      replace,
    );
    if (choice === replace) break;
    // Not replaced: ask for another name.
  }
  const entry = { connectionId: connection.id, tokenId: token.id, tokenName: token.name };
  injection.inject(entry, variable, secret);
  services.logger.info(`New terminals and debug sessions get token "${token.name}" (${token.maskedKey}) as ${variable}.`);
  void prompter.message(
    vscode.l10n.t('New terminals and debug sessions of this window get "{0}" as {1}; restart open terminals to use it. It is not kept after the window closes or reloads.', token.name, variable),
    { id: 'injected' },
  );
  if (terminalsAreRevived()) void warnAboutTerminalRevival(services, variable);
  return { ...entry, variable };
}

// VS Code's own terminal revival: when the window closes, it saves each open terminal's environment (with the secret)
// in its workspace storage on disk, to start the terminal again next time. Only the person can turn that off.
const REVIVAL_SECTION = 'terminal.integrated';
const REVIVAL_SETTING = 'persistentSessionReviveProcess';

function terminalsAreRevived(): boolean {
  const config = vscode.workspace.getConfiguration(REVIVAL_SECTION);
  return config.get<boolean>('enablePersistentSessions', true) && config.get<string>(REVIVAL_SETTING, 'onExit') !== 'never';
}

async function warnAboutTerminalRevival(services: Services, variable: string): Promise<void> {
  const turnOff = vscode.l10n.t('Turn Off Terminal Revival');
  const choice = await services.prompter.message(
    vscode.l10n.t('When VS Code closes, it saves the environment of open terminals on disk to start them again, {0} included. Turn that off to keep the secret off disk, or close those terminals before you quit.', variable),
    { id: 'terminalRevival', severity: 'warning' },
    turnOff,
  );
  if (choice !== turnOff) return;
  await vscode.workspace.getConfiguration(REVIVAL_SECTION).update(REVIVAL_SETTING, 'never', vscode.ConfigurationTarget.Global);
  void services.prompter.message(
    vscode.l10n.t('VS Code no longer saves open terminals when it closes (terminal.integrated.persistentSessionReviveProcess is "never" in your user settings).'),
    { id: 'terminalRevivalOff' },
  );
}

export async function stopUsingInTerminalsCommand(services: Services, arg?: unknown): Promise<boolean> {
  const { injection, prompter } = services;
  let entry: InjectedToken | undefined;
  const node = arg as TreeNode | undefined;
  if (node && typeof node === 'object' && node.kind === 'token') {
    entry = injection.list().find((candidate) => candidate.connectionId === node.connection.id && candidate.tokenId === node.token.id);
    if (!entry) throw new UserFacingError(`"${node.token.name}" is not given to terminals of this window, so there is nothing to stop.`);
  } else {
    const all = injection.list();
    if (all.length === 0) {
      throw new UserFacingError(vscode.l10n.t('No token is given to terminals of this window. Run "Token Hub: Use in Terminals and Debug Sessions" on a token first.'));
    }
    const picked = await prompter.pickOne<InjectedToken>({
      id: 'injectedToken',
      title: vscode.l10n.t('Stop using a token in terminals and debug sessions'),
      placeholder: vscode.l10n.t('Choose the token new terminals should no longer get.'),
      items: all.map((candidate) => ({ label: candidate.tokenName, description: candidate.variable, value: candidate })),
    });
    if (picked === undefined || picked === BACK) return false;
    entry = picked;
  }
  injection.remove(entry.connectionId, entry.tokenId);
  services.logger.info(`New terminals and debug sessions no longer get token "${entry.tokenName}" (${entry.variable}).`);
  void prompter.message(
    vscode.l10n.t('New terminals and debug sessions no longer get "{0}" as {1}. Restart open terminals to drop it there too.', entry.tokenName, entry.variable),
    { id: 'injectionStopped' },
  );
  return true;
}
