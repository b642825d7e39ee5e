// Redaction applied to everything before it is logged or shown: a secret must never reach a log or an error text.
import { maskToken } from './token';

const TOKEN_LIKE = /\bth(?:ub|ak)_[0-9A-Za-z]{8,}/g;
const BEARER = /(Bearer\s+)[^\s"',;]+/gi;

/** Replaces anything shaped like a Token Hub secret with its masked form, and every bearer credential with "…". */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_LIKE, (match) => maskToken(match)).replace(BEARER, '$1…');
}
