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
  upsertEndpoint(workspaceId: string, endpoint: Endpoint, now: number): Promise<'added' | 'updated'>;
  listEndpoints(workspaceId: string): Promise<Endpoint[]>;

  createAccountKey(workspaceId: string, id: string, digest: Buffer, maskedKey: string, now: number): Promise<void>;
  listAccountKeys(workspaceId: string): Promise<AccountKeyRecord[]>;
  /** Deletes the key; true when it existed. */
  revokeAccountKey(id: string): Promise<boolean>;
  revokeAccountKeyByDigest(digest: Buffer): Promise<boolean>;
  /** The workspace an account key belongs to, by the key's digest. */
  authenticateAccountKey(digest: Buffer): MaybePromise<{ id: string; workspaceId: string } | null>;

  /** Inserts a token (and the idempotency claim, atomically). Names are unique per workspace among existing tokens. */
  createToken(token: NewToken, claim?: IdempotencyClaim, now?: number): Promise<CreateResult>;
  /** Inserts many new tokens in one transaction (bulk loading: the bench's million); fails on any conflict. */
  insertTokens(tokens: NewToken[]): Promise<void>;
  getToken(workspaceId: string, id: string): Promise<TokenRecord | null>;
  listTokens(workspaceId: string, query: ListQuery): Promise<TokenRecord[]>;
  /** Hard delete; true when the token existed. */
  deleteToken(workspaceId: string, id: string): Promise<boolean>;
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
