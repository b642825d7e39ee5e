// The one answer to "does git ignore this file", for the extension (the leak guard, the .env writer) and the CLI:
// `git check-ignore` in one batch per folder (tracked files are never reported ignored by it, which is what we want:
// a committed file is exposed whatever .gitignore says), and the .gitignore rules of ./gitignore.ts when git is
// absent or the folder is not a repository.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compileGitignores, GitignoreSource } from './gitignore';

/**
 * The subset of `relativePaths` (relative to `root`, `/`-separated) that git ignores; undefined when git cannot
 * answer (absent, not a repository, a path in a nested repository).
 */
export function gitIgnored(root: string, relativePaths: readonly string[], timeoutMs = 60_000): Promise<Set<string> | undefined> {
  if (relativePaths.length === 0) return Promise.resolve(new Set());
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: Set<string> | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('git', ['check-ignore', '--stdin', '-z'], { cwd: root, stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => {
      child.kill();
      done(undefined);
    }, timeoutMs);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => done(undefined)); // ENOENT: no git
    child.stdin!.on('error', () => undefined); // git may exit before reading everything (not a repository)
    child.on('close', (code) => {
      // 0: some are ignored; 1: none is; 128: not a repository, or a fatal error on some path.
      if (code !== 0 && code !== 1) return done(undefined);
      done(new Set(Buffer.concat(chunks).toString('utf8').split('\0').filter(Boolean)));
    });
    child.stdin!.end(relativePaths.join('\0') + '\0');
  });
}

/** The subset git's rules would ignore, read from the .gitignore files inside `root` (and .git/info/exclude). */
export async function rulesIgnored(root: string, paths: readonly string[]): Promise<Set<string>> {
  // Only paths inside `root` have an answer here (a command line may name ../x or /abs/x).
  const relativePaths = paths.filter((relative) => !path.isAbsolute(relative) && !relative.split('/').includes('..'));
  const dirs = new Set<string>(['']);
  for (const relative of relativePaths) {
    const parts = relative.split('/');
    for (let depth = 1; depth < parts.length; depth++) dirs.add(parts.slice(0, depth).join('/'));
  }
  const sources: GitignoreSource[] = [];
  const exclude = await readOptional(path.join(root, '.git', 'info', 'exclude'));
  if (exclude !== undefined) sources.push({ dir: '', text: exclude });
  await Promise.all(
    [...dirs].map(async (dir) => {
      const text = await readOptional(path.join(root, ...dir.split('/').filter(Boolean), '.gitignore'));
      if (text !== undefined) sources.push({ dir, text });
    }),
  );
  if (sources.length === 0) return new Set();
  // Deeper files override higher ones (compileGitignores sorts by depth); .git/info/exclude came first, so the root
  // .gitignore overrides it, as in git.
  const matcher = compileGitignores(sources, { ignoreCase: process.platform === 'win32' || process.platform === 'darwin' });
  return new Set(relativePaths.filter((relative) => matcher.isIgnored(relative)));
}

/** git first, then the rules. */
export async function ignoredAmong(root: string, relativePaths: readonly string[], timeoutMs?: number): Promise<Set<string>> {
  return (await gitIgnored(root, relativePaths, timeoutMs)) ?? (await rulesIgnored(root, relativePaths));
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
