// Secrets are never stored: only their digest, SHA-256 or, with TOKENHUB_PEPPER set, HMAC-SHA-256 keyed by the pepper.
import { createHash, createHmac, hash, randomBytes } from 'crypto';
import { BASE62_ALPHABET } from '../core/token';

export type Digester = (secret: string) => Buffer;

export function makeDigester(pepper: string | undefined): Digester {
  if (pepper) {
    const key = Buffer.from(pepper, 'utf8');
    return (secret) => createHmac('sha256', key).update(secret).digest();
  }
  // crypto.hash (one-shot, no Hash object) is about 2x cheaper on the invoke path; older Node versions lack it.
  if (typeof hash === 'function') return (secret) => hash('sha256', secret, 'buffer');
  return (secret) => createHash('sha256').update(secret).digest();
}

/**
 * A fingerprint of the digest scheme, kept in the database so that a hub started with another pepper (or none)
 * refuses to start instead of answering 401 to every credential. Reveals nothing of the pepper.
 */
export function digestSchemeFingerprint(digest: Digester): string {
  return digest('tokenhub digest scheme check').toString('hex').slice(0, 16);
}

/** Public identifiers such as tok_7HqK2mV9xPa3LdRt: a prefix and 16 random base62 characters. */
export function newId(prefix: 'tok_' | 'ws_' | 'ak_' | 'sk_'): string {
  const bytes = randomBytes(16);
  let out = prefix;
  for (let i = 0; i < 16; i++) out += BASE62_ALPHABET[bytes[i] % 62];
  return out;
}
