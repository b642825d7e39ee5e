// The I/O side of `.env` editing: the pure editor (src/core/env.ts) decides the text; this writes it safely —
// into the editor's buffer when the file has unsaved changes, else atomically on disk — and checks git ignores it.
// Every write passes writeTargetProblem (secretTargets.ts) first: inside the folder after following symbolic links,
// never a tracked file for a secret, nothing in Restricted Mode. A file holding a secret is its owner's only (0600).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EnvEditError, findEnvVariable, findSecretInEnv, removeSecretFromEnv, replaceSecretInEnv, setEnvVariable } from '../../core/env';
import { writeFileAtomically } from '../../core/atomicWrite';
import { appendGitignoreEntry } from '../../core/gitignore';
import { ignoredAmong } from '../../core/ignoredByGit';
import { Logger } from './logger';
import { assertWriteTarget, UnsafeTargetError, WriteKind } from './secretTargets';

/** A .env question must not hang a command: past this, the .gitignore rules answer. */
const GIT_TIMEOUT_MS = 5000;

export interface EnvTarget {
  folder: vscode.WorkspaceFolder;
  /** Relative to the folder, e.g. ".env" or "config/.env.local". */
  relativePath: string;
}

export interface EnvWriteResult {
  uri: vscode.Uri;
  action: 'appended' | 'replaced' | 'unchanged';
  /** Written into an open editor with unsaved changes rather than to disk. */
  inEditor: boolean;
}

/** Token Hub did not write a workspace file (the edit would not read back as intended, or the file is open and
 * cannot be edited): one sentence for the person; nothing was written. core/env.ts's EnvEditError is the reason. */
export class EnvFileWriteError extends Error {}

export class EnvFileService {
  constructor(private readonly logger: Logger) {}

  uriOf(target: EnvTarget): vscode.Uri {
    return vscode.Uri.joinPath(target.folder.uri, ...target.relativePath.split(/[\\/]/).filter(Boolean));
  }

  /** The current text (the editor's buffer when open, else the disk, else empty) and where it came from. */
  async read(uri: vscode.Uri): Promise<{ text: string; document: vscode.TextDocument | undefined; exists: boolean }> {
    // An open editor with unsaved changes is the truth; otherwise the disk is (an open, saved document can lag it).
    const document = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString() && doc.isDirty);
    if (document) return { text: document.getText(), document, exists: true };
    try {
      return { text: await fs.promises.readFile(uri.fsPath, 'utf8'), document: undefined, exists: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', document: undefined, exists: false };
      throw error;
    }
  }

  /** Lines where the variable is already set, for asking before replacing. */
  async existingAssignment(target: EnvTarget, name: string): Promise<number | undefined> {
    const { text } = await this.read(this.uriOf(target));
    return findEnvVariable(text, name)?.line;
  }

  /** Sets NAME=value, keeping every other byte; aborts without writing unless the result parses back exactly. */
  async setVariable(target: EnvTarget, name: string, value: string): Promise<EnvWriteResult> {
    const uri = this.uriOf(target);
    await assertWriteTarget(target.folder, target.relativePath, 'secret');
    const { text, document } = await this.read(uri);
    // setEnvVariable returns only text that dotenv reads back exactly (else verification_failed, a sentence here).
    const edit = refusedEdit(() => setEnvVariable(text, name, value, { replace: true }), target.relativePath);
    if (edit.action === 'unchanged') return { uri, action: 'unchanged', inEditor: false };
    const inEditor = await this.write(uri, document, text, edit.text, 'secret');
    this.logger.info(`${edit.action === 'replaced' ? 'Replaced' : 'Added'} ${name} in ${uri.fsPath}${inEditor ? ' (unsaved editor)' : ''}.`);
    return { uri, action: edit.action, inEditor };
  }

  /** Replaces every variable whose value is `oldSecret` with `newSecret`. Returns the variable names changed. */
  async replaceSecret(uri: vscode.Uri, oldSecret: string, newSecret: string): Promise<string[]> {
    await this.assertWritable(uri, 'secret');
    const { text, document } = await this.read(uri);
    const edit = refusedEdit(() => replaceSecretInEnv(text, oldSecret, newSecret), vscode.workspace.asRelativePath(uri));
    if (edit.text !== text) await this.write(uri, document, text, edit.text, 'secret');
    return [...new Set(edit.replaced.map((found) => found.name))];
  }

  /** Removes every assignment whose value is `secret` (a dead one), keeping the other bytes. Returns the names removed. */
  async removeSecret(uri: vscode.Uri, secret: string): Promise<string[]> {
    // The rest of the file may hold other secrets: the same check and file mode as any write of one.
    await this.assertWritable(uri, 'secret');
    const { text, document } = await this.read(uri);
    const edit = refusedEdit(() => removeSecretFromEnv(text, secret), vscode.workspace.asRelativePath(uri));
    if (edit.text !== text) {
      const inEditor = await this.write(uri, document, text, edit.text, 'secret');
      this.logger.info(`Removed ${edit.removed.map((found) => found.name).join(', ')} from ${uri.fsPath}${inEditor ? ' (unsaved editor)' : ''}.`);
    }
    return [...new Set(edit.removed.map((found) => found.name))];
  }

  /** Every .env-like file in the workspace (and the configured one) whose variables hold `secret`. */
  async filesHoldingSecret(secret: string, configuredFile: string): Promise<vscode.Uri[]> {
    const found = await vscode.workspace.findFiles('**/{.env,.env.*,*.env}', '**/node_modules/**', 500);
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const configured = vscode.Uri.joinPath(folder.uri, configuredFile);
      if (!found.some((uri) => uri.toString() === configured.toString())) found.push(configured);
    }
    const holding: vscode.Uri[] = [];
    for (const uri of found) {
      const { text, exists } = await this.read(uri).catch(() => ({ text: '', exists: false, document: undefined }));
      if (exists && text.includes(secret) && findSecretInEnv(text, secret).length > 0) holding.push(uri);
    }
    return holding;
  }

  /** Whether git ignores the file (src/core/ignoredByGit.ts: git first, then the .gitignore rules). */
  async isIgnored(target: EnvTarget): Promise<boolean> {
    const relative = target.relativePath.split(/[\\/]/).filter(Boolean).join('/');
    return (await ignoredAmong(target.folder.uri.fsPath, [relative], GIT_TIMEOUT_MS)).has(relative);
  }

  async addToGitignore(target: EnvTarget): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(target.folder.uri, '.gitignore');
    await assertWriteTarget(target.folder, '.gitignore', 'gitignore');
    const { text, document } = await this.read(uri);
    const entry = '/' + target.relativePath.split(/[\\/]/).filter(Boolean).join('/');
    await this.write(uri, document, text, appendGitignoreEntry(text, entry), 'gitignore');
    return uri;
  }

  /** Throws UnsafeTargetError unless this file of the workspace may receive the write (see writeTargetProblem). */
  async assertWritable(uri: vscode.Uri, kind: WriteKind): Promise<void> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) throw new UnsafeTargetError(`Token Hub wrote nothing to ${uri.fsPath}: it writes only into files of the open workspace folders.`);
    await assertWriteTarget(folder, path.relative(folder.uri.fsPath, uri.fsPath), kind);
  }

  private async write(uri: vscode.Uri, document: vscode.TextDocument | undefined, before: string, after: string, kind: WriteKind): Promise<boolean> {
    if (document?.isDirty) {
      // The person has unsaved changes: edit their buffer instead of the disk, so nothing of theirs is lost.
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(before.length)), after);
      if (!(await vscode.workspace.applyEdit(edit))) {
        throw new EnvFileWriteError(`Token Hub could not edit the open ${path.basename(uri.fsPath)}. Save or close it, then try again.`);
      }
      // VS Code's save keeps the file's mode: drop group and other bits now, as the atomic write does.
      if (kind === 'secret') await this.narrowOnDisk(uri.fsPath);
      return true;
    }
    await fs.promises.mkdir(path.dirname(uri.fsPath), { recursive: true });
    const written = await writeFileAtomically(uri.fsPath, after, {}, { secret: kind === 'secret' });
    if (written.narrowedFrom !== undefined) this.logNarrowed(uri.fsPath, written.narrowedFrom);
    return false;
  }

  private async narrowOnDisk(file: string): Promise<void> {
    const mode = (await fs.promises.stat(file).catch(() => undefined))?.mode;
    if (mode === undefined || (mode & 0o077) === 0) return;
    await fs.promises.chmod(file, mode & 0o7700);
    this.logNarrowed(file, mode & 0o7777);
  }

  private logNarrowed(file: string, from: number): void {
    this.logger.info(`${file} could be read by others (mode ${from.toString(8)}); Token Hub made it readable by its owner only, as it holds a secret.`);
  }
}

/** The core editor's refusals, as sentences naming the file (never a value). */
function refusedEdit<T>(edit: () => T, file: string): T {
  try {
    return edit();
  } catch (error) {
    if (error instanceof EnvEditError) throw new EnvFileWriteError(`Token Hub did not change ${file}: ${error.message}`);
    throw error;
  }
}
