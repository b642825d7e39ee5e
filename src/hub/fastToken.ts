// The invoke path's first, cheap check of a credential: the same answer as isValidToken(candidate, prefix) of
// src/core/token.ts (a property test holds them equal), computed on char codes with plain numbers instead of a
// Buffer and BigInt, so that a malformed token is refused before any digest or lookup.
import { BASE62_ALPHABET, CHECKSUM_LENGTH, CRC_TABLE, TOKEN_LENGTH, type TokenPrefix } from '../core/token';

/** Value of each base62 character by char code, -1 for any other character. */
const BASE62_VALUE = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) values[BASE62_ALPHABET.charCodeAt(i)] = i;
  return values;
})();

const BODY_LENGTH = TOKEN_LENGTH - CHECKSUM_LENGTH;

export function hasValidTokenShape(candidate: string, prefix: TokenPrefix): boolean {
  if (candidate.length !== TOKEN_LENGTH || !candidate.startsWith(prefix)) return false;
  let crc = 0xffffffff;
  for (let i = 0; i < BODY_LENGTH; i++) {
    const code = candidate.charCodeAt(i);
    if (i >= prefix.length && (code > 127 || BASE62_VALUE[code] < 0)) return false;
    crc = CRC_TABLE[(crc ^ code) & 0xff] ^ (crc >>> 8);
  }
  let rest = (crc ^ 0xffffffff) >>> 0;
  // The checksum is the CRC as 6 base62 digits, most significant first: compare from the last digit.
  for (let i = TOKEN_LENGTH - 1; i >= BODY_LENGTH; i--) {
    const code = candidate.charCodeAt(i);
    if (code > 127 || BASE62_VALUE[code] !== rest % 62) return false;
    rest = Math.floor(rest / 62);
  }
  return rest === 0;
}
