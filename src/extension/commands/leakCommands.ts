// The leak guard's commands and quick fixes: scan the workspace; and on a finding, move the secret to .env and put
// a reference in its place, revoke it through the hub, add the .env file to .gitignore, or ignore it here.
import * as path from 'path';
import * as vscode from 'vscode';
import { findEnvVariable } from '../../core/env';
import { referenceFor } from '../../core/envReference';
import { scanText } from '../../core/scanner';
import { ACCESS_TOKEN_PREFIX, maskToken, parseToken } from '../../core/token';
import { validateEnvVariableName } from '../../core/validation';
import { BACK } from '../flows/prompter';
import { DONE, FlowStep, runSteps } from '../flows/steps';
import { EnvTarget } from '../services/envFiles';
import { writeTargetProblem } from '../services/secretTargets';
import { EXPOSED_CODE, isEnvLikeFile, LEAK_SOURCE, LeakGuard, NOT_LIVE_CODE, REVOKED_CODE, WorkspaceScanResult } from '../services/leakGuard';
import { TokenOwner, TokenOwners } from '../services/leakOwners';
import { UserFacingError } from './errorBoundary';
import { ignoreMarkerLine, pythonImportOsLine, referenceEdit } from './leakEdits';
import { applyRemoval } from './placeEdits';
import { Services } from './services';
import { revokeToken } from './tokenCommands';
import { COMMAND } from './ids';

/** The command handlers, for extension.ts to register with registerGuarded. */
export function leakCommandHandlers(services: Services, guard: LeakGuard, owners: TokenOwners): Record<string, (...args: unknown[]) => unknown> {
  return {
    [COMMAND.scanWorkspace]: () => scanWorkspaceCommand(services, guard),
    [COMMAND.moveToEnv]: (uri, range) => moveToEnvCommand(services, guard, uri, range),
    [COMMAND.revokeExposed]: (uri, range) => revokeExposedTokenCommand(services, guard, owners, uri, range),
    [COMMAND.ignoreHere]: (uri, range) => ignoreHereCommand(guard, uri, range),
    [COMMAND.addToGitignore]: (uri) => addToGitignoreCommand(services, guard, uri),
    [COMMAND.removeExposed]: (uri, range) => removeDeadTokenCommand(services, guard, owners, uri, range),
  };
}

export async function scanWorkspaceCommand(services: Services, guard: LeakGuard): Promise<WorkspaceScanResult | undefined> {
  if ((vscode.workspace.workspaceFolders ?? []).length === 0) {
    throw new UserFacingError(vscode.l10n.t('Open a folder first: Token Hub scans the files of the open workspace.'));
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Scanning the workspace for exposed Token Hub tokens'), cancellable: true },
    (progress, cancellation) => {
      let shown = 0;
      return guard.scanWorkspace((scanned, total) => {
        const percent = Math.floor((scanned / Math.max(total, 1)) * 100);
        if (percent > shown || scanned === total) {
          progress.report({ increment: percent - shown, message: `${scanned} of ${total} files` });
          shown = percent;
        }
      }, cancellation);
    },
  );
  const prompter = services.prompter;
  const showProblems = vscode.l10n.t('Show Problems');
  const tokens = (count: number) => (count === 1 ? vscode.l10n.t('1 exposed token') : vscode.l10n.t('{0} exposed tokens', count));
  const files = (count: number) => (count === 1 ? vscode.l10n.t('1 file') : vscode.l10n.t('{0} files', count));
  const found = vscode.l10n.t('{0} in {1}', tokens(result.findings), files(result.filesWithFindings));
  let text: string;
  if (result.cancelled) text = vscode.l10n.t('Scan cancelled after {0}: found {1} so far.', files(result.files), found);
  else if (result.findings > 0) text = vscode.l10n.t('Found {0}.', found);
  else if (result.files === 0 && result.ignored > 0) {
    text = vscode.l10n.t('Nothing to scan: git ignores all {0} of the workspace, and an ignored file is where a secret belongs.', files(result.ignored));
  } else if (result.ignored > 0) {
    text = vscode.l10n.t('No exposed Token Hub tokens found in {0} ({1} that git ignores were not read).', files(result.files), files(result.ignored));
  } else {
    text = vscode.l10n.t('No exposed Token Hub tokens found in {0}.', files(result.files));
  }
  const actions = result.findings > 0 ? [showProblems] : [];
  void prompter
    .message(text, { id: 'scanResult', severity: result.findings > 0 ? 'warning' : 'info' }, ...actions)
    .then((choice) => choice === showProblems && vscode.commands.executeCommand('workbench.actions.view.problems'));
  return result;
}

interface ExposedToken {
  document: vscode.TextDocument;
  secret: string;
  range: vscode.Range;
}

/** The finding a command was invoked on: at `range` of `uri`, else under the cursor of the active editor. */
async function exposedTokenAt(uriArg: unknown, rangeArg: unknown): Promise<ExposedToken> {
  let document: vscode.TextDocument | undefined;
  let position: vscode.Position | undefined;
  if (uriArg instanceof vscode.Uri) {
    document = await vscode.workspace.openTextDocument(uriArg);
    if (rangeArg instanceof vscode.Range) position = rangeArg.start;
  } else if (vscode.window.activeTextEditor) {
    document = vscode.window.activeTextEditor.document;
    position = vscode.window.activeTextEditor.selection.active;
  }
  if (!document) throw new UserFacingError(vscode.l10n.t('Open the file with the exposed token first.'));
  const findings = scanText(document.getText());
  const at = position ? document.offsetAt(position) : -1;
  const finding = findings.find((candidate) => candidate.index <= at && at <= candidate.index + candidate.length) ?? (position ? undefined : findings[0]);
  if (!finding) throw new UserFacingError(vscode.l10n.t('There is no Token Hub secret at that place any more. Run the scan again.'));
  const range = new vscode.Range(finding.line, finding.column, finding.line, finding.column + finding.length);
  return { document, secret: finding.token, range };
}

/** Finds the same secret again after questions were asked (the person may have edited the file meanwhile). */
function relocate(document: vscode.TextDocument, secret: string, near: vscode.Range): vscode.Range {
  const findings = scanText(document.getText()).filter((finding) => finding.token === secret);
  if (findings.length === 0) throw new UserFacingError(vscode.l10n.t('The token {0} is no longer in {1}.', maskToken(secret), vscode.workspace.asRelativePath(document.uri)));
  const closest = findings.reduce((best, finding) => (Math.abs(finding.line - near.start.line) < Math.abs(best.line - near.start.line) ? finding : best));
  return new vscode.Range(closest.line, closest.column, closest.line, closest.column + closest.length);
}

function folderOf(document: vscode.TextDocument): vscode.WorkspaceFolder {
  const folder = vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new UserFacingError(vscode.l10n.t('Open a folder first: Token Hub writes the token into that folder\'s .env file.'));
  return folder;
}

export interface MoveToEnvResult {
  target: EnvTarget;
  variable: string;
  reference: string;
  ignored: boolean;
}

/** Move to .env and replace with a reference. */
export async function moveToEnvCommand(services: Services, guard: LeakGuard, uriArg?: unknown, rangeArg?: unknown): Promise<MoveToEnvResult | undefined> {
  const { document, secret, range } = await exposedTokenAt(uriArg, rangeArg);
  const prompter = services.prompter;
  const masked = maskToken(secret);
  const folder = folderOf(document);
  const settings = services.settings.read(folder.uri);
  const target: EnvTarget = { folder, relativePath: settings.envFile };
  const title = vscode.l10n.t('Move {0} to {1}', masked, settings.envFile);
  const envUri = services.envFiles.uriOf(target);
  if (envUri.toString() === document.uri.toString()) {
    throw new UserFacingError(vscode.l10n.t('The token is in {0} already. Add the file to .gitignore instead.', settings.envFile));
  }
  // Refused before any question: the file comes from settings the person did not type here.
  const problem = await writeTargetProblem(folder, settings.envFile, 'secret');
  if (problem) throw problem;
  if (settings.envFileFromWorkspace && !(await services.envFiles.isIgnored(target))) {
    // The folder's own settings chose the file: only one git ignores, or a new one the person agrees to ignore.
    if ((await services.envFiles.read(envUri)).exists) {
      throw new UserFacingError(
        `This folder's settings (tokenHub.envFile) name ${settings.envFile}, which git does not ignore, so Token Hub will not move a secret there. Add it to .gitignore first, or set tokenHub.envFile in your user settings.`,
      );
    }
    const agree = vscode.l10n.t('Add to .gitignore and Move');
    const choice = await prompter.message(
      `This folder's settings (tokenHub.envFile) name ${settings.envFile}, a new file git does not ignore. Add it to .gitignore and move the token there?`,
      { id: 'confirmWorkspaceEnvFile', modal: true, severity: 'warning', detail: vscode.l10n.t('A cloned repository can set this. Choose Cancel if you did not expect it.') },
      agree,
    );
    if (choice !== agree) return undefined;
    await services.envFiles.addToGitignore(target);
    guard.forgetIgnores();
  }

  const languageReference = (name: string) => referenceFor(document.languageId, name);
  let variable = settings.envVariable;
  let reference: string | undefined;
  const askVariable: FlowStep = async () => {
    const name = await prompter.askText({
      id: 'envVariable',
      title,
      step: 1,
      totalSteps: languageReference(variable) === undefined ? 2 : 1,
      prompt: vscode.l10n.t('The variable in {0} that will hold the token.', settings.envFile),
      value: variable,
      validate: (value) => validateEnvVariableName(value.trim()) ?? undefined,
    });
    if (name === undefined || name === BACK) return name;
    variable = name.trim();
    reference = languageReference(variable);
    return reference === undefined ? askReference : DONE;
  };
  // A language without a known way to read a variable: the person says what stands in place of the token.
  const askReference: FlowStep = async () => {
    const typed = await prompter.askText({
      id: 'reference',
      title,
      step: 2,
      totalSteps: 2,
      prompt: vscode.l10n.t('What to put in place of the token in this {0} file, to read {1}.', document.languageId, variable),
      value: `\${${variable}}`,
      validate: (value) => {
        if (value.trim() === '') return vscode.l10n.t('Enter the text that reads the variable, such as {0}.', '${' + variable + '}');
        if (/[\r\n]/.test(value)) return vscode.l10n.t('Keep the reference on one line.');
        if (scanText(value).length > 0) return vscode.l10n.t('The reference must not contain a secret.');
        return undefined;
      },
    });
    if (typed === undefined || typed === BACK) return typed;
    reference = typed.trim();
    return DONE;
  };
  if (!(await runSteps(askVariable)) || reference === undefined) return undefined;

  const existing = findEnvVariable((await services.envFiles.read(envUri)).text, variable);
  if (existing && existing.value !== secret) {
    const replace = 'Replace';
    const choice = await prompter.message(
      `${variable} is already set in ${settings.envFile} (line ${existing.line + 1}). Replace its value with the token ${masked}?`,
      { id: 'confirmReplace', modal: true, severity: 'warning', detail: vscode.l10n.t('The other lines of the file stay as they are.') },
      replace,
    );
    if (choice !== replace) return undefined;
  }

  const where = relocate(document, secret, range);
  await services.envFiles.setVariable(target, variable, secret);
  const line = document.lineAt(where.start.line).text;
  const replacement = referenceEdit(line, where.start.character, where.end.character, document.languageId, reference);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(where.start.line, replacement.start, where.start.line, replacement.end), replacement.text);
  if (document.languageId === 'python' && reference.startsWith('os.environ')) {
    const importLine = pythonImportOsLine(document.getText());
    if (importLine !== undefined) edit.insert(document.uri, new vscode.Position(importLine, 0), `import os${document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n'}`);
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    throw new UserFacingError(vscode.l10n.t('Token Hub wrote {0} to {1} but could not edit {2}. Replace the token with {3} by hand.', variable, settings.envFile, vscode.workspace.asRelativePath(document.uri), reference));
  }
  await guard.scanDocument(document);
  services.logger.info(`Moved ${masked} from ${document.uri.fsPath} to ${settings.envFile} as ${variable}.`);

  const ignored = await services.envFiles.isIgnored(target);
  void prompter.message(vscode.l10n.t('Moved the token {0} to {1} as {2}; the file now reads {3}. Save it to keep the change.', masked, settings.envFile, variable, reference), { id: 'moved' });
  if (!ignored) {
    const add = vscode.l10n.t('Add to .gitignore');
    void prompter
      .message(`${settings.envFile} is not ignored by git, so the secret could be committed. Add it to .gitignore?`, { id: 'notIgnored', severity: 'warning' }, add)
      .then(async (choice) => {
        if (choice !== add) return;
        await services.envFiles.addToGitignore(target);
        guard.forgetIgnores();
      });
  }
  return { target, variable, reference, ignored };
}

/** Revoke this token: only for an access token of a connected workspace, after a modal confirmation. */
export async function revokeExposedTokenCommand(
  services: Services,
  guard: LeakGuard,
  owners: TokenOwners,
  uriArg?: unknown,
  rangeArg?: unknown,
): Promise<boolean> {
  const { secret } = await exposedTokenAt(uriArg, rangeArg);
  const masked = maskToken(secret);
  const owner: TokenOwner | undefined = await owners.find(secret, true);
  if (!owner) {
    throw new UserFacingError(
      vscode.l10n.t('Token Hub found no token {0} in the workspaces you are signed in to (or could not reach their hubs: see the log), so it cannot revoke it. Ask its owner to.', masked),
    );
  }
  const { connection, token } = owner;
  const revoke = vscode.l10n.t('Revoke Token');
  const choice = await services.prompter.message(
    vscode.l10n.t('Revoke the token "{0}" ({1}) of {2}?', token.name, masked, connection.workspaceName),
    { id: 'confirmRevoke', modal: true, severity: 'warning', detail: vscode.l10n.t('Every program using it stops working at once. This cannot be undone.') },
    revoke,
  );
  if (choice !== revoke) return false;
  await revokeToken(services, connection, token);
  owners.forget();
  await guard.markRevoked(secret);
  services.logger.info(`Revoked token "${token.name}" (${masked}) in "${connection.workspaceName}" from the leak guard.`);
  void services.prompter.message(vscode.l10n.t('Revoked "{0}" ({1}). Programs that still use it are now refused; remove it from the file.', token.name, masked), { id: 'revoked' });
  return true;
}

/**
 * Remove this token: for a secret no signed-in workspace holds live. One undoable edit of the document (the
 * assignment lines in a .env file, the secret's characters elsewhere); refused for a live token, which programs use.
 */
export async function removeDeadTokenCommand(services: Services, guard: LeakGuard, owners: TokenOwners, uriArg?: unknown, rangeArg?: unknown): Promise<boolean> {
  const { document, secret } = await exposedTokenAt(uriArg, rangeArg);
  const masked = maskToken(secret);
  const identity = await owners.identify(secret, true);
  if (identity.state === 'live') {
    throw new UserFacingError(vscode.l10n.t('The token {0} is live in {1}, so programs may still use it. Move it to .env, or revoke it first.', masked, identity.owner.connection.workspaceName));
  }
  await applyRemoval(document, secret);
  await guard.scanDocument(document);
  services.logger.info(`Removed ${masked} from ${document.uri.fsPath} (not live).`);
  void services.prompter.message(vscode.l10n.t('Removed the token {0} from {1}. Save the file to keep the change.', masked, vscode.workspace.asRelativePath(document.uri)), { id: 'removedToken' });
  return true;
}

/** The language whose comments mark "ignore here": a .env file takes `#` whatever VS Code calls its language. */
function markerLanguageOf(document: vscode.TextDocument): string {
  return /^\.env(?:\..*)?$/i.test(path.basename(document.uri.fsPath)) ? 'dotenv' : document.languageId;
}

/** Ignore here: a `tokenhub-ignore` comment on the line above the finding. */
export async function ignoreHereCommand(guard: LeakGuard, uriArg?: unknown, rangeArg?: unknown): Promise<boolean> {
  const { document, range } = await exposedTokenAt(uriArg, rangeArg);
  const line = document.lineAt(range.start.line);
  const marker = ignoreMarkerLine(markerLanguageOf(document), line.text.slice(0, line.firstNonWhitespaceCharacterIndex));
  if (marker === undefined) throw new UserFacingError(vscode.l10n.t('A {0} file has no comments, so the token cannot be ignored there. Move it to .env instead.', document.languageId));
  const edit = new vscode.WorkspaceEdit();
  edit.insert(document.uri, new vscode.Position(range.start.line, 0), `${marker}${document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n'}`);
  if (!(await vscode.workspace.applyEdit(edit))) throw new UserFacingError(vscode.l10n.t('Token Hub could not edit {0}.', vscode.workspace.asRelativePath(document.uri)));
  await guard.scanDocument(document);
  return true;
}

/** For a .env file git does not ignore: add it to the folder's .gitignore. */
export async function addToGitignoreCommand(services: Services, guard: LeakGuard, uriArg?: unknown): Promise<boolean> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : vscode.window.activeTextEditor?.document.uri;
  const folder = uri && vscode.workspace.getWorkspaceFolder(uri);
  if (!uri || !folder) throw new UserFacingError(vscode.l10n.t('Only a file inside the open folder can be added to its .gitignore.'));
  const relativePath = vscode.workspace.asRelativePath(uri, false);
  await services.envFiles.addToGitignore({ folder, relativePath });
  guard.forgetIgnores();
  await guard.rescanReported();
  void services.prompter.message(vscode.l10n.t('Added {0} to .gitignore.', relativePath), { id: 'gitignored' });
  return true;
}

/** Quick fixes on the leak guard's diagnostics. */
export class LeakCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly services: Services,
    private readonly owners: TokenOwners,
  ) {}

  async provideCodeActions(document: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter(
      (diagnostic) => diagnostic.source === LEAK_SOURCE && (diagnostic.code === EXPOSED_CODE || diagnostic.code === REVOKED_CODE || diagnostic.code === NOT_LIVE_CODE),
    );
    const actions: vscode.CodeAction[] = [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const envFile = isEnvLikeFile(document.uri.fsPath, this.services.settings.read(document.uri).envFile, folder?.uri.fsPath);
    for (const diagnostic of ours) {
      const secret = document.getText(diagnostic.range);
      const parsed = parseToken(secret);
      if (!parsed) continue; // the text has changed since
      const suffix = ours.length > 1 ? ` (${maskToken(secret)})` : '';
      const args = [document.uri, diagnostic.range];
      const action = (title: string, command: string, preferred = false) => {
        const codeAction = new vscode.CodeAction(title + suffix, vscode.CodeActionKind.QuickFix);
        codeAction.diagnostics = [diagnostic];
        codeAction.isPreferred = preferred;
        codeAction.command = { title: title + suffix, command, arguments: args };
        actions.push(codeAction);
      };
      const dead = diagnostic.code === REVOKED_CODE || diagnostic.code === NOT_LIVE_CODE;
      if (dead) action(vscode.l10n.t('Remove this token'), COMMAND.removeExposed, true);
      else if (envFile && folder) action(vscode.l10n.t('Add this file to .gitignore'), COMMAND.addToGitignore, true);
      else if (folder || vscode.workspace.workspaceFolders?.length) action(vscode.l10n.t('Move to .env and replace with a reference'), COMMAND.moveToEnv, true);
      if (parsed.prefix === ACCESS_TOKEN_PREFIX && diagnostic.code === EXPOSED_CODE && (await this.owners.find(secret))) {
        action(vscode.l10n.t('Revoke this token'), COMMAND.revokeExposed);
      }
      if (ignoreMarkerLine(markerLanguageOf(document), '') !== undefined) action(vscode.l10n.t('Ignore here'), COMMAND.ignoreHere);
    }
    return actions;
  }
}
