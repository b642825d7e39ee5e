// The leak scanner: finds real Token Hub secrets (`thub_` access tokens, `thak_` account keys, `thsk_` service keys)
// in any text.
// A candidate is exactly 54 characters bounded by non-base62 characters, and is reported only when its CRC32
// checksum is right, so random base62/base64 data essentially never yields a finding (a chance of about 1 in
// 62^6 ≈ 5.7e10 per candidate-shaped run, and such runs are themselves rare because of the boundaries).
import { ACCOUNT_KEY_PREFIX, RANDOM_PART_LENGTH, CHECKSUM_LENGTH, SERVICE_KEY_PREFIX, TOKEN_PREFIXES, isTokenAt } from './token';

export type TokenKind = 'access' | 'account' | 'service';

/** How a message names a secret of the kind. */
export const KIND_NAMES: Readonly<Record<TokenKind, string>> = { access: 'access token', account: 'account key', service: 'service key' };

function kindOf(token: string): TokenKind {
  return token.startsWith(ACCOUNT_KEY_PREFIX) ? 'account' : token.startsWith(SERVICE_KEY_PREFIX) ? 'service' : 'access';
}

export interface TokenFinding {
  token: string;
  kind: TokenKind;
  /** Offset of the first character in the text (UTF-16 code units). */
  index: number;
  /** 0-based line; LF, CRLF and a lone CR each end a line. */
  line: number;
  /** 0-based column in UTF-16 code units, as editors count. */
  column: number;
  length: number;
}

// Precompiled once; `scanText` resets lastIndex before and after use.
const CANDIDATE = new RegExp(
  `(?<![0-9A-Za-z])(?:${TOKEN_PREFIXES.join('|')})[0-9A-Za-z]{${RANDOM_PART_LENGTH + CHECKSUM_LENGTH}}(?![0-9A-Za-z])`,
  'g',
);

/** Every token with a valid checksum in the text, in order of position. */
export function scanText(text: string): TokenFinding[] {
  const findings: TokenFinding[] = [];
  let line = 0;
  let lineStart = 0;
  let counted = 0; // line ends before this offset have been counted
  CANDIDATE.lastIndex = 0;
  try {
    let match: RegExpExecArray | null;
    while ((match = CANDIDATE.exec(text)) !== null) {
      const index = match.index;
      // Most candidates in real text are not tokens: the checksum, computed in place, tells.
      if (!isTokenAt(text, index)) continue;
      const token = match[0];
      for (let i = counted; i < index; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
          line++;
          lineStart = i + 1;
        }
      }
      counted = index;
      findings.push({
        token,
        kind: kindOf(token),
        index,
        line,
        column: index - lineStart,
        length: token.length,
      });
    }
  } finally {
    CANDIDATE.lastIndex = 0;
  }
  return findings;
}

export interface ScanBenchmark {
  bytes: number;
  milliseconds: number;
  findings: number;
}

/**
 * Times `scanText` on `bytes` characters of pseudo-random base64 with lines of 76 characters (a deterministic
 * generator, no I/O), plus `plantedTokens` given tokens spread through it. For benchmarks and the unit tests.
 */
export function benchmarkScan(bytes = 10 * 1024 * 1024, plantedTokens: readonly string[] = []): ScanBenchmark {
  const text = pseudoRandomBase64(bytes, plantedTokens);
  const started = process.hrtime.bigint();
  const findings = scanText(text).length;
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  return { bytes: text.length, milliseconds, findings };
}

/**
 * Deterministic base64-looking text (xorshift32), 76 characters a line, with the tokens placed on their own lines
 * spread through it. `urlSafe` uses the base64url alphabet (`-` and `_`, so `thub_` can occur by chance).
 */
export function pseudoRandomBase64(
  bytes: number,
  plantedTokens: readonly string[] = [],
  seed = 0x9e3779b9,
  urlSafe = false,
): string {
  const alphabet = Buffer.from(
    `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${urlSafe ? '-_' : '+/'}`,
    'latin1',
  );
  const out = Buffer.alloc(bytes);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    if (i % 77 === 76) {
      out[i] = 10;
      continue;
    }
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = alphabet[state & 63];
  }
  const text = out.toString('latin1');
  if (plantedTokens.length === 0) return text;
  // Each token gets a line of its own, inserted at a line start (next to base64 it would not be bounded).
  const parts: string[] = [];
  const step = Math.floor(bytes / 77 / (plantedTokens.length + 1)) * 77;
  let cursor = 0;
  plantedTokens.forEach((token, index) => {
    const at = step * (index + 1);
    parts.push(text.slice(cursor, at), `${token}\n`);
    cursor = at;
  });
  parts.push(text.slice(cursor));
  return parts.join('');
}

/** A finding on a line holding this marker, or on the line right below one, is not reported. */
export const IGNORE_MARKER = 'tokenhub-ignore';

/**
 * The findings of `scanText` minus those a `tokenhub-ignore` marker (on their line or the line above) silences:
 * the one rule shared by the editor's diagnostics and `tokenhub scan`.
 */
export function exposedFindings(text: string): TokenFinding[] {
  const findings = scanText(text);
  if (findings.length === 0 || !text.includes(IGNORE_MARKER)) return findings;
  return findings.filter((finding) => {
    const lineStart = finding.index - finding.column;
    const lineEnd = lineEndAt(text, finding.index);
    if (text.slice(lineStart, lineEnd).includes(IGNORE_MARKER)) return false;
    if (lineStart === 0) return true;
    // The previous line: back over its line ending (LF, CRLF or a lone CR), then to its start.
    let end = lineStart - 1;
    if (text.charCodeAt(end) === 10 && text.charCodeAt(end - 1) === 13) end--;
    let start = end;
    while (start > 0 && text.charCodeAt(start - 1) !== 10 && text.charCodeAt(start - 1) !== 13) start--;
    return !text.slice(start, end).includes(IGNORE_MARKER);
  });
}

function lineEndAt(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
}
