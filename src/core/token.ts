// The token format of the contract: PREFIX + 43 base62 characters (32 random bytes) + 6 base62 characters of CRC32.
// Pure and dependency-free so the hub, the extension, the CLI and the leak scanner agree on one definition.
import { randomBytes } from 'crypto';

export const ACCESS_TOKEN_PREFIX = 'thub_';
export const ACCOUNT_KEY_PREFIX = 'thak_';
/** A hub-wide key of a platform's own gateway, good for POST /v1/verify only. */
export const SERVICE_KEY_PREFIX = 'thsk_';
export type TokenPrefix = typeof ACCESS_TOKEN_PREFIX | typeof ACCOUNT_KEY_PREFIX | typeof SERVICE_KEY_PREFIX;

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_PART_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = 5 + RANDOM_PART_LENGTH + CHECKSUM_LENGTH;

/** The CRC-32 (IEEE) lookup table, shared with the hub's allocation-free checksum check (src/hub/fastToken.ts). */
export const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib computes it) of an ASCII/UTF-8 string. */
export function crc32(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
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

const SHAPE = /^(thub_|thak_|thsk_)([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export interface ParsedToken {
  prefix: TokenPrefix;
  random: string;
  checksum: string;
}

/** Parses a token of either prefix; null unless its shape and checksum are right. */
export function parseToken(candidate: string): ParsedToken | null {
  if (typeof candidate !== 'string' || candidate.length !== TOKEN_LENGTH) return null;
  const match = SHAPE.exec(candidate);
  if (!match) return null;
  const [, prefix, random, checksum] = match;
  if (checksumOf(prefix + random) !== checksum) return null;
  return { prefix: prefix as TokenPrefix, random, checksum };
}

export function isValidToken(candidate: string, prefix?: TokenPrefix): boolean {
  const parsed = parseToken(candidate);
  return parsed !== null && (prefix === undefined || parsed.prefix === prefix);
}

/**
 * The mask: prefix, the first 4 characters of the random part, `…`, and the last 4 of the whole secret (checksum
 * included), so that it can be matched by eye with the end of the secret in a file, as Stripe shows keys.
 */
export function maskToken(token: string): string {
  const parsed = parseToken(token);
  if (parsed) return `${parsed.prefix}${parsed.random.slice(0, 4)}…${token.slice(-4)}`;
  // Never echo an unrecognised secret back: show only its prefix shape.
  const prefix = [ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX].some((p) => token.startsWith(p)) ? token.slice(0, 5) : '';
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
