// .gitignore matching for when git itself is absent, following gitignore(5) and git's wildmatch:
// comments, blank lines, trailing-space trimming (unless escaped), `!` negation, `\#` and `\!`, a leading or middle
// `/` anchoring to the .gitignore's folder, a trailing `/` for folders only, `*`, `?`, `[...]` classes (`!`/`^`
// negation, ranges, [:alpha:] etc.), `**/`, `/**`, `/**/`, backslash escapes, last match wins, deeper files override
// higher ones, and no re-including a path whose parent folder is ignored.
// Paths are relative to the repository root with `/` separators; pure, no I/O.
//
// Why not the `ignore` package: measured against real `git check-ignore` on git's own wildmatch cases (t3070), the
// `ignore` package's own cases and ~200,000 random cases, this module is the more correct of the two: `ignore` misses
// `foo**/bar` and `src**/*.js` and has no nested .gitignore files. Like git it compares bytes: the pattern and the
// path are matched as their UTF-8 bytes (`?` is one byte, `[é]` a bracket of é's two bytes), and ignoreCase folds
// ASCII letters only. test/cli/gitignoreGit.test.ts holds it to real git on seeded random cases.
import { detectLineEnding } from './env';

export interface GitignoreSource {
  /** The folder holding this .gitignore, relative to the repository root ('' or '.' for the root). */
  dir: string;
  text: string;
}

export interface GitignoreOptions {
  /** The path names a folder (a trailing `/` on the path says the same). */
  isDirectory?: boolean;
  /** Match case-insensitively, as git does with core.ignoreCase (Windows, macOS). */
  ignoreCase?: boolean;
}

export interface GitignoreRule {
  /** The line as written (after trailing-space trimming). */
  source: string;
  /** 0-based line in its file. */
  line: number;
  negated: boolean;
  directoryOnly: boolean;
  /** No `/` in the pattern: matched against the last path component at any depth. */
  basenameOnly: boolean;
  /** null when the pattern can never match (an unclosed `[`, a trailing `\`, an unknown [:class:]). */
  regex: RegExp | null;
}

export interface GitignoreMatcher {
  isIgnored(relativePath: string, isDirectory?: boolean): boolean;
}

/** Whether git would ignore the path, given every .gitignore that may apply to it. */
export function isIgnoredByRules(
  relativePath: string,
  gitignoreTexts: ReadonlyArray<GitignoreSource>,
  options: GitignoreOptions = {},
): boolean {
  return compileGitignores(gitignoreTexts, options).isIgnored(relativePath, options.isDirectory);
}

/** Compiles the sources once, for checking many paths. */
export function compileGitignores(sources: ReadonlyArray<GitignoreSource>, options: GitignoreOptions = {}): GitignoreMatcher {
  const ignoreCase = options.ignoreCase === true;
  // Paths and folders are compared as bytes (folded when ignoreCase), as the rules' patterns are.
  const under = (path: string, dir: string): boolean => dir === '' || path.startsWith(`${dir}/`);
  const compiled = sources
    .map((source, order) => {
      const dir = asBytes(normaliseDir(source.dir), ignoreCase);
      return { dir, depth: dir === '' ? 0 : dir.split('/').length, order, rules: parseGitignore(source.text, options) };
    })
    // Deeper files override higher ones; files of one folder keep the order given.
    .sort((a, b) => a.depth - b.depth || a.order - b.order);

  /** true (ignored) or false (re-included) by the last matching rule, undefined when no rule matches. */
  const verdict = (path: string, isDirectory: boolean): boolean | undefined => {
    const slash = path.lastIndexOf('/');
    for (let f = compiled.length - 1; f >= 0; f--) {
      const { dir, rules } = compiled[f];
      if (!under(path, dir)) continue;
      const relative = dir === '' ? path : path.slice(dir.length + 1);
      const basename = slash === -1 ? path : path.slice(slash + 1);
      for (let r = rules.length - 1; r >= 0; r--) {
        const rule = rules[r];
        if (!rule.regex || (rule.directoryOnly && !isDirectory)) continue;
        if (rule.regex.test(rule.basenameOnly ? basename : relative)) return !rule.negated;
      }
    }
    return undefined;
  };

  return {
    isIgnored(relativePath: string, isDirectory?: boolean): boolean {
      let path = relativePath.replace(/\/{2,}/g, '/').replace(/^(?:\.\/)+/, '').replace(/^\/+/, '');
      let directory = isDirectory === true;
      if (path.endsWith('/')) {
        directory = true;
        path = path.replace(/\/+$/, '');
      }
      if (path === '' || path === '.') return false;
      path = asBytes(path, ignoreCase);
      const parts = path.split('/');
      // A path inside an ignored folder is ignored whatever later rules say: git does not even look inside.
      for (let i = 1; i < parts.length; i++) {
        if (verdict(parts.slice(0, i).join('/'), true) === true) return true;
      }
      return verdict(path, directory) === true;
    },
  };
}

/** The rules of one .gitignore text, in order. */
export function parseGitignore(text: string, options: GitignoreOptions = {}): GitignoreRule[] {
  const rules: GitignoreRule[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, line) => {
    let pattern = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (pattern === '' || pattern.startsWith('#')) return;
    pattern = trimTrailingSpaces(pattern);
    const source = pattern;
    let negated = false;
    if (pattern.startsWith('!')) {
      negated = true;
      pattern = pattern.slice(1);
    }
    let directoryOnly = false;
    if (pattern.endsWith('/')) {
      directoryOnly = true;
      pattern = pattern.slice(0, -1);
    }
    if (pattern === '') return;
    const basenameOnly = !pattern.includes('/');
    if (pattern.startsWith('/')) pattern = pattern.slice(1);
    rules.push({
      source,
      line,
      negated,
      directoryOnly,
      basenameOnly,
      regex: wildmatchToRegExp(asBytes(pattern, false), !basenameOnly, options.ignoreCase === true),
    });
  });
  return rules;
}

/**
 * Appends one pattern line, with the text's dominant line ending and a final line ending; a text already holding
 * the exact line is returned unchanged.
 */
export function appendGitignoreEntry(text: string, entry: string): string {
  if (/[\r\n]/.test(entry)) throw new Error('A .gitignore entry is one line; remove the line break from it.');
  if (entry.trim() === '') throw new Error('Give a pattern to add to .gitignore, such as .env.');
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (lines.some((line) => trimTrailingSpaces(line) === trimTrailingSpaces(entry))) return text;
  const body = text.replace(/^\uFEFF/, '');
  const eol = detectLineEnding(text);
  const separator = body === '' || /[\r\n]$/.test(body) ? '' : eol;
  return `${text}${separator}${entry}${eol}`;
}

/** A pattern matching exactly this one path (relative to the .gitignore's folder): anchored, specials escaped. */
export function gitignorePatternFor(relativePath: string): string {
  const path = relativePath.replace(/^\/+/, '');
  return `/${path.replace(/[\\*?[\]!#]/g, '\\$&').replace(/ $/, '\\ ')}`;
}

/** The string's UTF-8 bytes, one char each (latin1), ASCII letters folded to lower case when ignoreCase. */
function asBytes(text: string, ignoreCase: boolean): string {
  const bytes = Buffer.from(text, 'utf8').toString('latin1');
  return ignoreCase ? bytes.replace(/[A-Z]/g, (letter) => letter.toLowerCase()) : bytes;
}

// A backslash is part of a folder's name (`a\b/.gitignore`), never a separator: git's paths use `/` only.
function normaliseDir(dir: string): string {
  const d = dir.replace(/\/{2,}/g, '/').replace(/^(?:\.\/)+/, '').replace(/^\/+|\/+$/g, '');
  return d === '.' ? '' : d;
}

// git's trim_trailing_spaces: drop trailing spaces unless the last one is escaped with a backslash.
function trimTrailingSpaces(pattern: string): string {
  let lastSpace = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === ' ') {
      if (lastSpace === -1) lastSpace = i;
    } else if (c === '\\') {
      i++;
      if (i >= pattern.length) return pattern;
      lastSpace = -1;
    } else lastSpace = -1;
  }
  return lastSpace === -1 ? pattern : pattern.slice(0, lastSpace);
}

const isUpper = (b: number) => b >= 0x41 && b <= 0x5a;
const isLower = (b: number) => b >= 0x61 && b <= 0x7a;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
/** git's sane_ctype classes: ASCII only, whatever the locale. */
const POSIX_CLASSES: Record<string, (b: number) => boolean> = {
  alnum: (b) => isUpper(b) || isLower(b) || isDigit(b),
  alpha: (b) => isUpper(b) || isLower(b),
  blank: (b) => b === 0x20 || b === 0x09,
  cntrl: (b) => b < 0x20 || b === 0x7f,
  digit: isDigit,
  graph: (b) => b > 0x20 && b < 0x7f,
  lower: isLower,
  print: (b) => b >= 0x20 && b < 0x7f,
  punct: (b) => b > 0x20 && b < 0x7f && !isUpper(b) && !isLower(b) && !isDigit(b),
  space: (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d),
  upper: isUpper,
  xdigit: (b) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66),
};

/** One byte (a char below 256) as a RegExp atom. */
function byteAtom(char: string): string {
  const code = char.charCodeAt(0);
  if (code >= 0x80) return `\\x${code.toString(16)}`;
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

/** A set of bytes as a RegExp class. */
function byteClass(members: Uint8Array): string {
  let out = '';
  for (let lo = 0; lo < 256; lo++) {
    if (!members[lo]) continue;
    let hi = lo;
    while (hi + 1 < 256 && members[hi + 1]) hi++;
    const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;
    out += lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
    lo = hi;
  }
  return out === '' ? '(?!)' : `[${out}]`;
}

/** git's wildmatch as a RegExp; `pathname` = WM_PATHNAME (`*`, `?`, classes do not match `/`). null: never matches. */
function wildmatchToRegExp(pattern: string, pathname: boolean, ignoreCase: boolean): RegExp | null {
  // The path is folded already (asBytes): fold the pattern's literal letters to meet it.
  const fold = (char: string) => (ignoreCase ? char.replace(/[A-Z]/, (letter) => letter.toLowerCase()) : char);
  const any = pathname ? '[^/]' : '[\\s\\S]';
  let out = '^';
  let i = 0;
  const n = pattern.length;
  // git's match_pathname compares the literal part before the first wildcard separately and runs wildmatch on the
  // rest, so a `**` right after that literal part counts as the start of the pattern: `a**/b` matches `ab` and
  // `a/x/b`, and `foo**` whatever lies below `foo`. Reproduced because it is what git does.
  let literalPrefix = 0;
  if (pathname) while (literalPrefix < n && !'*?[\\'.includes(pattern[literalPrefix])) literalPrefix++;
  while (i < n) {
    const c = pattern[i];
    if (c === '*') {
      let j = i;
      while (pattern[j] === '*') j++;
      const atSegmentStart = i === literalPrefix || pattern[i - 1] === '/';
      const atSegmentEnd = j === n || pattern[j] === '/' || (pattern[j] === '\\' && pattern[j + 1] === '/');
      if (pathname && j - i >= 2 && atSegmentStart && atSegmentEnd) {
        if (j === n) {
          out += '[\\s\\S]*';
          i = j;
        } else {
          // `**/`: zero or more whole folders.
          out += '(?:[\\s\\S]*/)?';
          i = j + (pattern[j] === '\\' ? 2 : 1);
        }
      } else {
        out += `${any}*`;
        i = j;
      }
    } else if (c === '?') {
      out += any;
      i++;
    } else if (c === '[') {
      const parsed = parseClass(pattern, i, ignoreCase);
      if (!parsed) return null;
      out += parsed.regex;
      i = parsed.end;
    } else if (c === '\\') {
      if (i + 1 >= n) return null;
      out += byteAtom(fold(pattern[i + 1]));
      i += 2;
    } else {
      out += byteAtom(fold(c));
      i++;
    }
  }
  return new RegExp(`${out}$`);
}

// wildmatch's bracket expression, from `[` at `start`; null when it is unterminated or names an unknown class. Built
// as a set of bytes, as git's dowild matches it: with ignoreCase (the path folded to lower case) a range or
// [:upper:] also takes a lower-case letter whose upper case it holds, and a single letter is taken as written.
function parseClass(pattern: string, start: number, ignoreCase: boolean): { regex: string; end: number } | null {
  const members = new Uint8Array(256);
  const add = (test: (b: number) => boolean) => {
    for (let b = 0; b < 256; b++) if (test(b) || (ignoreCase && isLower(b) && test(b - 0x20))) members[b] = 1;
  };
  let p = start + 1;
  let negated = false;
  if (pattern[p] === '!' || pattern[p] === '^') {
    negated = true;
    p++;
  }
  let prev: number | null = null; // the previous single byte, which a following `-x` turns into a range
  let first = true;
  for (;;) {
    if (p >= pattern.length) return null;
    let ch = pattern[p];
    if (ch === ']' && !first) break;
    first = false;
    if (ch === '\\') {
      p++;
      if (p >= pattern.length) return null;
      ch = pattern[p];
      members[ch.charCodeAt(0)] = 1;
      prev = ch.charCodeAt(0);
      p++;
    } else if (ch === '-' && prev !== null && p + 1 < pattern.length && pattern[p + 1] !== ']') {
      p++;
      let hi = pattern[p];
      if (hi === '\\') {
        p++;
        if (p >= pattern.length) return null;
        hi = pattern[p];
      }
      const lo = prev;
      const top = hi.charCodeAt(0);
      add((b) => b >= lo && b <= top);
      prev = null;
      p++;
    } else if (ch === '[' && pattern[p + 1] === ':') {
      const close = pattern.indexOf(']', p + 2);
      if (close === -1) return null;
      if (pattern[close - 1] !== ':' || close - 1 < p + 2) {
        // Not a [:class:]: a literal `[`.
        members[0x5b] = 1;
        prev = 0x5b;
        p++;
        continue;
      }
      const test = POSIX_CLASSES[pattern.slice(p + 2, close - 1)];
      if (test === undefined) return null;
      add(test);
      prev = null;
      p = close + 1;
    } else {
      members[ch.charCodeAt(0)] = 1;
      prev = ch.charCodeAt(0);
      p++;
    }
  }
  if (negated) for (let b = 0; b < 256; b++) members[b] ^= 1;
  members[0x2f] = 0; // a bracket never matches `/`
  return { regex: byteClass(members), end: p + 1 };
}
