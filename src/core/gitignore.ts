// .gitignore matching for when git itself is absent, following gitignore(5) and git's wildmatch:
// comments, blank lines, trailing-space trimming (unless escaped), `!` negation, `\#` and `\!`, a leading or middle
// `/` anchoring to the .gitignore's folder, a trailing `/` for folders only, `*`, `?`, `[...]` classes (`!`/`^`
// negation, ranges, [:alpha:] etc.), `**/`, `/**`, `/**/`, backslash escapes, last match wins, deeper files override
// higher ones, and no re-including a path whose parent folder is ignored.
// Paths are relative to the repository root with `/` separators; pure, no I/O.
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
  const under = (path: string, dir: string): boolean =>
    dir === '' || (ignoreCase ? path.toLowerCase().startsWith(`${dir.toLowerCase()}/`) : path.startsWith(`${dir}/`));
  const compiled = sources
    .map((source, order) => {
      const dir = normaliseDir(source.dir);
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
      regex: wildmatchToRegExp(pattern, !basenameOnly, options.ignoreCase === true),
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

function normaliseDir(dir: string): string {
  const d = dir.replace(/\\/g, '/').replace(/\/{2,}/g, '/').replace(/^(?:\.\/)+/, '').replace(/^\/+|\/+$/g, '');
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

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\v\\f\\r',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

function escapeRegExpChar(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

function classChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** git's wildmatch as a RegExp; `pathname` = WM_PATHNAME (`*`, `?`, classes do not match `/`). null: never matches. */
function wildmatchToRegExp(pattern: string, pathname: boolean, ignoreCase: boolean): RegExp | null {
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
      const parsed = parseClass(pattern, i);
      if (!parsed) return null;
      out += parsed.regex;
      i = parsed.end;
    } else if (c === '\\') {
      if (i + 1 >= n) return null;
      out += escapeRegExpChar(pattern[i + 1]);
      i += 2;
    } else {
      out += escapeRegExpChar(c);
      i++;
    }
  }
  return new RegExp(`${out}$`, ignoreCase ? 'i' : '');
}

// wildmatch's bracket expression, from `[` at `start`; null when it is unterminated or names an unknown class.
function parseClass(pattern: string, start: number): { regex: string; end: number } | null {
  let p = start + 1;
  let negated = false;
  if (pattern[p] === '!' || pattern[p] === '^') {
    negated = true;
    p++;
  }
  let body = '';
  let prev: string | null = null; // the previous single character, which a following `-x` turns into a range
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
      body += classChar(ch);
      prev = ch;
      p++;
    } else if (ch === '-' && prev !== null && p + 1 < pattern.length && pattern[p + 1] !== ']') {
      p++;
      let hi = pattern[p];
      if (hi === '\\') {
        p++;
        if (p >= pattern.length) return null;
        hi = pattern[p];
      }
      if (prev <= hi) body += `${classChar(prev)}-${classChar(hi)}`;
      prev = null;
      p++;
    } else if (ch === '[' && pattern[p + 1] === ':') {
      const close = pattern.indexOf(']', p + 2);
      if (close === -1) return null;
      if (pattern[close - 1] !== ':' || close - 1 < p + 2) {
        // Not a [:class:]: a literal `[`.
        body += classChar('[');
        prev = '[';
        p++;
        continue;
      }
      const name = pattern.slice(p + 2, close - 1);
      const members = POSIX_CLASSES[name];
      if (members === undefined) return null;
      body += members;
      prev = null;
      p = close + 1;
    } else {
      body += classChar(ch);
      prev = ch;
      p++;
    }
  }
  return { regex: `(?!/)[${negated ? '^' : ''}${body}]`, end: p + 1 };
}
