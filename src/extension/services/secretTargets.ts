// The one decision of whether Token Hub may write into a file of the workspace: a secret (Insert into .env, Move to
// .env, rotate's and delete's edits) or a .gitignore line. EnvFileService asks it before every write, so no command
// can go around it; pickers and prompts use envFileProblem for what a person types.
//
// A cloned repository is not trusted to steer a secret: its settings, its committed symbolic links and its tracked
// files are all inputs an attacker may have written.
import { execFile } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { isInsideFolder, realTargetOf } from '../../core/realTarget';

export type WriteKind = 'secret' | 'gitignore';

/** Why Token Hub refused to write; nothing was written. `needsTrust`: trusting the folder would allow it. */
export class UnsafeTargetError extends Error {
  constructor(
    message: string,
    readonly needsTrust = false,
  ) {
    super(message);
  }
}

/** What a person may type as the file: relative, inside the folder, a file rather than a folder. */
export function envFileProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return 'Enter the file to write, relative to the workspace folder, such as .env.';
  if (path.isAbsolute(trimmed) || /^[a-zA-Z]:/.test(trimmed)) return 'Give a path relative to the workspace folder, such as .env or config/.env.local.';
  const parts = trimmed.split(/[\\/]/);
  if (parts.includes('..')) return 'Choose a file inside the workspace folder (no "..").';
  if (parts.some((part) => part.toLowerCase() === '.git')) return 'Choose a file outside the .git folder: git keeps its own files there.';
  if (/[\\/]$/.test(trimmed)) return 'That is a folder; add the file name, such as config/.env.';
  return undefined;
}

export const RESTRICTED_MODE_TEXT =
  'Token Hub does not write into the files of a folder you have not trusted (Restricted Mode). Trust the folder with "Manage Workspace Trust", then try again.';

/**
 * undefined when `relativePath` of `folder` may receive this write, else the sentence saying why nothing is written.
 * Rules: the window is trusted; the path is relative, without `..`, outside `.git/`; after following every symbolic
 * link (realpath of the target and of the folder; a target not created yet: of its nearest existing parent) it is
 * still inside the folder and outside its `.git/`; and a secret never goes into a file git tracks.
 */
export async function writeTargetProblem(folder: vscode.WorkspaceFolder, relativePath: string, kind: WriteKind): Promise<UnsafeTargetError | undefined> {
  if (!vscode.workspace.isTrusted) return new UnsafeTargetError(RESTRICTED_MODE_TEXT, true);
  const shown = relativePath.split(/[\\/]/).filter(Boolean).join('/');
  const lexical = envFileProblem(relativePath);
  if (lexical) return new UnsafeTargetError(`Token Hub did not write to ${shown}: ${lexical}`);
  const folderPath = folder.uri.fsPath;
  let realFolder: string;
  let real: string;
  try {
    realFolder = realTargetOf(folderPath);
    real = realTargetOf(path.join(folderPath, ...relativePath.split(/[\\/]/).filter(Boolean)));
  } catch (error) {
    return new UnsafeTargetError(`Token Hub did not write to ${shown}: its path could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if (!isInsideFolder(real, realFolder)) {
    return new UnsafeTargetError(
      `Token Hub wrote nothing: ${shown} is a symbolic link (or lies under one) that leads to ${real}, outside the workspace folder "${folder.name}". Replace the link with a file in the folder, or choose another file.`,
    );
  }
  const realRelative = path.relative(realFolder, real);
  if (realRelative.split(path.sep).some((part) => part.toLowerCase() === '.git')) {
    return new UnsafeTargetError(`Token Hub wrote nothing: ${shown} leads into the .git folder, where git keeps its own files. Choose another file.`);
  }
  if (kind === 'secret' && (await isTrackedByGit(realFolder, realRelative))) {
    return new UnsafeTargetError(
      `Token Hub wrote nothing: git tracks ${shown}, so a secret written there would be committed. Choose a file git ignores, such as .env.`,
    );
  }
  return undefined;
}

/** Throws the refusal, if any. */
export async function assertWriteTarget(folder: vscode.WorkspaceFolder, relativePath: string, kind: WriteKind): Promise<void> {
  const problem = await writeTargetProblem(folder, relativePath, kind);
  if (problem) throw problem;
}

function isTrackedByGit(cwd: string, relativePath: string): Promise<boolean> {
  return new Promise((resolve) => {
    // Exit 0: tracked. 1: not tracked; 128 (not a repository) or no git: nothing is tracked.
    execFile('git', ['ls-files', '--error-unmatch', '--', relativePath], { cwd, timeout: 5000 }, (error) => resolve(!error));
  });
}
