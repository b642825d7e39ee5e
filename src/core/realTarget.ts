// Where a write to a path really lands once symbolic links are followed, and whether that stays inside a folder:
// what the extension and the CLI check before they put a secret (or a .gitignore line) into a file. Reads the file
// system (realpath, lstat, readlink) and nothing else.
import * as fs from 'fs';
import * as path from 'path';

/** More links than this in one path is a loop (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * The real path a write to `target` reaches: the realpath of the target, or, for a target that does not exist yet,
 * the realpath of its nearest existing parent joined with the rest; a dangling link is followed to where it points.
 */
export function realTargetOf(target: string, links = 0): string {
  const absolute = path.resolve(target);
  try {
    return fs.realpathSync.native(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = realTargetOf(parent, links);
  const stat = fs.lstatSync(absolute, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink()) {
    if (links >= MAX_LINKS) throw Object.assign(new Error(`Too many symbolic links in ${target}.`), { code: 'ELOOP' });
    return realTargetOf(path.resolve(realParent, fs.readlinkSync(absolute)), links + 1);
  }
  return path.join(realParent, path.basename(absolute));
}

/** Whether `child` is `folder` or lies below it; both real paths (case-insensitive on Windows). */
export function isInsideFolder(child: string, folder: string): boolean {
  const fold = (p: string) => (process.platform === 'win32' ? p.toLowerCase() : p);
  const relative = path.relative(fold(folder), fold(child));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
