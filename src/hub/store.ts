// The one storage interface of the hub. Two implementations pass the same contract suite (test/hub/store.test.ts):
// stores/sqlite.ts (embedded, the default) and stores/postgres.ts (for more than one hub instance).
// Times are milliseconds since the epoch; digests are the 32-byte output of digest.ts. No secret ever reaches a Store.
import type { Endpoint, WorkspacePolicy } from '../contract/types';

export type MaybePromise<T> = T | Promise<T>;

export interface WorkspaceRecord {
  id: string;
  name: string;
  policy: WorkspacePolicy;
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  workspaceId: string;
  name: string;
  maskedKey: string;
  endpoints: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/** What the invoke path needs about the token a digest belongs to. */
export interface TokenAuthRecord {
  id: string;
  workspaceId: string;
  endpoints: string[];
  expiresAt: number | null;
  /** True when the digest is the token's current secret; false when it is the previous one, within its grace. */
  current: boolean;
  /** Until when the previous secret is accepted (only meaningful when current is false). */
  previousExpiresAt: number | null;
}

export interface AccountKeyRecord {
  id: string;
  workspaceId: string;
  maskedKey: string;
  createdAt: number;
}

/** An account key as the management routes know the caller (the actor of the audit trail). */
export interface AuthenticatedAccountKey {
  id: string;
  workspaceId: string;
  maskedKey: string;
  label: string | null;
}

/** A new account key's label (naming its holder in the audit trail) and who made it. */
export interface AccountKeyExtras {
  label?: string | null;
  audit?: AuditContext;
}

export type AuditAction =
  | 'token.created'
  | 'token.rotated'
  | 'token.deleted'
  | 'account_key.created'
  | 'account_key.revoked'
  | 'endpoint.changed';

export type AuditActor =
  | { kind: 'account_key'; accountKeyId: string; maskedKey: string; label: string | null }
  | { kind: 'operator' };

/** Who makes a change, given to the store's writes: the event is written in the same transaction as the change. */
export interface AuditContext {
  actor: AuditActor;
  clientAddress: string | null;
  userAgent: string | null;
}

/** One event of the audit trail; `seq` is its place in the one order of the trail (a database sequence). */
export interface AuditRecord {
  seq: number;
  workspaceId: string;
  at: number;
  action: AuditAction;
  tokenId: string | null;
  tokenName: string | null;
  endpointId: string | null;
  /** For account_key.* events: the key created or revoked. */
  subjectKey: { id: string; maskedKey: string } | null;
  actor: AuditActor;
  clientAddress: string | null;
  userAgent: string | null;
}

export interface AuditQuery {
  limit: number;
  /** Events strictly older (smaller seq) than this. */
  beforeSeq?: number;
  tokenId?: string;
}

/** Uses of a token on one UTC day (whole days since the epoch) and endpoint, added to what the store holds. */
export interface UsageCount {
  tokenId: string;
  day: number;
  endpointId: string;
  accepted: number;
  refused: number;
}

/** The latest client seen using a token. */
export interface LastClient {
  tokenId: string;
  at: number;
  address: string;
  userAgent: string | null;
}

export interface TokenUsageRecord {
  counts: UsageCount[];
  lastClient: { at: number; address: string; userAgent: string | null } | null;
}

export interface NewToken {
  id: string;
  workspaceId: string;
  name: string;
  maskedKey: string;
  endpoints: string[];
  digest: Buffer;
  createdAt: number;
  expiresAt: number | null;
}

export interface IdempotencyRecord {
  workspaceId: string;
  key: string;
  requestHash: string;
  tokenId: string;
  createdAt: number;
}

/** Claim of an Idempotency-Key, written in the same transaction as the token it produced. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
  /** Records created before this instant are expired (24 h) and may be replaced. */
  notBefore: number;
}

export type CreateResult =
  | { kind: 'created'; token: TokenRecord }
  | { kind: 'name_taken' }
  | { kind: 'idempotency_conflict'; existing: IdempotencyRecord };

export type RotateResult =
  | { kind: 'rotated'; token: TokenRecord }
  | { kind: 'not_found' }
  | { kind: 'idempotency_conflict'; existing: IdempotencyRecord };

export interface ListQuery {
  limit: number;
  /** Keyset position: return tokens strictly after (older than) this one in (createdAt DESC, id DESC) order. */
  after?: { createdAt: number; id: string };
  /** Substring of the name; matched literally (LIKE wildcards escaped). */
  search?: string;
  /** Only the tokens with exactly this masked key (index tokens_workspace_masked). */
  maskedKey?: string;
}

/** A token found by one of its secrets' digests (POST /v1/tokens/lookup): the record and which secret it was. */
export interface TokenBySecret {
  token: TokenRecord;
  /** True for the current secret; false for the previous one, which the caller checks against previousExpiresAt. */
  current: boolean;
  previousExpiresAt: number | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies the migrations of stores/migrations.ts not yet applied. Safe to run from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Digest scheme fingerprint kept in the database; see digest.ts. */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /** Creates the workspace, or returns the existing one of that name (and updates its policy when one is given). */
  ensureWorkspace(
    name: string,
    newId: string,
    policy: WorkspacePolicy | undefined,
    now: number,
  ): Promise<{ workspace: WorkspaceRecord; created: boolean }>;
  getWorkspace(id: string): Promise<WorkspaceRecord | null>;
  findWorkspaceByName(name: string): Promise<WorkspaceRecord | null>;
  listWorkspaces(): Promise<WorkspaceRecord[]>;

  /** Adds the endpoint, or updates its name and description. */
  upsertEndpoint(workspaceId: string, endpoint: Endpoint, now: number, audit?: AuditContext): Promise<'added' | 'updated'>;
  listEndpoints(workspaceId: string): Promise<Endpoint[]>;
  /** The endpoint's upstream URL (the operator's; never shown through the API), or null when it has none or does not exist. */
  endpointUpstream(workspaceId: string, endpointId: string): MaybePromise<string | null>;
  /**
   * Sets (a URL) or clears (null) the endpoint's upstream, with an endpoint.changed audit event in the same
   * transaction when `audit` is given; false (and no event) when there is no such endpoint.
   */
  setEndpointUpstream(workspaceId: string, endpointId: string, upstream: string | null, now?: number, audit?: AuditContext): Promise<boolean>;

  createAccountKey(workspaceId: string, id: string, digest: Buffer, maskedKey: string, now: number, extra?: AccountKeyExtras): Promise<void>;
  listAccountKeys(workspaceId: string): Promise<AccountKeyRecord[]>;
  /** Deletes the key; true when it existed. */
  revokeAccountKey(id: string, audit?: AuditContext, now?: number): Promise<boolean>;
  revokeAccountKeyByDigest(digest: Buffer, audit?: AuditContext, now?: number): Promise<boolean>;
  /** The account key, with its workspace, by the key's digest. */
  authenticateAccountKey(digest: Buffer): MaybePromise<AuthenticatedAccountKey | null>;

  /** Service keys: hub-wide, digest only, for POST /v1/verify. */
  createServiceKey(id: string, digest: Buffer, maskedKey: string, now: number): Promise<void>;
  authenticateServiceKey(digest: Buffer): MaybePromise<{ id: string } | null>;
  revokeServiceKeyByDigest(digest: Buffer): Promise<boolean>;

  /** Inserts a token (and the idempotency claim, atomically). Names are unique per workspace among existing tokens. */
  createToken(token: NewToken, claim?: IdempotencyClaim, now?: number, audit?: AuditContext): Promise<CreateResult>;
  /** Inserts many new tokens in one transaction (bulk loading: the bench's million); fails on any conflict. */
  insertTokens(tokens: NewToken[]): Promise<void>;
  getToken(workspaceId: string, id: string): Promise<TokenRecord | null>;
  listTokens(workspaceId: string, query: ListQuery): Promise<TokenRecord[]>;
  /** Hard delete; true when the token existed. */
  deleteToken(workspaceId: string, id: string, audit?: AuditContext, now?: number): Promise<boolean>;
  /**
   * Replaces the token's digest; the old one stays valid until `previousExpiresAt` (null: not at all).
   * Any older previous digest is dropped: at most one previous secret is honoured.
   */
  rotateToken(
    workspaceId: string,
    id: string,
    digest: Buffer,
    maskedKey: string,
    previousExpiresAt: number | null,
    claim?: IdempotencyClaim,
    now?: number,
    audit?: AuditContext,
  ): Promise<RotateResult>;
  /**
   * The token of this workspace whose current or previous digest this is, through the digest indexes; the caller
   * checks grace. Uncached, unlike authenticateToken: lookups are rare and want the full record.
   */
  findTokenByDigest(workspaceId: string, digest: Buffer): Promise<TokenBySecret | null>;
  /** The token whose current or previous digest this is; the caller checks expiry and grace. The hot path. */
  authenticateToken(digest: Buffer): MaybePromise<TokenAuthRecord | null>;
  /** The verified-token cache's figures (tokenCache.ts), when the store has one. */
  tokenCacheStats?(): import('./tokenCache').TokenCacheStats | undefined;
  /** Raises last_used_at to the given values (never lowers it). */
  recordLastUsed(entries: ReadonlyArray<readonly [tokenId: string, at: number]>): Promise<void>;

  /**
   * Adds the counts to the stored ones (an additive upsert, so instances sharing a database never overwrite each
   * other) and raises each token's last client to the given one when it is newer. One transaction.
   */
  recordUsage(counts: readonly UsageCount[], clients: readonly LastClient[]): Promise<void>;
  /** A token's counts from `fromDay` on (any order) and its last client. */
  getUsage(tokenId: string, fromDay: number): Promise<TokenUsageRecord>;
  /** Deletes counts of days before `beforeDay`. */
  pruneUsage(beforeDay: number): Promise<number>;

  /** The workspace's audit trail, newest first. */
  listAudit(workspaceId: string, query: AuditQuery): Promise<AuditRecord[]>;

  /** The live (younger than `notBefore`) record of a key in a workspace. */
  findIdempotency(workspaceId: string, key: string, notBefore: number): Promise<IdempotencyRecord | null>;
  /** Deletes idempotency records created before `before`. */
  purgeIdempotency(before: number): Promise<number>;
}

/** The contract's default workspace policy. */
export const DEFAULT_POLICY: WorkspacePolicy = { defaultLifetimeDays: 30, maxLifetimeDays: 365, allowNoExpiry: false };

/** Escapes LIKE's wildcards (% and _) and the escape character itself, for `LIKE ? ESCAPE '\\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
