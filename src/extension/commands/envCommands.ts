// Insert into .env: token → folder → file → variable → (replace?) → write safely → warn if git would commit it.
import * as path from 'path';
import * as vscode from 'vscode';
import { validateEnvVariableName } from '../../core/validation';
import { findEnvVariable, findSecretInEnv } from '../../core/env';
import { BACK, Prompter } from '../flows/prompter';
import { DONE, FlowStep, runSteps } from '../flows/steps';
import { EnvTarget } from '../services/envFiles';
import { envFileProblem, RESTRICTED_MODE_TEXT, UnsafeTargetError } from '../services/secretTargets';
import { UserFacingError } from './errorBoundary';
import { chooseToken, TokenTarget } from './pickers';
import { Services } from './services';

export { envFileProblem };

/** A message with "Open .env" (named after the file), which opens it at the line. */
function offerToOpen(prompter: Prompter, text: string, uri: vscode.Uri, line: number): void {
  const open = vscode.l10n.t('Open {0}', path.basename(uri.fsPath));
  void prompter.message(text, { id: 'envWritten' }, open).then(async (choice) => {
    if (choice === open) await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, 0, line, 0) });
  });
}

export interface InsertResult {
  target: EnvTarget;
  variable: string;
  action: 'appended' | 'replaced' | 'unchanged';
  ignored: boolean;
}

export async function insertIntoEnv(
  services: Services,
  arg?: unknown,
  known?: TokenTarget & { secret: string },
): Promise<InsertResult | undefined> {
  const prompter = services.prompter;
  // Said before any question: in Restricted Mode the answer would be refused anyway (EnvFileService enforces it).
  if (!vscode.workspace.isTrusted) throw new UnsafeTargetError(RESTRICTED_MODE_TEXT, true);
  const target = known ?? (await chooseToken(services, arg, { title: vscode.l10n.t('Insert a token into .env'), storedOnly: true }));
  if (!target) return undefined;
  const secret = known?.secret ?? (await services.secrets.get(target.connection.id, target.token.id));
  if (!secret) {
    throw new UserFacingError(vscode.l10n.t('The secret of "{0}" is not stored on this machine. Rotate the token to get a new one.', target.token.name));
  }

  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new UserFacingError(vscode.l10n.t('Open a folder first: Token Hub writes the token into that folder\'s .env file.'));
  let folder = folders[0];
  if (folders.length > 1) {
    const picked = await prompter.pickOne<vscode.WorkspaceFolder>({
      id: 'folder',
      title: vscode.l10n.t('Insert "{0}" into .env', target.token.name),
      placeholder: vscode.l10n.t('Choose the workspace folder whose .env file gets the token.'),
      items: folders.map((candidate) => ({ label: candidate.name, description: candidate.uri.fsPath, value: candidate })),
    });
    if (picked === undefined || picked === BACK) return undefined;
    folder = picked;
  }
  const settings = services.settings.read(folder.uri);
  const title = vscode.l10n.t('Insert "{0}" into {1}', target.token.name, folder.name);

  let relativePath = settings.envFile;
  let variable = settings.envVariable;
  const askFile: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'envFile',
      title,
      step: 1,
      totalSteps: 2,
      prompt: vscode.l10n.t('The file to write, relative to the workspace folder.'),
      value: relativePath,
      validate: envFileProblem,
    });
    if (answer === undefined || answer === BACK) return answer;
    relativePath = answer.trim();
    return askVariable;
  };
  const askVariable: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'envVariable',
      title,
      step: 2,
      totalSteps: 2,
      prompt: vscode.l10n.t('The variable that will hold the secret in {0}.', relativePath),
      value: variable,
      validate: (value) => validateEnvVariableName(value.trim()) ?? undefined,
    });
    if (answer === undefined || answer === BACK) return answer;
    variable = answer.trim();
    return DONE;
  };
  if (!(await runSteps(askFile))) return undefined;

  const envTarget: EnvTarget = { folder, relativePath };
  const envUri = services.envFiles.uriOf(envTarget);
  // The same secret already in the file under another name: offer to use that variable rather than a second copy.
  const already = findSecretInEnv((await services.envFiles.read(envUri)).text, secret).filter((found) => found.effective);
  if (already.length > 0 && !already.some((found) => found.name === variable)) {
    const other = already[already.length - 1];
    const reuse = vscode.l10n.t('Use {0}', other.name);
    const addToo = vscode.l10n.t('Add {0} Too', variable);
    const choice = await prompter.message(
      vscode.l10n.t('The secret of "{0}" is already in {1} as {2} (line {3}). Use {2} in your code instead of adding {4}?', target.token.name, relativePath, other.name, other.line + 1, variable),
      { id: 'confirmReuse', modal: true, detail: vscode.l10n.t('One variable per secret means one place to update when the token is rotated.') },
      reuse,
      addToo,
    );
    if (choice === undefined) return undefined;
    if (choice === reuse) {
      offerToOpen(prompter, vscode.l10n.t('"{0}" is already in {1} as {2}: nothing was written.', target.token.name, relativePath, other.name), envUri, other.line);
      return { target: envTarget, variable: other.name, action: 'unchanged', ignored: await services.envFiles.isIgnored(envTarget) };
    }
  }
  const existingLine = await services.envFiles.existingAssignment(envTarget, variable);
  if (existingLine !== undefined) {
    const replace = vscode.l10n.t('Replace');
    const choice = await prompter.message(
      vscode.l10n.t('{0} is already set in {1} (line {2}). Replace its value with the secret of "{3}"?', variable, relativePath, existingLine + 1, target.token.name),
      { id: 'confirmReplace', modal: true, severity: 'warning', detail: vscode.l10n.t('The other lines of the file stay as they are.') },
      replace,
    );
    if (choice !== replace) return undefined;
  }

  const result = await services.envFiles.setVariable(envTarget, variable, secret);
  const ignored = await services.envFiles.isIgnored(envTarget);
  const where = result.inEditor ? vscode.l10n.t('{0} (in the open editor: save it to keep the change)', relativePath) : relativePath;
  const line = findEnvVariable((await services.envFiles.read(result.uri)).text, variable)?.line ?? 0;
  offerToOpen(prompter, vscode.l10n.t('Wrote "{0}" to {1} as {2}.', target.token.name, where, variable), result.uri, line);
  if (!ignored) {
    const add = vscode.l10n.t('Add to .gitignore');
    void prompter
      .message(
        vscode.l10n.t('{0} is not ignored by git, so the secret could be committed. Add it to .gitignore?', relativePath),
        { id: 'notIgnored', severity: 'warning' },
        add,
      )
      .then(async (choice) => {
        if (choice === add) await services.envFiles.addToGitignore(envTarget);
      });
  }
  return { target: envTarget, variable, action: result.action, ignored };
}
