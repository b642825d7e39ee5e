// Token management: the rules of docs/api.md for listing, creating, rotating and deleting tokens, and the
// Idempotency-Key protocol. HTTP-free: app.ts maps requests onto it and HubErrors onto responses.
import { createHash } from 'crypto';
import type { Token, TokenPage, TokenWithSecret } from '../contract/types';
import { API_LIMITS } from '../contract/types';
import { isoTime } from '../core/dates';
import { ACCESS_TOKEN_PREFIX, generateToken, isValidToken, maskToken } from '../core/token';
import { parseIsoDate, truncateForMessage, validateEndpointIds, validateExpiry, validateTokenName } from '../core/validation';
import type { Clock } from './clock';
import { newId, type Digester } from './digest';
import { errors } from './errors';
import type { LastUsedTracker } from './lastUsed';
import type { ReplayCache } from './replayCache';
import type { AuditContext, IdempotencyClaim, IdempotencyRecord, Store, TokenRecord, WorkspaceRecord } from './store';

const DAY_MS = 86_400_000;
/**
 * The form of every token id (newId): anything else names no token and is answered 404 without a query. PostgreSQL
 * cannot compare text holding U+0000, so such an id (GET /v1/tokens/%00) was a 500 there.
 */
const TOKEN_ID = /^tok_[0-9A-Za-z]{16}$/;
/** Every character a token name may hold (validateTokenName), for searches. */
const NAME_CHARACTERS = /^[a-z0-9-]*$/;
/** Every mask a hub gives or gave (maskCandidates): anything else matches no token and is answered without a query. */
const MASKED_KEY = new RegExp(`^${ACCESS_TOKEN_PREFIX}[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$`);
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;

/** The sentence for an invalid_<field> error, using the shared validators where they apply. */
export function fieldMessage(field: string, value: unknown): string {
  switch (field) {
    case 'name':
      return validateTokenName(value) ?? 'Give the name as text: lowercase letters, digits and hyphens.';
    case 'endpoints':
      return validateEndpointIds(value) ?? `Give endpoints as a list of 1 to ${API_LIMITS.endpointsMax} distinct endpoint ids.`;
    case 'expiresAt':
      return 'Give expiresAt as an ISO 8601 date and time, such as 2026-12-31T00:00:00Z, or null.';
    case 'graceSeconds':
      return `Give graceSeconds as a whole number of seconds from 0 to ${API_LIMITS.graceSecondsMax}.`;
    case 'limit':
      return `Give limit as a whole number from 1 to ${API_LIMITS.listLimitMax}.`;
    case 'cursor':
      return 'This cursor is not one the hub gave out; list again without it.';
    case 'search':
      return `Give search as text of at most ${API_LIMITS.nameMaxLength} characters.`;
    case 'maskedKey':
      return `Give maskedKey as a token's masked key, such as thub_Ab12…x7Qa, of at most ${API_LIMITS.maskedKeyMaxLength} characters.`;
    case 'secret':
      // Never echo the value: it may be a live secret.
      return 'Give secret as the text of a Token Hub access token (thub_…).';
    case 'Idempotency-Key':
      return `Send an Idempotency-Key of 1 to ${API_LIMITS.idempotencyKeyMaxLength} printable ASCII characters.`;
    default:
      return `The field "${field}" is not valid.`;
  }
}

/** Opaque to clients: base64url of "<createdAt ms>:<token id>", the keyset position after which the next page starts. */
export function encodeCursor(token: { createdAt: number; id: string }): string {
  return Buffer.from(`${token.createdAt}:${token.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = /^(\d{1,15}):(tok_[0-9A-Za-z]{16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { createdAt: Number(match[1]), id: match[2] } : null;
}

/** Key order does not matter: {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(operation: string, body: unknown): string {
  return createHash('sha256').update(`${operation}\n${canonicalJson(body)}`).digest('hex');
}

export class TokenService {
  /** Requests of this process in progress per (workspace, Idempotency-Key): duplicates wait for the first. */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly digest: Digester,
    private readonly now: Clock,
    private readonly lastUsed: LastUsedTracker,
    private readonly replays: ReplayCache,
  ) {}

  /** The API form; lastUsedAt is the newer of the stored value and what this process saw. */
  toApi(record: TokenRecord): Token {
    const seen = this.lastUsed.get(record.id);
    const lastUsed = seen !== undefined && (record.lastUsedAt === null || seen > record.lastUsedAt) ? seen : record.lastUsedAt;
    return {
      id: record.id,
      name: record.name,
      maskedKey: record.maskedKey,
      endpoints: record.endpoints,
      createdAt: isoTime(record.createdAt),
      expiresAt: record.expiresAt === null ? null : isoTime(record.expiresAt),
      lastUsedAt: lastUsed === null ? null : isoTime(lastUsed),
    };
  }

  async get(workspace: WorkspaceRecord, id: string): Promise<Token> {
    if (!TOKEN_ID.test(id)) throw errors.notFound('This workspace has no token with that id.');
    const record = await this.store.getToken(workspace.id, id);
    if (!record) throw errors.notFound('This workspace has no token with that id.');
    return this.toApi(record);
  }

  async list(
    workspace: WorkspaceRecord,
    query: { limit: number; cursor?: string; search?: string; maskedKey?: string },
  ): Promise<TokenPage> {
    let after: { createdAt: number; id: string } | undefined;
    if (query.cursor !== undefined && query.cursor !== '') {
      after = decodeCursor(query.cursor) ?? undefined;
      if (!after) throw errors.invalid('cursor', fieldMessage('cursor', query.cursor));
    }
    const search = query.search ? query.search.toLowerCase() : undefined;
    // A character no name can hold matches nothing: answered without the database (PostgreSQL cannot even compare
    // text holding U+0000).
    if (search !== undefined && !NAME_CHARACTERS.test(search)) return { data: [], nextCursor: null };
    const maskedKey = query.maskedKey ? query.maskedKey : undefined;
    if (maskedKey !== undefined && !MASKED_KEY.test(maskedKey)) return { data: [], nextCursor: null };
    const rows = await this.store.listTokens(workspace.id, { limit: query.limit + 1, after, search, maskedKey });
    const page = rows.slice(0, query.limit);
    return {
      data: page.map((record) => this.toApi(record)),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /**
   * The token of the workspace that the secret authenticates as, by its digest through the digest indexes (as
   * authentication finds it; the secret itself is compared with nothing). An expired token's secret counts, and so
   * does a rotated-out one within its grace period; anything else, another workspace's secret included, is 404.
   */
  async lookup(workspace: WorkspaceRecord, secret: string): Promise<Token> {
    const notFound = () => errors.notFound('This workspace has no token with that secret.');
    if (!isValidToken(secret, ACCESS_TOKEN_PREFIX)) throw notFound();
    const found = await this.store.findTokenByDigest(workspace.id, this.digest(secret));
    if (!found) throw notFound();
    if (!found.current && (found.previousExpiresAt === null || found.previousExpiresAt <= this.now())) throw notFound();
    return this.toApi(found.token);
  }

  async create(
    workspace: WorkspaceRecord,
    body: { name: string; endpoints: string[]; expiresAt?: string | null },
    idempotencyKey: string | undefined,
    audit?: AuditContext,
  ): Promise<TokenWithSecret> {
    return this.idempotent(workspace, idempotencyKey, requestHash('create', body), async (claim) => {
      const nameProblem = validateTokenName(body.name);
      if (nameProblem) throw errors.invalid('name', nameProblem);
      const endpointsProblem = validateEndpointIds(body.endpoints);
      if (endpointsProblem) throw errors.invalid('endpoints', endpointsProblem);
      const known = new Set((await this.store.listEndpoints(workspace.id)).map((e) => e.id));
      const unknown = body.endpoints.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        // Never echo something shaped like a secret, even one the client sent by mistake.
        const shown = unknown.slice(0, 5).map((id) => `"${/th(ub|ak)_/i.test(id) ? maskToken(id) : truncateForMessage(id)}"`);
        throw errors.invalid(
          'endpoints',
          `This workspace has no endpoint ${shown.join(', ')}${unknown.length > 5 ? ' and others' : ''}; choose from its endpoints (GET /v1/endpoints).`,
        );
      }
      const now = this.now();
      let expiresAt: number | null;
      if (body.expiresAt === undefined) {
        expiresAt = now + workspace.policy.defaultLifetimeDays * DAY_MS;
      } else {
        const expiryProblem = validateExpiry(body.expiresAt, workspace.policy, now);
        if (expiryProblem) throw errors.invalid('expiresAt', expiryProblem);
        expiresAt = body.expiresAt === null ? null : parseIsoDate(body.expiresAt);
      }
      const secret = generateToken(ACCESS_TOKEN_PREFIX);
      const result = await this.store.createToken(
        {
          id: newId('tok_'),
          workspaceId: workspace.id,
          name: body.name,
          maskedKey: maskToken(secret),
          endpoints: body.endpoints,
          digest: this.digest(secret),
          createdAt: now,
          expiresAt,
        },
        claim,
        now,
        audit,
      );
      if (result.kind === 'name_taken') throw errors.nameTaken(body.name);
      if (result.kind === 'idempotency_conflict') return { conflict: result.existing };
      return { response: { token: this.toApi(result.token), secret } };
    });
  }

  async rotate(
    workspace: WorkspaceRecord,
    id: string,
    graceSeconds: number,
    idempotencyKey: string | undefined,
    audit?: AuditContext,
  ): Promise<TokenWithSecret> {
    return this.idempotent(workspace, idempotencyKey, requestHash(`rotate ${id}`, { graceSeconds }), async (claim) => {
      if (!TOKEN_ID.test(id)) throw errors.notFound('This workspace has no token with that id.');
      const now = this.now();
      const secret = generateToken(ACCESS_TOKEN_PREFIX);
      const result = await this.store.rotateToken(
        workspace.id,
        id,
        this.digest(secret),
        maskToken(secret),
        graceSeconds > 0 ? now + graceSeconds * 1000 : null,
        claim,
        now,
        audit,
      );
      if (result.kind === 'not_found') throw errors.notFound('This workspace has no token with that id.');
      if (result.kind === 'idempotency_conflict') return { conflict: result.existing };
      this.replays.dropToken(id); // an earlier response's secret no longer works: never replay it
      return { response: { token: this.toApi(result.token), secret } };
    });
  }

  async remove(workspace: WorkspaceRecord, id: string, audit?: AuditContext): Promise<void> {
    if (!TOKEN_ID.test(id)) throw errors.notFound('This workspace has no token with that id.');
    if (!(await this.store.deleteToken(workspace.id, id, audit, this.now()))) throw errors.notFound('This workspace has no token with that id.');
    this.replays.dropToken(id);
    this.lastUsed.forget(id);
  }

  /**
   * Runs `work` at most once per (workspace, key) and request: a retry with the same body gets the first response
   * from this process's replay cache (10 minutes), else 409 idempotency_replayed; another body gets 422.
   */
  private async idempotent(
    workspace: WorkspaceRecord,
    key: string | undefined,
    hash: string,
    work: (claim: IdempotencyClaim | undefined) => Promise<{ response: TokenWithSecret } | { conflict: IdempotencyRecord }>,
  ): Promise<TokenWithSecret> {
    if (key === undefined) {
      const outcome = await work(undefined);
      if ('conflict' in outcome) throw new Error('conflict without an idempotency key');
      return outcome.response;
    }
    const scope = `${workspace.id}\u0000${key}`;
    for (let pending = this.inflight.get(scope); pending; pending = this.inflight.get(scope)) {
      await pending.catch(() => undefined);
    }
    const notBefore = this.now() - IDEMPOTENCY_RETENTION_MS;
    const existing = await this.store.findIdempotency(workspace.id, key, notBefore);
    if (existing) return this.replay(workspace, scope, existing, hash);

    const running = work({ key, requestHash: hash, notBefore });
    this.inflight.set(scope, running);
    try {
      const outcome = await running;
      if ('conflict' in outcome) return this.replay(workspace, scope, outcome.conflict, hash);
      this.replays.put(scope, outcome.response.token.id, hash, outcome.response);
      return outcome.response;
    } finally {
      this.inflight.delete(scope);
    }
  }

  /**
   * The first response again, only while its secret is still the token's current one in the store: another
   * instance sharing the database may have rotated or deleted the token since, and this process's cache cannot know.
   */
  private async replay(workspace: WorkspaceRecord, scope: string, existing: IdempotencyRecord, hash: string): Promise<TokenWithSecret> {
    if (existing.requestHash !== hash) throw errors.idempotencyMismatch();
    const cached = this.replays.get(scope);
    if (cached && cached.tokenId === existing.tokenId && cached.requestHash === hash) {
      const body = cached.body as TokenWithSecret;
      const found = await this.store.findTokenByDigest(workspace.id, this.digest(body.secret));
      if (found !== null && found.current && found.token.id === existing.tokenId) return body;
      this.replays.dropToken(existing.tokenId);
    }
    throw errors.idempotencyReplayed(existing.tokenId);
  }
}
