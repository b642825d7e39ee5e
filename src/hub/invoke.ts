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

/** POST /v1/verify's answer (routes/verify.ts's response schema, in its order). */
export type Verdict =
  | { valid: true; tokenId: string; workspaceId: string; endpoints: string[]; expiresAt: string | null }
  | { valid: false; reason: 'unknown' | 'expired' | 'forbidden' };

/** What verify's body may say (routes/verify.ts's body schema, validated). */
export interface VerifyRequest {
  token?: unknown;
  endpoint?: unknown;
  clientAddress?: string;
  userAgent?: string;
}

/**
 * Verify's verdict on a body, for the fastify route and its node:http fast path (fastVerify.ts). `address` and
 * `userAgent`: the caller's, recorded when the body names none. Throws (SQLite) or rejects (PostgreSQL) when the
 * store fails.
 */
export type VerifyDecider = (body: VerifyRequest, address: () => string, userAgent: string | undefined) => Verdict | Promise<Verdict>;

const UNKNOWN: Verdict = { valid: false, reason: 'unknown' };
const EXPIRED: Verdict = { valid: false, reason: 'expired' };
const NOT_IN_SCOPE: Verdict = { valid: false, reason: 'forbidden' };

export function verifyDecider(store: Store, digest: Digester, now: Clock, uses: UseRecorder): VerifyDecider {
  function settle(record: TokenAuthRecord | null, body: VerifyRequest, address: () => string, userAgent: string | undefined): Verdict {
    const at = now();
    const standing = standingOf(record, at);
    if (record === null || standing !== 'live') return standing === 'expired' ? EXPIRED : UNKNOWN;
    const { endpoint } = body;
    const allowed = typeof endpoint === 'string' && record.endpoints.includes(endpoint);
    if (typeof endpoint === 'string') uses.recordUse(record.id, endpoint, allowed, at, body.clientAddress ?? address(), body.userAgent ?? userAgent);
    if (!allowed) return NOT_IN_SCOPE;
    return {
      valid: true,
      tokenId: record.id,
      workspaceId: record.workspaceId,
      endpoints: record.endpoints,
      expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
    };
  }
  return (body, address, userAgent) => {
    const { token } = body;
    if (typeof token !== 'string' || !isValidToken(token, ACCESS_TOKEN_PREFIX)) return UNKNOWN;
    const found = store.authenticateToken(digest(token));
    if (found instanceof Promise) return found.then((record) => settle(record, body, address, userAgent));
    return settle(found, body, address, userAgent);
  };
}
