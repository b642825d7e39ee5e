// The decision of POST /v1/endpoints/{id}/invoke, shared by the fastify route (routes/invoke.ts) and the node:http
// fast path (fastInvoke.ts): the token record when the credential may call the endpoint, else the error to answer.
// The hot path: no awaits on writes, no logging, one indexed lookup (none for a token seen since the database last
// changed, on SQLite).
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
  function settle(address: string, record: TokenAuthRecord | null, endpoint: string): InvokeOutcome {
    const at = now();
    if (
      record === null ||
      (record.expiresAt !== null && record.expiresAt <= at) ||
      (!record.current && (record.previousExpiresAt === null || record.previousExpiresAt <= at))
    ) {
      limiter.recordFailure(address);
      return UNAUTHORIZED;
    }
    if (!record.endpoints.includes(endpoint)) return FORBIDDEN;
    lastUsed.touch(record.id, at);
    return record;
  }

  return (address, authorization, endpoint) => {
    const wait = limiter.retryAfter(address);
    if (wait > 0) return errors.rateLimited(wait);
    const secret = bearer(authorization);
    if (secret === undefined) return UNAUTHORIZED; // no credential at all: not counted
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) {
      limiter.recordFailure(address);
      return UNAUTHORIZED;
    }
    const found = store.authenticateToken(digest(secret));
    if (found instanceof Promise) return found.then((record) => settle(address, record, endpoint));
    return settle(address, found, endpoint);
  };
}
