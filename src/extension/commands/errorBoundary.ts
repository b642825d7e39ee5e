// Around every command: log the detail (redacted), show a short sentence with what to do next.
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { EnvFileWriteError } from '../services/envFiles';
import { UnsafeTargetError } from '../services/secretTargets';
import { Services } from './services';

/** An error whose message is already a sentence for the person. */
export class UserFacingError extends Error {}

export function registerGuarded(
  services: Services,
  id: string,
  handler: (...args: unknown[]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (error) {
      reportError(services, id, error);
      return undefined;
    }
  });
}

export function reportError(services: Services, context: string, error: unknown): void {
  services.logger.error(`${context} failed`, error);
  const known = error instanceof HubRequestError || error instanceof UserFacingError || error instanceof EnvFileWriteError || error instanceof UnsafeTargetError;
  const message = known ? (error as Error).message : vscode.l10n.t('Token Hub could not finish that. Show the log for the details.');
  const actions: string[] = [];
  const signIn = vscode.l10n.t('Sign In');
  const retry = vscode.l10n.t('Retry');
  const showLog = vscode.l10n.t('Show Log');
  const manageTrust = vscode.l10n.t('Manage Workspace Trust');
  if (error instanceof UnsafeTargetError && error.needsTrust) actions.push(manageTrust);
  if (error instanceof HubRequestError && error.isUnauthorized) actions.push(signIn);
  else if (error instanceof HubRequestError && error.isUnreachable) actions.push(retry);
  actions.push(showLog);
  // Not awaited: the command finishes while the notification waits for the person.
  void services.prompts.current.message(message, { id: 'error', severity: 'error' }, ...actions).then((choice) => {
    if (choice === showLog) services.logger.show();
    else if (choice === signIn) void vscode.commands.executeCommand('tokenHub.signIn');
    else if (choice === retry) void vscode.commands.executeCommand('tokenHub.refresh');
    else if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
  });
}
