// The one decision whether an access token may call an endpoint: POST /v1/endpoints/{id}/invoke (the fastify route,
// routes/invoke.ts, and the node:http fast path, fastInvoke.ts) and the gateway (routes/gateway.ts) all ask it.
// The token record when the credential may call the endpoint, else the error to answer. A valid credential always
// passes, even from an address the failed-authentication limit has blocked (rateLimit.ts). Every accepted call is
// recorded in one place, recordUse. The hot path: no awaits on writes, no logging, one indexed lookup (none for a
// token seen since the database last changed, on SQLite).
import { ACCESS_TOKEN_PREFIX, isValidToken } from '../core/token';
import { bearer } from './auth';
import type { Clock } from './clock';
import type { Digester } from './digest';
import { HubError, errors } from './errors';
import type { LastUsedTracker } from './lastUsed';
import type { AuthFailureLimiter } from './rateLimit';
import type { Store, TokenAuthRecord } from './store';
import { prebuilt } from './wireError';

/** A token record: the credential may call the endpoint. An error: what to answer instead. */
export type InvokeOutcome = TokenAuthRecord | HubError;

/**
 * Throws (SQLite) or rejects (PostgreSQL) when the store fails. Counts failed authentications and records last use.
 */
export type InvokeDecider = (address: string, authorization: string | undefined, endpoint: string) => InvokeOutcome | Promise<InvokeOutcome>;

const UNAUTHORIZED = prebuilt(errors.unauthorized());
const FORBIDDEN = prebuilt(errors.forbidden('This token is not allowed to call this endpoint.'));

export function invokeDecider(store: Store, digest: Digester, now: Clock, limiter: AuthFailureLimiter, lastUsed: LastUsedTracker): InvokeDecider {
  /** The one place an accepted call is recorded (invoke, gateway): last used now; per-day usage joins it here. */
  function recordUse(record: TokenAuthRecord, _endpoint: string, at: number): void {
    lastUsed.touch(record.id, at);
  }

  function settle(address: string, record: TokenAuthRecord | null, endpoint: string): InvokeOutcome {
    const at = now();
    if (
      record === null ||
      (record.expiresAt !== null && record.expiresAt <= at) ||
      (!record.current && (record.previousExpiresAt === null || record.previousExpiresAt <= at))
    ) {
      return limiter.refuse(address);
    }
    if (!record.endpoints.includes(endpoint)) return FORBIDDEN;
    recordUse(record, endpoint, at);
    return record;
  }

  return (address, authorization, endpoint) => {
    const secret = bearer(authorization);
    if (secret === undefined) return UNAUTHORIZED; // no credential at all: not counted
    // Junk (a wrong shape or checksum) needs no lookup to refuse.
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) return limiter.refuse(address);
    const found = store.authenticateToken(digest(secret));
    if (found instanceof Promise) return found.then((record) => settle(address, record, endpoint));
    return settle(address, found, endpoint);
  };
}
