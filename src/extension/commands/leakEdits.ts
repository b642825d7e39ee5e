// The text edits of the leak guard's quick fixes, pure (no vscode): what replaces an exposed token in a line of
// source, the "tokenhub-ignore" comment for a language, and where Python's `import os` goes.
import { IGNORE_MARKER } from '../services/leakGuard';

const JS_LANGUAGES = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

interface StringLiteral {
  /** Where the literal starts (its prefix, such as Python's r or f, included) and ends (after the closing quote). */
  start: number;
  end: number;
  contentStart: number;
  contentEnd: number;
  prefix: string;
  quote: string;
  closed: boolean;
}

/** The string literals of one line of JavaScript/TypeScript or Python (comments skipped; escapes honoured). */
export function stringLiteralsOnLine(line: string, languageId: string): StringLiteral[] {
  const js = JS_LANGUAGES.has(languageId);
  const python = languageId === 'python';
  if (!js && !python) return [];
  const literals: StringLiteral[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (js && c === '/' && line[i + 1] === '/') break;
    if (js && c === '/' && line[i + 1] === '*') {
      const close = line.indexOf('*/', i + 2);
      if (close === -1) break;
      i = close + 2;
      continue;
    }
    if (python && c === '#') break;
    if (c === '"' || c === "'" || (js && c === '`')) {
      let start = i;
      if (python) {
        // A string prefix (r, b, u, f, rb, fr, …) right before the quote, not the end of an identifier.
        let p = i;
        while (p > 0 && i - p < 2 && /[rRbBuUfF]/.test(line[p - 1])) p--;
        if (p < i && (p === 0 || !/\w/.test(line[p - 1]))) start = p;
      }
      const quote = python && line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      let closed = false;
      while (j < line.length) {
        if (line[j] === '\\') {
          j += 2;
          continue;
        }
        if (line.startsWith(quote, j)) {
          closed = true;
          break;
        }
        j++;
      }
      const contentEnd = Math.min(j, line.length);
      literals.push({ start, end: closed ? j + quote.length : line.length, contentStart: i + quote.length, contentEnd, prefix: line.slice(start, i), quote, closed });
      i = closed ? j + quote.length : line.length;
      continue;
    }
    i++;
  }
  return literals;
}

export interface LineEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * What replaces the token at [start, end) of `line` with `reference` (an expression such as process.env.NAME).
 * In JavaScript/TypeScript and Python a token that is a whole string literal is replaced with its quotes; one
 * inside a longer literal is split out of it (`"Bearer " + process.env.NAME`, or `${…}` in a template literal).
 * Elsewhere (YAML, shell, unknown languages) only the token itself is replaced.
 */
export function referenceEdit(line: string, start: number, end: number, languageId: string, reference: string): LineEdit {
  const literal = stringLiteralsOnLine(line, languageId).find((candidate) => candidate.contentStart <= start && end <= candidate.contentEnd);
  if (!literal || !literal.closed || literal.quote.length === 3) return { start, end, text: reference };
  if (literal.contentStart === start && literal.contentEnd === end) return { start: literal.start, end: literal.end, text: reference };
  if (literal.quote === '`') return { start, end, text: `\${${reference}}` };
  const open = literal.prefix + literal.quote;
  const parts: string[] = [];
  if (start > literal.contentStart) parts.push(`${open}${line.slice(literal.contentStart, start)}${literal.quote}`);
  parts.push(reference);
  if (end < literal.contentEnd) parts.push(`${open}${line.slice(end, literal.contentEnd)}${literal.quote}`);
  const joined = parts.join(' + ');
  // Parentheses unless the literal stands alone (after = ( , : [ { + or return, before ) , ; ] } + or the line end).
  const before = line.slice(0, literal.start).trimEnd();
  const after = line.slice(literal.end).trimStart();
  const alone = (before === '' || /[=(,:[{+]$|\breturn$/.test(before)) && (after === '' || /^[),;\]}+]/.test(after));
  return { start: literal.start, end: literal.end, text: alone ? joined : `(${joined})` };
}

const LINE_COMMENTS: Record<string, string> = {
  javascript: '//', typescript: '//', javascriptreact: '//', typescriptreact: '//', jsonc: '//', java: '//', c: '//',
  cpp: '//', csharp: '//', go: '//', rust: '//', swift: '//', kotlin: '//', scala: '//', php: '//', dart: '//',
  groovy: '//', 'objective-c': '//', 'objective-cpp': '//', fsharp: '//', vue: '//', svelte: '//',
  python: '#', yaml: '#', dockercompose: '#', shellscript: '#', dockerfile: '#', ruby: '#', perl: '#', r: '#',
  toml: '#', properties: '#', dotenv: '#', makefile: '#', powershell: '#', elixir: '#', coffeescript: '#',
  julia: '#', terraform: '#', hcl: '#', ignore: '#', nginx: '#', cmake: '#', 'ssh_config': '#',
  ini: ';', sql: '--', lua: '--', haskell: '--', bat: 'REM', vb: "'", latex: '%', tex: '%', erlang: '%',
};

/** The line "Ignore here" inserts above a finding, or undefined for a language without comments (JSON). */
export function ignoreMarkerLine(languageId: string, indent: string): string | undefined {
  if (languageId === 'plaintext') return `${indent}${IGNORE_MARKER}`;
  if (['html', 'xml', 'markdown', 'xsl', 'svg'].includes(languageId)) return `${indent}<!-- ${IGNORE_MARKER} -->`;
  if (['css', 'scss', 'less'].includes(languageId)) return `${indent}/* ${IGNORE_MARKER} */`;
  const comment = LINE_COMMENTS[languageId];
  return comment === undefined ? undefined : `${indent}${comment} ${IGNORE_MARKER}`;
}

/**
 * The 0-based line where `import os` goes in a Python file that does not import os yet (after a shebang, header
 * comments, the module docstring and `from __future__` imports), or undefined when os is imported already.
 */
export function pythonImportOsLine(text: string): number | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  const importsOs = lines.some((line) => {
    const match = /^\s*import\s+([^#]*)/.exec(line);
    return !!match && match[1].split(',').some((name) => name.trim() === 'os');
  });
  if (importsOs) return undefined;
  let i = 0;
  while (i < lines.length && (lines[i].trim() === '' || lines[i].trimStart().startsWith('#'))) i++;
  const docstring = /^\s*[rRuU]?("""|''')/.exec(lines[i] ?? '');
  if (docstring) {
    const quote = docstring[1];
    const rest = lines[i].slice(docstring[0].length);
    if (!rest.includes(quote)) {
      i++;
      while (i < lines.length && !lines[i].includes(quote)) i++;
    }
    i++;
  }
  let afterFuture = i;
  for (let j = i; j < lines.length; j++) {
    if (/^\s*from\s+__future__\s+import\b/.test(lines[j])) afterFuture = j + 1;
    else if (lines[j].trim() !== '' && !lines[j].trimStart().startsWith('#')) break;
  }
  if (afterFuture < lines.length) return afterFuture;
  // The file is all header: on its last, empty line when it ends with a line break, else at the top.
  return lines.at(-1) === '' ? lines.length - 1 : 0;
}
