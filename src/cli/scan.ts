// tokenhub scan [PATH…]: the leak guard for the terminal and git hooks. Prints FILE:LINE:COLUMN and the masked key of
// every Token Hub secret found (never the secret), exit code 1 when anything is found, 0 when clean, 2 on usage errors.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ignoredAmong } from '../core/ignoredByGit';
import { readScannable } from '../core/scanFile';
import { exposedFindings, KIND_NAMES } from '../core/scanner';
import { maskToken } from '../core/token';
import { command, parse } from './command';
import { EXIT, UsageError } from './errors';

const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

const HELP = `Usage: tokenhub scan [PATH…]

Looks for Token Hub secrets (access tokens thub_…, account keys thak_…, service keys thsk_…) in files
and prints one line per finding:

  src/config.ts:12:18: Token Hub access token thub_Ab12…x7Qa

Only the masked key is printed, never the secret. A token is recognised by its checksum, so random text is
practically never reported. A finding on a line holding "tokenhub-ignore", or on the line below one, is not reported.

Without PATH, scans the files git would commit in the current folder: tracked files and untracked files that are
not ignored (without git: every file, minus .gitignore rules). A FILE is always scanned; a FOLDER is walked, skipping
.git, node_modules and the files git ignores. Binary files (holding a NUL byte) and files over 5 MB are skipped.

As a pre-commit hook (.git/hooks/pre-commit, executable):

  #!/bin/sh
  git diff --cached --name-only -z --diff-filter=ACMR | xargs -0 -r tokenhub scan --

Options:
  -h, --help  show this help

Exit codes:
  0  no secret found
  1  a secret was found, or a file could not be read
  2  usage error (unknown option, a PATH that does not exist)
`;

export const scan = command('scan', 'look for Token Hub secrets in files (a pre-commit check)', HELP, async (argv) => {
  const { positionals } = parse(argv, {}, { max: Number.MAX_SAFE_INTEGER });
  const cwd = process.cwd();
  let files: string[];
  if (positionals.length === 0) files = (await gitCandidates(cwd)) ?? (await walk(cwd, '.'));
  else {
    files = [];
    for (const given of positionals) {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(given);
      } catch {
        throw new UsageError(`No such file or folder: ${given}`);
      }
      files.push(...(stat.isDirectory() ? await walk(cwd, given) : [given]));
    }
  }

  let found = 0;
  let filesWithFindings = 0;
  let scanned = 0;
  let unreadable = 0;
  // A FILE named on the command line that git ignores (an .env, where a secret belongs) is fine where it is: said, not
  // reported. (Without PATH, and in a FOLDER, ignored files are not even read.)
  const ignoredGiven = positionals.length > 0 ? await ignoredAmong(cwd, [...new Set(files)]) : new Set<string>();
  const ignoredReported = new Map<string, number>();
  for (const file of [...new Set(files)]) {
    const read = await readScannable(file);
    if (read.unreadable !== undefined) {
      if (read.unreadable === 'ENOENT' && positionals.length === 0) continue; // deleted but still tracked
      process.stderr.write(`tokenhub scan: cannot read ${file} (${read.unreadable}).\n`);
      unreadable++;
      continue;
    }
    if (read.text === undefined) continue;
    scanned++;
    if (!read.mayHoldToken) continue;
    const text = read.text;
    const findings = exposedFindings(text);
    if (findings.length === 0) continue;
    if (ignoredGiven.has(file)) {
      ignoredReported.set(file, findings.length);
      continue;
    }
    filesWithFindings++;
    found += findings.length;
    const lines = findings.map((finding) => `${file}:${finding.line + 1}:${finding.column + 1}: Token Hub ${KIND_NAMES[finding.kind]} ${maskToken(finding.token)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  for (const [file, count] of ignoredReported) {
    process.stderr.write(`tokenhub scan: ${file} holds ${count} Token Hub secret${count === 1 ? '' : 's'}, and git ignores it, so ${count === 1 ? 'it stays' : 'they stay'} out of commits: that is where a secret belongs.\n`);
  }
  if (found > 0) {
    process.stderr.write(
      `tokenhub scan: found ${found} Token Hub secret${found === 1 ? '' : 's'} in ${filesWithFindings} file${filesWithFindings === 1 ? '' : 's'}. ` +
        'Move each one to an ignored .env file, and revoke it if it was shared (or committed).\n',
    );
    return EXIT.failure;
  }
  if (unreadable > 0) return EXIT.failure;
  const where = `${scanned} file${scanned === 1 ? '' : 's'}`;
  process.stderr.write(`tokenhub scan: ${ignoredReported.size > 0 ? `no Token Hub secrets that git would commit in ${where}` : `no Token Hub secrets in ${where}`}.\n`);
  return EXIT.ok;
});

/** `git ls-files --cached --others --exclude-standard` in `cwd` (paths relative to it); undefined without git. */
function gitCandidates(cwd: string): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(stdout.split('\0').filter(Boolean));
    });
  });
}

/** Every file under `dir` (relative to `cwd`), skipping .git, node_modules, symbolic links and ignored files. */
async function walk(cwd: string, dir: string): Promise<string[]> {
  const files: string[] = [];
  const visit = async (relative: string) => {
    const absolute = path.resolve(cwd, dir, relative);
    const entries = await fs.promises.readdir(absolute, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) await visit(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  await visit('');
  const shown = (relative: string) => (dir === '.' ? relative : path.join(dir, relative));
  const ignored = await ignoredAmong(path.resolve(cwd, dir), files);
  return files.filter((file) => !ignored.has(file)).map(shown);
}
