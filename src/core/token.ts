// The token format of the contract: PREFIX + 43 base62 characters (32 random bytes) + 6 base62 characters of CRC32.
// The one definition (prefixes, base62, CRC-32, the well-formed check): pure and dependency-free, so the hub's invoke
// path, the extension, the CLI and the leak scanner all use it.
import { randomBytes } from 'crypto';

export const ACCESS_TOKEN_PREFIX = 'thub_';
export const ACCOUNT_KEY_PREFIX = 'thak_';
/** A hub-wide key of a platform's own gateway, good for POST /v1/verify only. */
export const SERVICE_KEY_PREFIX = 'thsk_';
export type TokenPrefix = typeof ACCESS_TOKEN_PREFIX | typeof ACCOUNT_KEY_PREFIX | typeof SERVICE_KEY_PREFIX;

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_PART_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = ACCESS_TOKEN_PREFIX.length + RANDOM_PART_LENGTH + CHECKSUM_LENGTH;

/** Every prefix, for finding any kind of secret. */
export const TOKEN_PREFIXES: readonly TokenPrefix[] = [ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX];

/** The CRC-32 (IEEE) lookup table, as signed 32-bit values (the loops below keep the CRC in an int32). */
export const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib computes it) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Value of each base62 character by char code, -1 for any other character below 128. */
const BASE62_VALUE = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) values[BASE62_ALPHABET.charCodeAt(i)] = i;
  return values;
})();

const BODY_LENGTH = TOKEN_LENGTH - CHECKSUM_LENGTH;

/**
 * The definition of a well-formed secret: whether text[start, start + TOKEN_LENGTH) is `prefix` (either prefix when
 * omitted), 43 base62 characters and the 6 base62 characters of the CRC-32 of what precedes them. Computed on char
 * codes with plain numbers, no Buffer, BigInt or slice, because the invoke path refuses malformed credentials with it
 * before any digest, and the scanner runs it on every candidate in a file.
 */
export function isTokenAt(text: string, start: number, prefix?: TokenPrefix): boolean {
  if (start < 0 || start + TOKEN_LENGTH > text.length) return false;
  if (prefix !== undefined ? !text.startsWith(prefix, start) : !TOKEN_PREFIXES.some((p) => text.startsWith(p, start))) return false;
  const bodyEnd = start + BODY_LENGTH;
  let crc = -1;
  for (let i = start; i < bodyEnd; i++) {
    const code = text.charCodeAt(i);
    if (i >= start + ACCESS_TOKEN_PREFIX.length && (code > 127 || BASE62_VALUE[code] < 0)) return false;
    crc = CRC_TABLE[(crc ^ code) & 0xff] ^ (crc >>> 8);
  }
  let rest = (crc ^ -1) >>> 0;
  // The checksum is the CRC as 6 base62 digits, most significant first: compare from the last digit.
  for (let i = start + TOKEN_LENGTH - 1; i >= bodyEnd; i--) {
    const code = text.charCodeAt(i);
    if (code > 127 || BASE62_VALUE[code] !== rest % 62) return false;
    rest = Math.floor(rest / 62);
  }
  return rest === 0;
}

/** Fixed-width base62 of a non-negative integer, left-padded with '0'. */
export function toBase62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = BASE62_ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  if (out.length > width) throw new RangeError(`Value does not fit in ${width} base62 characters.`);
  return out.padStart(width, '0');
}

export function checksumOf(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

/** A new secret with a CSPRNG random part and its checksum. */
export function generateToken(prefix: TokenPrefix): string {
  const random = toBase62(BigInt('0x' + randomBytes(32).toString('hex')), RANDOM_PART_LENGTH);
  const body = prefix + random;
  return body + checksumOf(body);
}

export interface ParsedToken {
  prefix: TokenPrefix;
  random: string;
  checksum: string;
}

/** Parses a token of either prefix; null unless its shape and checksum are right. */
export function parseToken(candidate: string): ParsedToken | null {
  if (typeof candidate !== 'string' || candidate.length !== TOKEN_LENGTH || !isTokenAt(candidate, 0)) return null;
  const prefixLength = ACCESS_TOKEN_PREFIX.length;
  return {
    prefix: candidate.slice(0, prefixLength) as TokenPrefix,
    random: candidate.slice(prefixLength, BODY_LENGTH),
    checksum: candidate.slice(BODY_LENGTH),
  };
}

export function isValidToken(candidate: string, prefix?: TokenPrefix): boolean {
  return typeof candidate === 'string' && candidate.length === TOKEN_LENGTH && isTokenAt(candidate, 0, prefix);
}

/**
 * The mask: prefix, the first 4 characters of the random part, `…`, and the last 4 of the whole secret (checksum
 * included), so that it can be matched by eye with the end of the secret in a file, as Stripe shows keys.
 */
export function maskToken(token: string): string {
  const parsed = parseToken(token);
  if (parsed) return `${parsed.prefix}${parsed.random.slice(0, 4)}…${token.slice(-4)}`;
  // Never echo an unrecognised secret back: show only its prefix shape.
  const prefix = TOKEN_PREFIXES.find((p) => token.startsWith(p)) ?? '';
  return `${prefix}…`;
}

/** The mask of version 0.1's hubs (the last 4 of the random part): tokens made then keep it. */
function firstFormMask(parsed: ParsedToken): string {
  return `${parsed.prefix}${parsed.random.slice(0, 4)}…${parsed.random.slice(-4)}`;
}

/**
 * Every mask a hub may have given this secret, distinct, for finding its token by `GET /v1/tokens?maskedKey=`:
 * today's (maskToken) and the first form, which tokens made by version 0.1's hubs keep (a mask is stored with its
 * token and never recomputed). Empty for anything that is not a well-formed token: it has no mask.
 */
export function maskCandidates(secret: string): string[] {
  const parsed = parseToken(secret);
  if (!parsed) return [];
  return [...new Set([maskToken(secret), firstFormMask(parsed)])];
}
