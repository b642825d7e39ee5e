// Writing a file so that a reader (or a crash) sees either the old content or the new, never a half-written file:
// write a temporary file in the same folder, fsync it, rename it over the target. The one module of src/core that
// does I/O, and only on the path it is given.
import { randomBytes } from 'crypto';
import { constants as fsConstants, promises as fsp } from 'fs';
import * as path from 'path';

/** The file-system calls used, injectable so a test can make any of them fail (a crash before `rename`, say). */
export interface AtomicWriteFs {
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ mode: number }>;
  open(path: string, flags: number, mode: number): Promise<AtomicWriteHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface AtomicWriteHandle {
  writeFile(data: string | Uint8Array): Promise<void>;
  chmod(mode: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const nodeFs: AtomicWriteFs = {
  realpath: (p) => fsp.realpath(p),
  stat: (p) => fsp.stat(p),
  open: (p, flags, mode) => fsp.open(p, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (p) => fsp.unlink(p),
};

export interface AtomicWriteOptions {
  /** The content is a secret: the file is made readable and writable by its owner only. */
  secret?: boolean;
}

export interface AtomicWriteResult {
  /** The file written (a symbolic link's target). */
  path: string;
  created: boolean;
  /** With `secret`: the permission bits the existing file had before group and other bits were dropped. */
  narrowedFrom?: number;
}

const OWNER_ONLY = 0o600;

const TRANSIENT_RENAME_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);

/**
 * Replaces (or creates) the file at `target` with `content` (a string is written as UTF-8).
 * The temporary file gets a random name in the target's folder and the target's permission bits when the target
 * exists; a symbolic link is followed, so the file it points to is replaced and the link kept.
 * On any failure the temporary file is removed, the original is left as it was, and the error is rethrown.
 * Temporary files of this target left by a writer that was killed are removed by the next write, once stale.
 * With `secret`, the content is for the owner's eyes only: a new file is created 0600 whatever the umask, and an
 * existing file loses its group and other bits (the result says which mode it had, for the caller to report).
 */
export async function writeFileAtomically(
  target: string,
  content: string | Uint8Array,
  fsImpl: Partial<AtomicWriteFs> = {},
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const fs: AtomicWriteFs = { ...nodeFs, ...fsImpl };
  let destination = target;
  let mode: number | undefined;
  try {
    destination = await fs.realpath(target);
    mode = (await fs.stat(destination)).mode & 0o7777;
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
  const result: AtomicWriteResult = { path: destination, created: mode === undefined };
  if (options.secret) {
    const narrowed = mode === undefined ? OWNER_ONLY : mode & ~0o077;
    if (mode !== undefined && narrowed !== mode) result.narrowedFrom = mode;
    mode = narrowed;
  }

  const dir = path.dirname(destination);
  const temp = path.join(dir, `.${path.basename(destination)}.${randomBytes(8).toString('hex')}.tmp`);
  let created = false;
  try {
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
    // A secret's temporary file is the owner's alone from its first byte, before any chmod.
    const handle = await fs.open(temp, flags, options.secret ? OWNER_ONLY : (mode ?? 0o666));
    created = true;
    try {
      await handle.writeFile(content);
      // The umask may have narrowed the mode given to open; give the original's bits back exactly.
      if (mode !== undefined) await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(fs, temp, destination);
    created = false;
  } catch (error) {
    if (created) await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await removeStaleTemporaries(dir, path.basename(destination));
  await syncDirectory(dir);
  return result;
}

/** A temporary file older than this cannot belong to a write still in progress. */
const STALE_TEMPORARY_MS = 60_000;

// A writer killed between creating its temporary file and the rename (SIGKILL, power loss) leaves that file behind,
// holding the new content (often a secret) under a name that the target's .gitignore entry does not cover. The next
// write to the same target removes such leftovers once they are stale. Best effort: failures are ignored.
async function removeStaleTemporaries(dir: string, basename: string): Promise<void> {
  const prefix = `.${basename}.`;
  try {
    for (const name of await fsp.readdir(dir)) {
      if (!name.startsWith(prefix) || !/^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length))) continue;
      const file = path.join(dir, name);
      const stat = await fsp.lstat(file).catch(() => undefined);
      if (stat?.isFile() && Date.now() - stat.mtimeMs > STALE_TEMPORARY_MS) await fsp.unlink(file).catch(() => undefined);
    }
  } catch {
    // An unreadable folder: nothing to clean.
  }
}

// Windows refuses a rename for a moment while another process (an indexer, a virus scanner) has the file open.
async function renameWithRetry(fs: AtomicWriteFs, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (process.platform !== 'win32' || attempt >= 5 || !code || !TRANSIENT_RENAME_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }
}

// Makes the rename itself durable where the platform allows it; best effort (Windows cannot open a folder).
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a folder; the data itself is already synced.
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
