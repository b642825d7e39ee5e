// What the leak guard suites (leakGuard, locations) look at: files written under a test folder, the leak guard's
// diagnostics on them, and its quick fixes there.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { waitFor } from './wait';

/** Writes `text` to `relative` under `dir` (folders made as needed) and returns its URI. */
export function writeUnder(dir: string, relative: string, text: string | Buffer): vscode.Uri {
  const target = path.join(dir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  return vscode.Uri.file(target);
}

/** The leak guard's diagnostics on a file. */
export const diagnosticsOf = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Token Hub');

/** A quick fix of the leak guard's (executeCodeActionProvider does not return an action's diagnostics). */
export const isLeakGuardFix = (action: vscode.CodeAction) => action.kind?.value === 'quickfix' && !!action.command?.command.startsWith('tokenHub.leakGuard.');

/** The titles of the leak guard's quick fixes among the actions. */
export const fixTitles = (actions: vscode.CodeAction[]) => actions.filter(isLeakGuardFix).map((a) => a.title);

/** The code actions at a range, once the leak guard's fixes are among them. */
export function codeActions(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  // The markers reach the editor a moment after the collection changes: ask until the fixes are offered.
  return waitFor(
    async () => (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range)) ?? [],
    (actions) => actions.some(isLeakGuardFix),
    'the leak guard\'s quick fixes',
  );
}
