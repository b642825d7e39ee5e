// The one decision whether an access token may call an endpoint: POST /v1/endpoints/{id}/invoke (the fastify route,
// routes/invoke.ts, and the node:http fast path, fastInvoke.ts) and the gateway (routes/gateway.ts) all ask it.
// The token record when the credential may call the endpoint, else the error to answer. A valid credential always
// passes, even from an address the failed-authentication limit has blocked (rateLimit.ts). Every accepted call is
// recorded in one place, the use recorder (usageCounter.ts). The hot path: no awaits on writes, no logging, one indexed lookup (none for a
// token seen since the database last changed, on SQLite).
import { ACCESS_TOKEN_PREFIX, isValidToken } from '../core/token';
import { bearer } from './auth';
import type { Clock } from './clock';
import type { Digester } from './digest';
import { HubError, errors } from './errors';
import type { AuthFailureLimiter } from './rateLimit';
import type { Store, TokenAuthRecord } from './store';
import type { UseRecorder } from './usageCounter';
import { prebuilt } from './wireError';

/** A token record: the credential may call the endpoint. An error: what to answer instead. */
export type InvokeOutcome = TokenAuthRecord | HubError;

/**
 * Throws (SQLite) or rejects (PostgreSQL) when the store fails. Counts failed authentications and records last use.
 */
export type InvokeDecider = (
  address: string,
  authorization: string | undefined,
  endpoint: string,
  userAgent?: string,
) => InvokeOutcome | Promise<InvokeOutcome>;

/**
 * What a secret's token record says at `at`: live, expired, or unknown (no token, or a previous secret past its
 * grace). One rule for invoke (401 unless live) and verify (which tells expired from unknown).
 */
export function standingOf(record: TokenAuthRecord | null, at: number): 'live' | 'expired' | 'unknown' {
  if (record === null || (!record.current && (record.previousExpiresAt === null || record.previousExpiresAt <= at))) return 'unknown';
  return record.expiresAt !== null && record.expiresAt <= at ? 'expired' : 'live';
}

const UNAUTHORIZED = prebuilt(errors.unauthorized());
const FORBIDDEN = prebuilt(errors.forbidden('This token is not allowed to call this endpoint.'));

export function invokeDecider(store: Store, digest: Digester, now: Clock, limiter: AuthFailureLimiter, uses: UseRecorder): InvokeDecider {
  /** The one place a call is recorded (invoke, gateway; verify through the same recorder): last use and usage. */
  function settle(address: string, record: TokenAuthRecord | null, endpoint: string, userAgent: string | undefined): InvokeOutcome {
    const at = now();
    if (record === null || standingOf(record, at) !== 'live') return limiter.refuse(address);
    const allowed = record.endpoints.includes(endpoint);
    uses.recordUse(record.id, endpoint, allowed, at, address, userAgent);
    return allowed ? record : FORBIDDEN;
  }

  return (address, authorization, endpoint, userAgent) => {
    const secret = bearer(authorization);
    if (secret === undefined) return UNAUTHORIZED; // no credential at all: not counted
    // Junk (a wrong shape or checksum) needs no lookup to refuse.
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) return limiter.refuse(address);
    const found = store.authenticateToken(digest(secret));
    if (found instanceof Promise) return found.then((record) => settle(address, record, endpoint, userAgent));
    return settle(address, found, endpoint, userAgent);
  };
}
