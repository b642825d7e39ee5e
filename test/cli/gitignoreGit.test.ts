// src/core/gitignore.ts against real git: seeded random patterns in a .gitignore and a nested one, random file and
// folder names (non-ASCII, backslashes, dots), every path asked of `git check-ignore` in one batch. A disagreement
// names the case folder, its .gitignore files and the path, to reproduce with git by hand.
// It lives in test/cli, not test/unit: it writes some 8,000 files, which a slow disk makes take seconds.
import * as assert from 'assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compileGitignores, type GitignoreSource } from '../../src/core/gitignore';

// Folders of one repository, about 7.5 paths each (files and folders): enough to meet every piece of PIECES often,
// few enough files for a slow disk.
const CASES = 1000;
const SEED = 20261201;

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const NAMES = ['a', 'b', 'ab', 'ba', 'é', 'ée', 'aé', 'data-é.csv', 'data-e.csv', 'x.y', 'a\\b', 'b a', 'ü', '.env', 'É'];
const PIECES = ['a', 'b', 'é', 'ü', 'e', '.', '-', 'x', '*', '**', '?', '??', '[a-c]', '[é]', '[!a]', '[[:alpha:]]', '/', '\\*', '\\\\', ' '];

function pattern(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  let out = '';
  const length = 1 + Math.floor(next() * 4);
  for (let i = 0; i < length; i++) out += pick(PIECES);
  if (next() < 0.15) out = `!${out}`;
  if (next() < 0.15) out = `${out}/`;
  if (next() < 0.15) out = `/${out}`;
  return out;
}

interface Case {
  folder: string;
  sources: GitignoreSource[];
  files: string[];
  dirs: string[];
}

function makeCases(): Case[] {
  const next = random(SEED);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const cases: Case[] = [];
  for (let c = 0; c < CASES; c++) {
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (let f = 0; f < 4; f++) {
      const depth = Math.floor(next() * 3);
      const parts = Array.from({ length: depth }, () => pick(NAMES));
      // A name is a file or a folder, not both.
      for (let d = 1; d <= depth; d++) dirs.add(parts.slice(0, d).join('/'));
      const file = [...parts, pick(NAMES)].join('/');
      if (!dirs.has(file)) files.add(file);
    }
    for (const dir of dirs) files.delete(dir);
    const lines = (count: number) => Array.from({ length: count }, () => pattern(next)).join('\n') + '\n';
    const sources: GitignoreSource[] = [{ dir: '', text: lines(1 + Math.floor(next() * 3)) }];
    const nested = [...dirs][0];
    if (nested !== undefined && next() < 0.6) sources.push({ dir: nested, text: lines(1 + Math.floor(next() * 2)) });
    cases.push({ folder: `c${c}`, sources, files: [...files], dirs: [...dirs] });
  }
  return cases;
}

describe('gitignore against real git check-ignore', function () {
  this.timeout(60_000);
  let repo: string;
  before(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-gitignore-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
  });
  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it(`agrees on ${CASES} seeded random cases (patterns, nested .gitignore files, non-ASCII names)`, () => {
    const cases = makeCases();
    const asked: string[] = [];
    for (const c of cases) {
      for (const dir of c.dirs) fs.mkdirSync(path.join(repo, c.folder, ...dir.split('/')), { recursive: true });
      fs.mkdirSync(path.join(repo, c.folder), { recursive: true });
      for (const file of c.files) fs.writeFileSync(path.join(repo, c.folder, ...file.split('/')), '');
      for (const source of c.sources) fs.writeFileSync(path.join(repo, c.folder, ...source.dir.split('/').filter(Boolean), '.gitignore'), source.text);
      asked.push(...c.files.map((file) => `${c.folder}/${file}`), ...c.dirs.map((dir) => `${c.folder}/${dir}`));
    }
    let out = '';
    try {
      out = execFileSync('git', ['check-ignore', '--stdin', '-z'], { cwd: repo, input: asked.join('\0') + '\0', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      // Exit code 1: nothing ignored.
      out = (error as { stdout?: string }).stdout ?? '';
    }
    const byGit = new Set(out.split('\0').filter(Boolean));
    const disagreements: string[] = [];
    for (const c of cases) {
      const matcher = compileGitignores(c.sources);
      const check = (relative: string, isDirectory: boolean) => {
        const ours = matcher.isIgnored(relative, isDirectory);
        const git = byGit.has(`${c.folder}/${relative}`);
        if (ours !== git) disagreements.push(`${c.folder} ${JSON.stringify(c.sources)} ${JSON.stringify(relative)}: git ${git}, ours ${ours}`);
      };
      for (const file of c.files) check(file, false);
      for (const dir of c.dirs) check(dir, true);
    }
    assert.deepEqual(disagreements.slice(0, 10), [], `${disagreements.length} of ${asked.length} paths disagree`);
  });
});
