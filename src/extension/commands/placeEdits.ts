// Editing the places that hold a token's secret, for Delete, Rotate and the leak guard's "Remove this token".
// A git-ignored .env-style file is edited through EnvFileService (the same safe writer as Insert into .env); any
// other file (tracked, or not a .env file) only ever gets an edit of its document that the person can undo and save,
// and never a live secret: there rotation leaves the old secret to the leak guard, whose Move to .env is offered.
import * as vscode from 'vscode';
import { removeSecretFromEnv } from '../../core/env';
import { scanText } from '../../core/scanner';
import { isEnvLikeFile } from '../../core/scanFile';
import { Usage } from '../../core/usageIndex';
import { Connection } from '../services/connections';
import { usageLabel } from '../views/tokenTree';
import { UserFacingError } from './errorBoundary';
import { Services } from './services';

export interface Place {
  usage: Usage;
  uri: vscode.Uri;
  secret: string;
  /** A .env-style file git ignores: the safe writer may change it on disk. */
  ignoredEnv: boolean;
}

/** The places the usage index tied to this token (empty without an index), each with its secret and kind. */
export async function placesOfToken(services: Services, connection: Connection, token: { id: string }): Promise<Place[]> {
  const usages = services.usages;
  if (!usages) return [];
  await usages.settled();
  const places: Place[] = [];
  for (const usage of usages.placesOf(connection, token)) {
    const secret = usages.secretAt(usage);
    if (!secret) continue;
    const uri = vscode.Uri.file(usage.file);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const envFile = isEnvLikeFile(uri.fsPath, services.settings.read(uri).envFile, folder?.uri.fsPath);
    const ignored = envFile && folder !== undefined && (await services.envFiles.isIgnored({ folder, relativePath: vscode.workspace.asRelativePath(uri, false) }));
    places.push({ usage, uri, secret, ignoredEnv: ignored });
  }
  return places;
}

/** "• .env as BILLING_TOKEN", one line a place, at most `limit` lines. */
export function listPlaces(places: readonly Place[], limit = 10): string {
  const lines = places.slice(0, limit).map((place) => `• ${usageLabel(place.usage)}`);
  if (places.length > limit) lines.push(vscode.l10n.t('… and {0} more', places.length - limit));
  return lines.join('\n');
}

/**
 * Removes a dead secret from these places: ignored .env files through the safe writer, other files as an edit of
 * their document (unsaved, undoable). Returns what was done, as short descriptions of the files.
 */
export async function removeFromPlaces(services: Services, places: readonly Place[]): Promise<{ removed: string[]; edited: string[] }> {
  const removed: string[] = [];
  const edited: string[] = [];
  const seen = new Set<string>();
  for (const place of places) {
    const key = `${place.uri.toString()}\n${place.secret}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const relative = vscode.workspace.asRelativePath(place.uri);
    if (place.ignoredEnv) {
      const names = await services.envFiles.removeSecret(place.uri, place.secret);
      if (names.length > 0) removed.push(`${relative} (${names.join(', ')})`);
      continue;
    }
    const document = await vscode.workspace.openTextDocument(place.uri);
    if (await applyRemoval(document, place.secret)) edited.push(relative);
  }
  return { removed, edited };
}

/**
 * Takes the secret out of an open document as one undoable edit: in a .env-style file the assignment lines holding
 * it go (as removeSecretFromEnv decides), elsewhere the secret's characters (the code around it stays for the
 * person to fix). false when the document does not hold it.
 */
export async function applyRemoval(document: vscode.TextDocument, secret: string): Promise<boolean> {
  const text = document.getText();
  const edit = new vscode.WorkspaceEdit();
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  let envEdited: string | undefined;
  if (isEnvLikeFile(document.uri.fsPath, undefined, folder?.uri.fsPath)) {
    try {
      const result = removeSecretFromEnv(text, secret);
      if (result.removed.length > 0) envEdited = result.text;
    } catch {
      // dotenv would read the rest differently: take out the characters only, below.
    }
  }
  if (envEdited !== undefined) {
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), envEdited);
  } else {
    const findings = scanText(text).filter((finding) => finding.token === secret);
    if (findings.length === 0) return false;
    for (const finding of findings) edit.delete(document.uri, new vscode.Range(document.positionAt(finding.index), document.positionAt(finding.index + finding.length)));
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    throw new UserFacingError(vscode.l10n.t('Token Hub could not edit {0}. Remove the token from it by hand.', vscode.workspace.asRelativePath(document.uri)));
  }
  return true;
}
