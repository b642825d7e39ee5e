// Editing the text of a .env file without rewriting it: one variable's value changes (or one line is appended),
// every other byte stays as it was. The file is understood exactly as dotenv reads it (its own line pattern), so
// multi-line quoted values, `export ` prefixes and `KEY: value` lines are recognised as dotenv recognises them.
// Pure: no I/O here; the caller reads the file, asks the user, checks with `verifyEnvEdit` and writes it.
//
// Lines are numbered from 0. Line ends are LF, CRLF or a lone CR, as dotenv treats them.
// Duplicates: dotenv (18.x, both its default and its `fast` parser) keeps the LAST occurrence of a name, so that is
// the one `findEnvVariable` reports as the value and the one `setEnvVariable` replaces; earlier ones are left as
// they are and reported in `duplicateLines`.
import { parse as dotenvParse } from 'dotenv';
import { validateEnvVariableName } from './validation';

export type LineEnding = '\n' | '\r\n' | '\r';

/** One assignment as dotenv reads it. */
export interface EnvEntry {
  name: string;
  /** The value dotenv gives this occurrence (quotes removed, `\n`/`\r` expanded in double quotes). */
  value: string;
  /** 0-based line of the name. */
  line: number;
  /** 0-based last line of the entry: greater than `line` when a quoted value spans lines. */
  endLine: number;
  exported: boolean;
}

export interface EnvVariableLookup {
  name: string;
  /** The value dotenv uses: that of the last occurrence. */
  value: string;
  /** 0-based line of the last occurrence (the one dotenv uses and `setEnvVariable` replaces). */
  line: number;
  /** Every occurrence, in file order; the last one is the effective one. */
  occurrences: EnvEntry[];
}

export type EnvEditAction = 'appended' | 'replaced' | 'unchanged';

export interface EnvEditResult {
  text: string;
  action: EnvEditAction;
  /** 0-based line of the variable in the new text. */
  line: number;
  /** 0-based line of the occurrence that was replaced (or found equal) in the original text. */
  existingLine?: number;
  /** 0-based lines of earlier occurrences of the same name, left untouched (dotenv ignores them). */
  duplicateLines: number[];
}

export interface SetEnvOptions {
  /** Replace the value when the variable exists with a different value. Default false: throw `variable_exists`. */
  replace?: boolean;
}

export type EnvEditErrorCode = 'invalid_name' | 'variable_exists' | 'unrepresentable_value' | 'verification_failed';

/** Why an edit was refused. Messages never contain a value (values are usually secrets). */
export class EnvEditError extends Error {
  override readonly name = 'EnvEditError';
  constructor(
    readonly code: EnvEditErrorCode,
    message: string,
    /** For `variable_exists`: 0-based lines of every occurrence, the effective (last) one last. */
    readonly lines: number[] = [],
  ) {
    super(message);
  }
}

export interface EnvVerification {
  ok: boolean;
  /** Sentences for a person, naming variables but never values. */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** dotenv's default parser (`dotenv.parse`); `fast: true` selects its character-scanner parser. */
export function parseEnv(text: string, options: { fast?: boolean } = {}): Record<string, string> {
  return dotenvParse(text, { fast: options.fast === true });
}

/** The dominant line ending of the text (LF when it has none). */
export function detectLineEnding(text: string): LineEnding {
  let crlf = 0;
  let lf = 0;
  let cr = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    } else if (c === 10) lf++;
  }
  if (crlf > lf && crlf >= cr) return '\r\n';
  if (cr > lf && cr > crlf) return '\r';
  return '\n';
}

/** Every assignment of the text, in order, as dotenv reads it. */
export function listEnvEntries(text: string): EnvEntry[] {
  return analyse(text).entries.map(({ entry }) => entry);
}

/** The variable's occurrences and effective value, or undefined when the text does not assign it. */
export function findEnvVariable(text: string, name: string): EnvVariableLookup | undefined {
  const occurrences = listEnvEntries(text).filter((entry) => entry.name === name);
  if (occurrences.length === 0) return undefined;
  const last = occurrences[occurrences.length - 1];
  return { name, value: last.value, line: last.line, occurrences };
}

/** Assignments whose value equals the secret (every occurrence; `effective` marks the one dotenv uses). */
export function findSecretInEnv(text: string, secret: string): Array<{ name: string; line: number; effective: boolean }> {
  if (secret === '') return [];
  const entries = listEnvEntries(text);
  const lastIndexOf = new Map<string, number>();
  entries.forEach((entry, index) => lastIndexOf.set(entry.name, index));
  return entries
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => entry.value === secret)
    .map(({ entry, index }) => ({ name: entry.name, line: entry.line, effective: lastIndexOf.get(entry.name) === index }));
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Sets one variable. Replaces the value of its last occurrence in place (keeping `export `, the spacing around
 * `=`, an inline comment and every other line byte for byte), or appends `NAME=value` with the file's line ending.
 * Throws EnvEditError: `invalid_name`; `variable_exists` when it is set to another value and `replace` is not true
 * (ask `findEnvVariable` first, then the user); `unrepresentable_value`; `verification_failed` when no quoting
 * of the value reads back exactly under dotenv in this file.
 */
export function setEnvVariable(text: string, name: string, value: string, options: SetEnvOptions = {}): EnvEditResult {
  const nameProblem = validateEnvVariableName(name);
  if (nameProblem) throw new EnvEditError('invalid_name', nameProblem);
  const candidates = serialisations(value, detectLineEnding(text));
  if (candidates.length === 0) throw new EnvEditError('unrepresentable_value', explainUnrepresentable(value));

  const analysis = analyse(text);
  const occurrences = analysis.entries.filter(({ entry }) => entry.name === name);
  const duplicateLines = occurrences.slice(0, -1).map(({ entry }) => entry.line);

  if (occurrences.length > 0) {
    const last = occurrences[occurrences.length - 1];
    if (last.entry.value === value) {
      return { text, action: 'unchanged', line: last.entry.line, existingLine: last.entry.line, duplicateLines };
    }
    if (options.replace !== true) {
      throw new EnvEditError(
        'variable_exists',
        `${name} is already set on line ${last.entry.line + 1}; confirm to replace its value.`,
        occurrences.map(({ entry }) => entry.line),
      );
    }
    refuseSlowToVerify(text);
    const after = text.slice(last.replaceEnd);
    for (const candidate of candidates) {
      let insert = last.needsSpaceBefore ? ` ${candidate}` : candidate;
      if (insert !== '' && after.startsWith('#')) insert += ' ';
      const edited = text.slice(0, last.replaceStart) + insert + text.slice(last.replaceEnd);
      if (verifyEnvEdit(text, edited, name, value).ok) {
        return { text: edited, action: 'replaced', line: last.entry.line, existingLine: last.entry.line, duplicateLines };
      }
    }
    throw verificationError(name);
  }

  refuseSlowToVerify(text);
  const eol = detectLineEnding(text);
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const separator = body === '' || /[\r\n]$/.test(body) ? '' : eol;
  const prefix = analysis.entries.length > 0 && analysis.entries.every(({ entry }) => entry.exported) ? 'export ' : '';
  const line = analysis.lineCount - 1 + (separator === '' ? 0 : 1);
  for (const candidate of candidates) {
    const edited = `${text}${separator}${prefix}${name}=${candidate}${eol}`;
    if (verifyEnvEdit(text, edited, name, value).ok) return { text: edited, action: 'appended', line, duplicateLines };
  }
  throw verificationError(name);
}

/**
 * Replaces every assignment whose value equals `oldSecret` (every occurrence, not only the effective ones) with
 * `newSecret`, for rotation. Throws EnvEditError `unrepresentable_value` / `verification_failed`.
 */
export function replaceSecretInEnv(
  text: string,
  oldSecret: string,
  newSecret: string,
): { text: string; replaced: Array<{ name: string; line: number }> } {
  if (oldSecret === '' || oldSecret === newSecret) return { text, replaced: [] };
  const candidates = serialisations(newSecret, detectLineEnding(text));
  if (candidates.length === 0) throw new EnvEditError('unrepresentable_value', explainUnrepresentable(newSecret));
  const analysis = analyse(text);
  const targets = analysis.entries.filter(({ entry }) => entry.value === oldSecret);
  if (targets.length === 0) return { text, replaced: [] };
  refuseSlowToVerify(text);
  const changes: Record<string, string> = {};
  const effective = parseEnv(text);
  for (const { entry } of targets) if (effective[entry.name] === oldSecret) changes[entry.name] = newSecret;
  for (const candidate of candidates) {
    let edited = '';
    let cursor = 0;
    for (const target of targets) {
      let insert = target.needsSpaceBefore ? ` ${candidate}` : candidate;
      if (text.startsWith('#', target.replaceEnd)) insert += ' ';
      edited += text.slice(cursor, target.replaceStart) + insert;
      cursor = target.replaceEnd;
    }
    edited += text.slice(cursor);
    if (verifyEnvChanges(text, edited, changes).ok) {
      return { text: edited, replaced: targets.map(({ entry }) => ({ name: entry.name, line: entry.line })) };
    }
  }
  throw new EnvEditError(
    'verification_failed',
    'Replacing the old secret would change how dotenv reads this .env file, so it was left unchanged.',
  );
}

/**
 * Removes every assignment whose value equals `secret` (its whole lines, a quoted value spanning lines included),
 * keeping every other byte, for a secret that no longer works. Throws EnvEditError `verification_failed` when
 * dotenv (either parser) would then read another variable differently.
 */
export function removeSecretFromEnv(text: string, secret: string): { text: string; removed: Array<{ name: string; line: number }> } {
  if (secret === '') return { text, removed: [] };
  const analysis = analyse(text);
  const targets = analysis.entries.filter(({ entry }) => entry.value === secret);
  if (targets.length === 0) return { text, removed: [] };
  refuseSlowToVerify(text);
  const starts = analysis.lineStarts;
  let edited = '';
  let cursor = 0;
  for (const { entry } of targets) {
    const from = starts[entry.line];
    if (from < cursor) continue;
    edited += text.slice(cursor, from);
    cursor = starts[entry.endLine + 1] ?? text.length;
  }
  edited += text.slice(cursor);
  const removedNames = new Set(targets.map(({ entry }) => entry.name));
  for (const fast of [false, true]) {
    const was = parseEnv(text, { fast });
    const now = parseEnv(edited, { fast });
    for (const name of new Set([...Object.keys(was), ...Object.keys(now)])) {
      const same = Object.prototype.hasOwnProperty.call(was, name) === Object.prototype.hasOwnProperty.call(now, name) && was[name] === now[name];
      // A removed name may vanish or fall back to an earlier assignment, but must not still read as the secret.
      if (removedNames.has(name) ? now[name] === secret : !same) {
        throw new EnvEditError('verification_failed', 'Removing the secret would change how dotenv reads this .env file, so it was left unchanged.');
      }
    }
  }
  return { text: edited, removed: targets.map(({ entry }) => ({ name: entry.name, line: entry.line })) };
}

/**
 * Checks an edit before it is written: dotenv (default and `fast` parser) must read `name` as exactly `value`
 * from `after`, and every other variable exactly as from `before`, with none added or lost.
 */
export function verifyEnvEdit(before: string, after: string, name: string, value: string): EnvVerification {
  return verifyEnvChanges(before, after, { [name]: value });
}

/** As `verifyEnvEdit` for several variables at once: `changes` maps each changed name to its intended value. */
export function verifyEnvChanges(before: string, after: string, changes: Readonly<Record<string, string>>): EnvVerification {
  const problems = new Set<string>();
  for (const fast of [false, true]) {
    const parser = fast ? ' (fast parser)' : '';
    const was = parseEnv(before, { fast });
    const now = parseEnv(after, { fast });
    for (const [name, value] of Object.entries(changes)) {
      if (!Object.prototype.hasOwnProperty.call(now, name)) problems.add(`dotenv${parser} would not find ${name} in the edited file.`);
      else if (now[name] !== value) problems.add(`dotenv${parser} would read ${name} differently from the value intended.`);
    }
    for (const name of new Set([...Object.keys(was), ...Object.keys(now)])) {
      if (Object.prototype.hasOwnProperty.call(changes, name)) continue;
      const had = Object.prototype.hasOwnProperty.call(was, name);
      const has = Object.prototype.hasOwnProperty.call(now, name);
      if (had && !has) problems.add(`The edit would make dotenv${parser} lose ${name}.`);
      else if (!had && has) problems.add(`The edit would make dotenv${parser} see a new variable ${name}.`);
      else if (was[name] !== now[name]) problems.add(`The edit would change the value dotenv${parser} reads for ${name}.`);
    }
  }
  return { ok: problems.size === 0, problems: [...problems] };
}

/**
 * How the value is written after `NAME=`: unquoted when that is safe for dotenv and for a POSIX shell, else
 * single quotes, double quotes (with `\n`/`\r` escapes) or backticks, whichever dotenv reads back unchanged.
 * Throws EnvEditError `unrepresentable_value` when none can.
 */
export function quoteEnvValue(value: string, eol: LineEnding = '\n'): string {
  const candidates = serialisations(value, eol);
  if (candidates.length === 0) throw new EnvEditError('unrepresentable_value', explainUnrepresentable(value));
  return candidates[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Internals

// dotenv 18's own line pattern (lib/main.js, `LINE`), with `d` for match indices. It runs on the text with every
// CRLF and lone CR turned into LF, as dotenv does before matching.
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

// Unquoted only when neither dotenv nor a shell sourcing the file could read it differently (control characters
// are excluded by `isPlain` as well).
const PLAIN_VALUE = /^[^\s#'"`=\\$;&|<>()]*$/;

function isPlain(value: string): boolean {
  if (!PLAIN_VALUE.test(value) || value.startsWith('~')) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

interface LocatedEntry {
  entry: EnvEntry;
  /** Offsets in the original text of the value as written (quotes included), to be replaced. */
  replaceStart: number;
  replaceEnd: number;
  /** `KEY:value` needs whitespace after the colon; set when the kept text has none. */
  needsSpaceBefore: boolean;
}

interface Analysis {
  entries: LocatedEntry[];
  lineCount: number;
  /** Offsets in the original text where each line starts. */
  lineStarts: number[];
}

function analyse(text: string): Analysis {
  // Lines split at LF, CRLF and lone CR; the normalised text joins their contents with LF.
  const origStarts: number[] = [];
  const normStarts: number[] = [];
  const contents: string[] = [];
  let start = 0;
  let normalisedLength = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    if (c === 10 || c === 13 || c === -1) {
      origStarts.push(start);
      normStarts.push(normalisedLength);
      contents.push(text.slice(start, i));
      normalisedLength += i - start + 1;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  const normalised = contents.join('\n');
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = normStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (normStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const toOriginal = (offset: number): number => {
    const line = lineOf(offset);
    return origStarts[line] + (offset - normStarts[line]);
  };

  const entries: LocatedEntry[] = [];
  const pattern = new RegExp(DOTENV_LINE.source, DOTENV_LINE.flags.replace('g', 'y'));
  let match: RegExpExecArray | null;
  for (let from = 0; (match = nextDotenvLine(pattern, normalised, from)) !== null; from = match.index + match[0].length) {
    const indices = match.indices!;
    const name = match[1];
    const [keyStart, keyEnd] = indices[1];
    const group = match[2];
    const groupSpan = indices[2];

    // Separator: `\s*=` or `:` right after the name.
    let sepEnd = keyEnd;
    while (sepEnd < normalised.length && /\s/.test(normalised[sepEnd])) sepEnd++;
    const colon = normalised[sepEnd] !== '=';
    sepEnd = colon ? keyEnd + 1 : sepEnd + 1;

    // The written value: from the first non-blank after the separator on its line to the end of the value.
    let replaceStart = sepEnd;
    let replaceEnd = sepEnd;
    if (group !== undefined && groupSpan) {
      replaceEnd = groupSpan[1];
      while (replaceEnd > sepEnd && /\s/.test(normalised[replaceEnd - 1])) replaceEnd--;
    }
    while (replaceStart < replaceEnd && isHorizontalSpace(normalised[replaceStart])) replaceStart++;
    if (replaceEnd <= replaceStart) {
      // No value yet (`KEY =   # comment`): write it after one blank when the `=` has a blank before it (or
      // after `:`), so the spacing around the separator stays symmetrical; the other blanks stay before the comment.
      const spaced = colon || sepEnd - 1 > keyEnd;
      replaceStart = sepEnd + (spaced && isHorizontalSpace(normalised[sepEnd] ?? '') ? 1 : 0);
      replaceEnd = replaceStart;
    }

    // The value exactly as dotenv computes it.
    let value = (group ?? '').trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
    if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');

    const exported = /^\s*export\s/.test(normalised.slice(match.index, keyStart));
    const lastValueChar = Math.max(replaceEnd - 1, keyStart);
    entries.push({
      entry: { name, value, line: lineOf(keyStart), endLine: lineOf(lastValueChar), exported },
      replaceStart: toOriginal(replaceStart),
      replaceEnd: toOriginal(replaceEnd),
      needsSpaceBefore: colon && replaceStart === sepEnd,
    });
  }
  return { entries, lineCount: contents.length, lineStarts: origStarts };
}

const isLineTerminator = (code: number) => code === 10 || code === 13 || code === 0x2028 || code === 0x2029;
const WHITESPACE = /\s/;

/**
 * The next match of dotenv's line pattern at or after `from` (`sticky` is that pattern with the `y` flag): what a
 * global exec finds, in linear time. The pattern matches only at a line start, and its leading `\s*` spans lines.
 * When no entry starts at a line start, none starts at a later line start within the whitespace that follows it
 * either (the `\s*` has tried every position of that run, and the rest of the pattern does not look behind), so
 * the search goes on after the run. A global exec tries again from every line start of the run: quadratic in its
 * length, seconds for a file of 20,000 blank lines, minutes for 100,000.
 */
function nextDotenvLine(sticky: RegExp, text: string, from: number): RegExpExecArray | null {
  let at = from;
  while (at <= text.length) {
    if (at === 0 || isLineTerminator(text.charCodeAt(at - 1))) {
      sticky.lastIndex = at;
      const match = sticky.exec(text);
      if (match) return match;
      while (at < text.length && WHITESPACE.test(text[at])) at++;
    }
    while (at < text.length && !isLineTerminator(text.charCodeAt(at))) at++;
    at++; // the next line start
  }
  return null;
}

/** dotenv's own parser is still quadratic in such runs; about 25 ms of its time on a fast machine. */
const MAX_DOTENV_SCAN_STEPS = 20_000_000;

/**
 * Refuses (EnvEditError verification_failed) a text that dotenv itself would take too long to read: every edit is
 * checked by parsing it with dotenv, whose line pattern is run from each line start of a run of whitespace, so its
 * time grows with the square of the longest runs of blank lines. Real .env files are far below the limit (a run of
 * about 4,000 blank lines reaches it).
 */
function refuseSlowToVerify(text: string): void {
  let steps = 0;
  let longest = 0;
  for (let i = 0; i < text.length; ) {
    if (!WHITESPACE.test(text[i])) {
      i++;
      continue;
    }
    const start = i;
    let lineStarts = 0;
    for (; i < text.length && WHITESPACE.test(text[i]); i++) {
      const code = text.charCodeAt(i);
      if (isLineTerminator(code) && !(code === 13 && text.charCodeAt(i + 1) === 10)) lineStarts++; // CRLF: one line end
    }
    steps += lineStarts * (i - start);
    longest = Math.max(longest, lineStarts);
  }
  if (steps > MAX_DOTENV_SCAN_STEPS) {
    throw new EnvEditError(
      'verification_failed',
      `This .env file has ${longest} blank lines in a row, which dotenv reads very slowly, so it was left unchanged; ` +
        'remove the blank lines, then try again.',
    );
  }
}

function isHorizontalSpace(char: string): boolean {
  return /\s/.test(char) && char !== '\n' && char !== '\r' && char !== '\u2028' && char !== '\u2029';
}

/** Every writing of the value dotenv reads back unchanged in isolation, best first. */
function serialisations(value: string, eol: LineEnding): string[] {
  const out: string[] = [];
  if (isPlain(value)) out.push(value);
  const hasCr = value.includes('\r');
  // dotenv turns every CRLF and CR of the file into LF, so a literal line break is read back as LF whatever
  // the file uses; a CR in the value survives only as the `\r` escape of double quotes.
  const literal = value.replace(/\n/g, eol);
  if (!hasCr && !value.includes("'")) out.push(`'${literal}'`);
  if (!value.includes('"') && !/\\[nr]/.test(value)) out.push(`"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`);
  if (!hasCr && !value.includes('`')) out.push(`\`${literal}\``);
  // Last: unquoted though a POSIX shell sourcing the file would read it differently (a value holding all three
  // quote characters has no quoted form), when dotenv still reads it back exactly: it takes an unquoted value up to
  // a `#`, trimmed, and strips a pair of quotes only around the whole value.
  if (out.length === 0 && readsBackUnquoted(value)) out.push(value);
  return out;
}

function readsBackUnquoted(value: string): boolean {
  if (value === '' || /^['"`]/.test(value)) return false;
  const line = `K=${value}\n`;
  return parseEnv(line).K === value && parseEnv(line, { fast: true }).K === value;
}

/** Why no writing of the value reads back: what each quoting and the bare form trips on, in the value's own terms. */
function explainUnrepresentable(value: string): string {
  const backslashEscape = /\\[nr]/.test(value) ? 'the text \\n or \\r, which double quotes would turn into a line break' : undefined;
  if (value.includes('\r')) {
    const why = value.includes('"') ? 'a double quote' : backslashEscape;
    return `The value contains a carriage return, which dotenv keeps only inside double quotes, and also ${why}, so no .env quoting would read it back unchanged; choose a value without one of them.`;
  }
  const bare: string[] = [];
  if (/[\n\u2028\u2029]/.test(value)) bare.push('it spans lines');
  if (value.includes('#')) bare.push('it contains #, which starts a comment');
  if (/^['"`]/.test(value)) bare.push('it starts with a quote');
  if (value !== value.trim()) bare.push('it starts or ends with white space');
  const quoted = value.includes('"') ? 'single quotes, double quotes and backticks' : `single quotes and backticks, and ${backslashEscape}`;
  return `The value contains ${quoted}, so no quoting reads it back, and it cannot stand unquoted because ${bare.join(' and ')}; choose a value without one of them.`;
}

function verificationError(name: string): EnvEditError {
  return new EnvEditError(
    'verification_failed',
    `Writing ${name} here would change how dotenv reads the rest of this .env file, so it was left unchanged; ` +
      'check the file for an unclosed quote.',
  );
}
