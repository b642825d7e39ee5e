// Reading a file for the leak scanner, shared by the leak guard and the usage index (both read the same files the
// same way, so they agree on what is scannable). No `vscode`: the benchmark runs it in plain Node.
import * as fs from 'fs';
import * as path from 'path';
import { TOKEN_PREFIXES } from './token';

/** Larger files (and files holding a NUL byte) are not scanned. */
export const MAX_SCAN_BYTES = 5 * 1024 * 1024;

/** `.env`, `.env.local`, `config/.env.production`, or the configured env file. */
export function isEnvLikeFile(fsPath: string, configuredRelative: string | undefined, folder: string | undefined): boolean {
  if (/^\.env(?:\..*)?$/i.test(path.basename(fsPath))) return true;
  if (!configuredRelative || !folder) return false;
  return path.resolve(folder, configuredRelative) === path.resolve(fsPath);
}

/** What readScannable found: `text` undefined when the file is not scanned, `unreadable` the errno code when it failed. */
export interface ScannableRead {
  text: string | undefined;
  /** false when the bytes hold no token prefix at all (then the text is not even decoded, and is ''). */
  mayHoldToken: boolean;
  unreadable?: string;
}

/**
 * The one read of a file for scanning, for the leak guard, the usage index and `tokenhub scan`: its text when it is
 * worth scanning; undefined for anything but a file, files over 5 MB, holding a NUL byte (binary), or unreadable.
 */
export async function readScannable(fsPath: string): Promise<ScannableRead> {
  try {
    const stat = await fs.promises.stat(fsPath);
    if (!stat.isFile() || stat.size > MAX_SCAN_BYTES) return { text: undefined, mayHoldToken: false };
    const bytes = await fs.promises.readFile(fsPath);
    if (bytes.includes(0)) return { text: undefined, mayHoldToken: false };
    if (!TOKEN_PREFIXES.some((prefix) => bytes.includes(prefix))) return { text: '', mayHoldToken: false };
    const text = bytes.toString('utf8');
    // VS Code drops a UTF-8 byte order mark from the document: so do we, so columns agree.
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, mayHoldToken: true };
  } catch (error) {
    return { text: undefined, mayHoldToken: false, unreadable: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}
