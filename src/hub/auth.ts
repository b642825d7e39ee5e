// Who is asking: the bearer credential of a request, the address failures are counted against (clientAddress.ts),
// and the account-key check every management route runs before it looks at anything else (so a stranger learns
// nothing about the request rules). Invoke and the gateway check their access tokens in invoke.ts with the same
// limiter, by the same rule: a valid credential always works; a failed one from a blocked address gets 429.
import type { FastifyRequest } from 'fastify';
import { ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX, isValidToken } from '../core/token';
import type { Digester } from './digest';
import { HubError, errors } from './errors';
import type { AuthFailureLimiter } from './rateLimit';
import type { AuditContext, AuthenticatedAccountKey, MaybePromise, Store, WorkspaceRecord } from './store';

declare module 'fastify' {
  interface FastifyRequest {
    workspace: WorkspaceRecord | null;
    /** The id of the account key that authenticated the request (for the per-key lookup limit). */
    accountKeyId: string | null;
    /** The address failures are counted against: the peer, or X-Forwarded-For's behind a trusted proxy (app.ts). */
    readonly clientAddress: string;
    /** The account key itself (id, mask, label): the actor of the audit trail. */
    accountKey: AuthenticatedAccountKey | null;
  }
}

/** The credential of an `Authorization: Bearer <credential>` header (the scheme in any case), else undefined. */
export function bearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8) return undefined;
  const scheme = header.slice(0, 7);
  if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') return undefined;
  return header.slice(7).trim();
}

export function clientAddress(request: FastifyRequest): string {
  return request.clientAddress;
}

/** The workspace of an authenticated management request (set by the account-key hook). */
export function workspaceOf(request: FastifyRequest): WorkspaceRecord {
  return request.workspace as WorkspaceRecord;
}

/** The account key of an authenticated management request (set by the account-key hook). */
export function accountKeyOf(request: FastifyRequest): string {
  return request.accountKeyId as string;
}

/** Who makes a change through an authenticated management request, for the audit trail. */
export function auditContextOf(request: FastifyRequest): AuditContext {
  const key = request.accountKey as AuthenticatedAccountKey;
  return {
    actor: { kind: 'account_key', accountKeyId: key.id, maskedKey: key.maskedKey, label: key.label },
    clientAddress: clientAddress(request),
    userAgent: request.headers['user-agent']?.slice(0, 256) ?? null,
  };
}

/** The service key a bearer secret is (null for anything else), by the one rule of verify's hook and fast path. */
export function serviceKeyOf(store: Store, digest: Digester, secret: string | undefined): MaybePromise<{ id: string } | null> {
  return secret && isValidToken(secret, SERVICE_KEY_PREFIX) ? store.authenticateServiceKey(digest(secret)) : null;
}

/**
 * The onRequest hook of POST /v1/verify: a service key (thsk_…) or 401. Any other credential is refused, and a
 * service key is refused everywhere else (no other check accepts its prefix). A valid key is never refused by the
 * failed-authentication limit.
 */
export function serviceKeyAuthenticator(store: Store, digest: Digester, limiter: AuthFailureLimiter) {
  return async function authenticateService(request: FastifyRequest): Promise<void> {
    const secret = bearer(request.headers.authorization);
    const key = await serviceKeyOf(store, digest, secret);
    if (key) return;
    // The account keys' rule: no credential is 401 and not counted; a failed one is counted (429 once blocked).
    throw secret ? limiter.refuse(clientAddress(request)) : errors.unauthorized();
  };
}

/** The onRequest hook of the account-key routes: sets request.workspace and request.accountKeyId, or throws. */
export function accountKeyAuthenticator(store: Store, digest: Digester, limiter: AuthFailureLimiter) {
  function failed(request: FastifyRequest, counts: boolean): HubError {
    return counts ? limiter.refuse(clientAddress(request)) : errors.unauthorized();
  }
  return async function authenticateAccount(request: FastifyRequest): Promise<void> {
    const secret = bearer(request.headers.authorization);
    if (!secret) throw failed(request, false);
    if (!isValidToken(secret, ACCOUNT_KEY_PREFIX)) throw failed(request, true);
    const key = await store.authenticateAccountKey(digest(secret));
    const workspace = key ? await store.getWorkspace(key.workspaceId) : null;
    if (!key || !workspace) throw failed(request, true);
    request.workspace = workspace;
    request.accountKeyId = key.id;
    request.accountKey = key;
  };
}
