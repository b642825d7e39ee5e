// The embedded store: one SQLite file (WAL mode) through better-sqlite3, every statement prepared once.
// Several hub processes may share the file on one machine (WAL + busy timeout); for more, use PostgreSQL.
import Database from 'better-sqlite3';
import fs from 'fs';
import path from 'path';
import type { Endpoint, WorkspacePolicy } from '../../contract/types';
import { StoreUnavailableError } from '../errors';
import type {
  AccountKeyExtras,
  AccountKeyRecord,
  AuditContext,
  AuditQuery,
  AuditRecord,
  AuthenticatedAccountKey,
  LastClient,
  TokenUsageRecord,
  UsageCount,
  CreateResult,
  IdempotencyClaim,
  IdempotencyRecord,
  ListQuery,
  NewToken,
  RotateResult,
  Store,
  TokenAuthRecord,
  TokenBySecret,
  TokenRecord,
  WorkspaceRecord,
} from '../store';
import { MIGRATIONS, SQLITE_DIALECT } from './migrations';
import { DEFAULT_POLICY } from '../store';
import { listParams } from './params';
import { INSERT_AUDIT, RAISE_LAST_CLIENT, UPSERT_USAGE, auditFrom, auditParams, listAuditSql } from './usageAudit';
import { DEFAULT_TOKEN_CACHE_SIZE, TokenCache, type TokenCacheStats } from '../tokenCache';

type Row = Record<string, unknown>;

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|NOLFS|PERM)/;

/** Storage failures a client cannot cause become StoreUnavailableError (503); anything else stays a bug. */
function mapError(error: unknown): never {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    throw new StoreUnavailableError(`SQLite: ${(error as Error).message}`, error);
  }
  throw error;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    return mapError(error);
  }
}

function workspaceFrom(row: Row): WorkspaceRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    policy: {
      defaultLifetimeDays: row.default_lifetime_days as number,
      maxLifetimeDays: row.max_lifetime_days as number,
      allowNoExpiry: Boolean(row.allow_no_expiry),
    },
    createdAt: row.created_at as number,
  };
}

function tokenFrom(row: Row): TokenRecord {
  return {
    id: row.id as string,
    workspaceId: row.workspace_id as string,
    name: row.name as string,
    maskedKey: row.masked_key as string,
    endpoints: endpointsFrom(row.endpoints as string),
    createdAt: row.created_at as number,
    expiresAt: (row.expires_at as number | null) ?? null,
    lastUsedAt: (row.last_used_at as number | null) ?? null,
  };
}

/**
 * A token's endpoint list from its stored JSON. A workspace's tokens share few distinct lists, so a page of 200
 * parses each once: the parsed arrays are frozen and shared (a record's endpoints are never changed in place).
 */
const parsedEndpoints = new Map<string, readonly string[]>();
function endpointsFrom(text: string): string[] {
  let endpoints = parsedEndpoints.get(text);
  if (endpoints === undefined) {
    if (parsedEndpoints.size >= 1024) parsedEndpoints.clear();
    endpoints = Object.freeze(JSON.parse(text) as string[]);
    parsedEndpoints.set(text, endpoints);
  }
  // Frozen at run time; typed as the records' mutable lists, which no code changes.
  return endpoints as string[];
}

/**
 * A listing's row as an array (statement.raw(): no object per row), columns in LIST_COLUMNS' order; the workspace is
 * the listing's own, so it is not read from every row.
 */
function tokenFromValues(workspaceId: string, values: unknown[]): TokenRecord {
  return {
    id: values[0] as string,
    workspaceId,
    name: values[1] as string,
    maskedKey: values[2] as string,
    endpoints: endpointsFrom(values[3] as string),
    createdAt: values[4] as number,
    expiresAt: (values[5] as number | null) ?? null,
    lastUsedAt: (values[6] as number | null) ?? null,
  };
}

function idempotencyFrom(row: Row): IdempotencyRecord {
  return {
    workspaceId: row.workspace_id as string,
    key: row.key as string,
    requestHash: row.request_hash as string,
    tokenId: row.token_id as string,
    createdAt: row.created_at as number,
  };
}

/** A policy as the workspaces table holds it (SQLite has no boolean: 1 or 0). */
function policyParams(policy: WorkspacePolicy) {
  return {
    defaultLifetimeDays: policy.defaultLifetimeDays,
    maxLifetimeDays: policy.maxLifetimeDays,
    allowNoExpiry: policy.allowNoExpiry ? 1 : 0,
  };
}

function idempotencyParams(workspaceId: string, claim: IdempotencyClaim, tokenId: string, createdAt: number) {
  return { workspaceId, key: claim.key, requestHash: claim.requestHash, tokenId, createdAt };
}

const TOKEN_COLUMNS = 'id, workspace_id, name, masked_key, endpoints, created_at, expires_at, last_used_at';
/** A listing's columns (tokenFromValues): every one of TOKEN_COLUMNS but the workspace, which the listing names. */
const LIST_COLUMNS = 'id, name, masked_key, endpoints, created_at, expires_at, last_used_at';
/** The filters of a token listing, as bits of the index of its prepared statement. */
const LIST_SEARCH = 1;
const LIST_AFTER = 2;
const LIST_MASKED = 4;
/**
 * A search term the trigram index can serve (3 characters or more) is answered from it when it matches fewer names
 * than searchCandidatesMax(limit) (the candidates are then read, filtered and sorted); a term matching more is found
 * sooner by walking the newest-first index, which holds the name (migration 6) and stops after `limit` matches. Either
 * way LIKE decides, so the answer is the same. With 1,000,000 tokens a candidate costs about 3.8 µs and a walked
 * entry 0.11 µs, and the walk passes about limit × tokens ÷ matches entries: 40 candidates per row asked for keeps
 * either path within a few milliseconds (a fixed 2,000 made a 1 % term at 100,000 tokens read 1,000 candidates,
 * 2.2 ms, where the walk takes 0.1 ms).
 */
const SEARCH_CANDIDATES_PER_ROW = 40;
const SEARCH_CANDIDATES_MAX = 2000;
const searchCandidatesMax = (limit: number) => Math.min(SEARCH_CANDIDATES_MAX, SEARCH_CANDIDATES_PER_ROW * limit);

class NameTaken extends Error {}


export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private statements: ReturnType<SqliteStore['prepare']> | undefined;
  /**
   * Token lookups by digest, valid only while the database is unchanged: lookups first check
   * PRAGMA data_version (it changes whenever another connection, in any process, commits), and this
   * process's own rotations and deletions clear it. So a revocation anywhere is seen on the next request.
   */
  private readonly authCache: TokenCache;
  /** Endpoints' upstreams (the gateway's per-request lookup), valid under the same rule as authCache. */
  private readonly upstreamCache = new Map<string, string | null>();
  private authCacheVersion = -1;
  /**
   * data_version is read once per turn of the event loop, before the first lookup of that turn; it is read again
   * after the loop has polled for I/O (setImmediate runs right after the poll phase). Every request answered in a
   * turn was received (its socket reported readable) before that read, so it still sees every commit its sender
   * could have observed before sending it (HTTP pipelining aside).
   */
  private checkedThisTurn = false;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };

  /** Opens (creating it and its folder when missing) the database file. */
  constructor(
    readonly file: string,
    options: { tokenCacheSize?: number } = {},
  ) {
    this.authCache = new TokenCache(options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = guard(() => new Database(file));
    guard(() => {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
    });
  }

  private get s() {
    if (!this.statements) throw new Error('SqliteStore used before migrate()');
    return this.statements;
  }

  async migrate(): Promise<void> {
    guard(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const apply = this.db.transaction(() => {
        const done = new Set(
          (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => r.version as number),
        );
        for (const migration of MIGRATIONS) {
          if (done.has(migration.version)) continue;
          for (const sql of migration.statements(SQLITE_DIALECT)) this.db.exec(sql);
          this.db
            .prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)')
            .run(migration.version, migration.description, Date.now());
        }
      });
      apply.immediate();
      this.statements = this.prepare();
    });
  }

  private prepare() {
    const db = this.db;
    // One statement per combination of filters, indexed by listVariant().
    const list = (variant: number) =>
      db.prepare(
        `SELECT ${LIST_COLUMNS} FROM tokens WHERE workspace_id = @workspaceId` +
          (variant & LIST_AFTER ? ' AND (created_at, id) < (@afterCreatedAt, @afterId)' : '') +
          (variant & LIST_SEARCH ? " AND name LIKE @pattern ESCAPE '\\'" : '') +
          (variant & LIST_MASKED ? ' AND masked_key = @maskedKey' : '') +
          ' ORDER BY created_at DESC, id DESC LIMIT @limit',
        )
        .raw();
    // The same listing from the trigram index's candidates (t. columns: the index has a column "name" too).
    const listFromIndex = (variant: number) =>
      db.prepare(
        `SELECT ${LIST_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')} FROM tokens_name_fts f CROSS JOIN tokens t ON t.rowid = f.rowid
         WHERE f.tokens_name_fts MATCH @match AND t.workspace_id = @workspaceId AND t.name LIKE @pattern ESCAPE '\\'` +
          (variant & LIST_AFTER ? ' AND (t.created_at, t.id) < (@afterCreatedAt, @afterId)' : '') +
          (variant & LIST_MASKED ? ' AND t.masked_key = @maskedKey' : '') +
          ' ORDER BY t.created_at DESC, t.id DESC LIMIT @limit',
        )
        .raw();
    return {
      searchCandidates: db
        .prepare('SELECT count(*) FROM (SELECT 1 FROM tokens_name_fts WHERE tokens_name_fts MATCH ? LIMIT ?)')
        .pluck(),
      listFromIndex: Array.from({ length: (LIST_AFTER | LIST_MASKED) + 1 }, (_, variant) => listFromIndex(variant)),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      workspaceById: db.prepare('SELECT * FROM workspaces WHERE id = ?'),
      workspaceByName: db.prepare('SELECT * FROM workspaces WHERE name = ?'),
      workspaces: db.prepare('SELECT * FROM workspaces ORDER BY name'),
      insertWorkspace: db.prepare(
        `INSERT INTO workspaces (id, name, default_lifetime_days, max_lifetime_days, allow_no_expiry, created_at)
         VALUES (@id, @name, @defaultLifetimeDays, @maxLifetimeDays, @allowNoExpiry, @createdAt)`,
      ),
      updatePolicy: db.prepare(
        `UPDATE workspaces SET default_lifetime_days = @defaultLifetimeDays, max_lifetime_days = @maxLifetimeDays,
           allow_no_expiry = @allowNoExpiry WHERE id = @id`,
      ),
      endpointExists: db.prepare('SELECT 1 FROM endpoints WHERE workspace_id = ? AND id = ?').pluck(),
      insertEndpoint: db.prepare(
        'INSERT INTO endpoints (workspace_id, id, name, description, created_at) VALUES (@workspaceId, @id, @name, @description, @createdAt)',
      ),
      updateEndpoint: db.prepare('UPDATE endpoints SET name = @name, description = @description WHERE workspace_id = @workspaceId AND id = @id'),
      endpoints: db.prepare('SELECT id, name, description FROM endpoints WHERE workspace_id = ? ORDER BY id'),
      endpointUpstream: db.prepare('SELECT upstream FROM endpoints WHERE workspace_id = ? AND id = ?').pluck(),
      setEndpointUpstream: db.prepare('UPDATE endpoints SET upstream = ? WHERE workspace_id = ? AND id = ?'),
      insertAccountKey: db.prepare(
        'INSERT INTO account_keys (id, workspace_id, digest, masked_key, created_at, label) VALUES (@id, @workspaceId, @digest, @maskedKey, @createdAt, @label)',
      ),
      accountKeyById: db.prepare('SELECT id, workspace_id, masked_key FROM account_keys WHERE id = ?'),
      accountKeyRowByDigest: db.prepare('SELECT id, workspace_id, masked_key FROM account_keys WHERE digest = ?'),
      insertAudit: db.prepare(INSERT_AUDIT),
      insertServiceKey: db.prepare('INSERT INTO service_keys (id, digest, masked_key, created_at) VALUES (@id, @digest, @maskedKey, @createdAt)'),
      serviceKeyByDigest: db.prepare('SELECT id FROM service_keys WHERE digest = ?'),
      deleteServiceKeyByDigest: db.prepare('DELETE FROM service_keys WHERE digest = ?'),
      upsertUsage: db.prepare(UPSERT_USAGE),
      raiseLastClient: db.prepare(RAISE_LAST_CLIENT),
      usage: db.prepare('SELECT token_id, day, endpoint_id, accepted, refused FROM token_usage WHERE token_id = ? AND day >= ?'),
      lastClient: db.prepare('SELECT last_client_at, last_client_address, last_user_agent FROM tokens WHERE id = ?'),
      pruneUsage: db.prepare('DELETE FROM token_usage WHERE day < ?'),
      audit: new Map<string, Database.Statement>(),
      accountKeys: db.prepare(
        'SELECT id, workspace_id, masked_key, created_at FROM account_keys WHERE workspace_id = ? ORDER BY created_at, id',
      ),
      deleteAccountKey: db.prepare('DELETE FROM account_keys WHERE id = ?'),
      deleteAccountKeyByDigest: db.prepare('DELETE FROM account_keys WHERE digest = ?'),
      accountKeyByDigest: db.prepare('SELECT id, workspace_id, masked_key, label FROM account_keys WHERE digest = ?'),
      insertToken: db.prepare(
        `INSERT INTO tokens (id, workspace_id, name, masked_key, endpoints, digest, created_at, expires_at)
         VALUES (@id, @workspaceId, @name, @maskedKey, @endpoints, @digest, @createdAt, @expiresAt)`,
      ),
      token: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE workspace_id = ? AND id = ?`),
      list: Array.from({ length: (LIST_SEARCH | LIST_AFTER | LIST_MASKED) + 1 }, (_, variant) => list(variant)),
      deleteToken: db.prepare('DELETE FROM tokens WHERE workspace_id = ? AND id = ?'),
      rotateToken: db.prepare(
        `UPDATE tokens SET prev_digest = CASE WHEN @previousExpiresAt IS NULL THEN NULL ELSE digest END,
           prev_expires_at = @previousExpiresAt, digest = @digest, masked_key = @maskedKey WHERE workspace_id = @workspaceId AND id = @id`,
      ),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      authToken: db.prepare(
        'SELECT id, workspace_id, endpoints, expires_at, digest = @digest AS current, prev_expires_at FROM tokens WHERE digest = @digest OR prev_digest = @digest',
      ),
      tokenByDigest: db.prepare(
        `SELECT ${TOKEN_COLUMNS}, digest = @digest AS current, prev_expires_at FROM tokens
         WHERE (digest = @digest OR prev_digest = @digest) AND workspace_id = @workspaceId`,
      ),
      touch: db.prepare('UPDATE tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)'),
      idempotency: db.prepare('SELECT * FROM idempotency_keys WHERE workspace_id = ? AND key = ?'),
      deleteIdempotency: db.prepare('DELETE FROM idempotency_keys WHERE workspace_id = ? AND key = ?'),
      insertIdempotency: db.prepare(
        'INSERT INTO idempotency_keys (workspace_id, key, request_hash, token_id, created_at) VALUES (@workspaceId, @key, @requestHash, @tokenId, @createdAt)',
      ),
      purgeIdempotency: db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  tokenCacheStats(): TokenCacheStats {
    return this.authCache.stats();
  }

  async getMeta(key: string): Promise<string | null> {
    return guard(() => (this.s.getMeta.get(key) as string | undefined) ?? null);
  }

  async setMeta(key: string, value: string): Promise<void> {
    guard(() => this.s.setMeta.run(key, value));
  }

  async ensureWorkspace(name: string, newId: string, policy: WorkspacePolicy | undefined, now: number) {
    return guard(() =>
      this.db
        .transaction(() => {
          const existing = this.s.workspaceByName.get(name) as Row | undefined;
          if (existing) {
            if (policy) {
              this.s.updatePolicy.run({ ...policyParams(policy), id: existing.id });
            }
            return { workspace: workspaceFrom(this.s.workspaceById.get(existing.id) as Row), created: false };
          }
          const p = policy ?? DEFAULT_POLICY;
          this.s.insertWorkspace.run({ id: newId, name, ...policyParams(p), createdAt: now });
          return { workspace: workspaceFrom(this.s.workspaceById.get(newId) as Row), created: true };
        })
        .immediate(),
    );
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | null> {
    return guard(() => {
      const row = this.s.workspaceById.get(id) as Row | undefined;
      return row ? workspaceFrom(row) : null;
    });
  }

  async findWorkspaceByName(name: string): Promise<WorkspaceRecord | null> {
    return guard(() => {
      const row = this.s.workspaceByName.get(name) as Row | undefined;
      return row ? workspaceFrom(row) : null;
    });
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    return guard(() => (this.s.workspaces.all() as Row[]).map(workspaceFrom));
  }

  async upsertEndpoint(workspaceId: string, endpoint: Endpoint, now: number, audit?: AuditContext): Promise<'added' | 'updated'> {
    return guard(() =>
      this.db
        .transaction((): 'added' | 'updated' => {
          if (audit) this.s.insertAudit.run(auditParams(workspaceId, 'endpoint.changed', now, audit, { endpointId: endpoint.id }));
          if (this.s.endpointExists.get(workspaceId, endpoint.id)) {
            this.s.updateEndpoint.run({ workspaceId, id: endpoint.id, name: endpoint.name, description: endpoint.description });
            return 'updated';
          }
          this.s.insertEndpoint.run({ workspaceId, id: endpoint.id, name: endpoint.name, description: endpoint.description, createdAt: now });
          return 'added';
        })
        .immediate(),
    );
  }

  async listEndpoints(workspaceId: string): Promise<Endpoint[]> {
    return guard(() => this.s.endpoints.all(workspaceId) as Endpoint[]);
  }

  endpointUpstream(workspaceId: string, endpointId: string): string | null {
    return guard(() => {
      this.checkDataVersion();
      const key = `${workspaceId}\0${endpointId}`;
      const cached = this.upstreamCache.get(key);
      if (cached !== undefined) return cached;
      const upstream = (this.s.endpointUpstream.get(workspaceId, endpointId) as string | null | undefined) ?? null;
      // Keys are endpoints a valid token is scoped to: as many as the workspaces' endpoints.
      this.upstreamCache.set(key, upstream);
      return upstream;
    });
  }

  async setEndpointUpstream(workspaceId: string, endpointId: string, upstream: string | null, now = Date.now(), audit?: AuditContext): Promise<boolean> {
    const changed = guard(() =>
      this.db
        .transaction(() => {
          if (this.s.setEndpointUpstream.run(upstream, workspaceId, endpointId).changes === 0) return false;
          if (audit) this.s.insertAudit.run(auditParams(workspaceId, 'endpoint.changed', now, audit, { endpointId }));
          return true;
        })
        .immediate(),
    );
    this.upstreamCache.clear();
    return changed;
  }

  /** Once per turn of the event loop: forgets the caches when any other connection has committed since (see authCache). */
  private checkDataVersion(): void {
    if (this.checkedThisTurn) return;
    const version = this.s.dataVersion.get() as number;
    if (version !== this.authCacheVersion) {
      this.authCache.clear();
      this.upstreamCache.clear();
      this.authCacheVersion = version;
    }
    this.checkedThisTurn = true;
    setImmediate(this.endTurn);
  }

  async createAccountKey(workspaceId: string, id: string, digest: Buffer, maskedKey: string, now: number, extra: AccountKeyExtras = {}) {
    const { label = null, audit } = extra;
    guard(() =>
      this.db.transaction(() => {
        this.s.insertAccountKey.run({ id, workspaceId, digest, maskedKey, createdAt: now, label });
        if (audit) this.s.insertAudit.run(auditParams(workspaceId, 'account_key.created', now, audit, { subjectKey: { id, maskedKey } }));
      })(),
    );
  }

  async listAccountKeys(workspaceId: string): Promise<AccountKeyRecord[]> {
    return guard(() =>
      (this.s.accountKeys.all(workspaceId) as Row[]).map((row) => ({
        id: row.id as string,
        workspaceId: row.workspace_id as string,
        maskedKey: row.masked_key as string,
        createdAt: row.created_at as number,
      })),
    );
  }

  async revokeAccountKey(id: string, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    return this.revokeAccountKeyRow(() => this.s.accountKeyById.get(id) as Row | undefined, audit, now);
  }

  async revokeAccountKeyByDigest(digest: Buffer, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    return this.revokeAccountKeyRow(() => this.s.accountKeyRowByDigest.get(digest) as Row | undefined, audit, now);
  }

  private revokeAccountKeyRow(find: () => Row | undefined, audit: AuditContext | undefined, now: number): boolean {
    return guard(() =>
      this.db
        .transaction(() => {
          const row = find();
          if (!row) return false;
          this.s.deleteAccountKey.run(row.id);
          if (audit) {
            const subjectKey = { id: row.id as string, maskedKey: row.masked_key as string };
            this.s.insertAudit.run(auditParams(row.workspace_id as string, 'account_key.revoked', now, audit, { subjectKey }));
          }
          return true;
        })
        .immediate(),
    );
  }

  authenticateAccountKey(digest: Buffer): AuthenticatedAccountKey | null {
    const row = guard(() => this.s.accountKeyByDigest.get(digest) as Row | undefined);
    return row
      ? { id: row.id as string, workspaceId: row.workspace_id as string, maskedKey: row.masked_key as string, label: (row.label as string | null) ?? null }
      : null;
  }

  async createServiceKey(id: string, digest: Buffer, maskedKey: string, now: number): Promise<void> {
    guard(() => this.s.insertServiceKey.run({ id, digest, maskedKey, createdAt: now }));
  }

  authenticateServiceKey(digest: Buffer): { id: string } | null {
    const row = guard(() => this.s.serviceKeyByDigest.get(digest) as Row | undefined);
    return row ? { id: row.id as string } : null;
  }

  async revokeServiceKeyByDigest(digest: Buffer): Promise<boolean> {
    return guard(() => this.s.deleteServiceKeyByDigest.run(digest).changes > 0);
  }

  /** Returns the live claim of the key, deleting an expired one so that the key can be used again. */
  private liveClaim(workspaceId: string, claim: IdempotencyClaim): IdempotencyRecord | null {
    const row = this.s.idempotency.get(workspaceId, claim.key) as Row | undefined;
    if (!row) return null;
    if ((row.created_at as number) >= claim.notBefore) return idempotencyFrom(row);
    this.s.deleteIdempotency.run(workspaceId, claim.key);
    return null;
  }

  async createToken(token: NewToken, claim?: IdempotencyClaim, now = Date.now(), audit?: AuditContext): Promise<CreateResult> {
    try {
      return guard(() =>
        this.db
          .transaction((): CreateResult => {
            if (claim) {
              const existing = this.liveClaim(token.workspaceId, claim);
              if (existing) return { kind: 'idempotency_conflict', existing };
            }
            try {
              this.s.insertToken.run({ ...token, endpoints: JSON.stringify(token.endpoints) });
            } catch (error) {
              if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /tokens\.name/.test((error as Error).message)) {
                throw new NameTaken();
              }
              throw error;
            }
            if (claim) this.s.insertIdempotency.run(idempotencyParams(token.workspaceId, claim, token.id, now));
            if (audit) {
              const subject = { tokenId: token.id, tokenName: token.name };
              this.s.insertAudit.run(auditParams(token.workspaceId, 'token.created', now, audit, subject));
            }
            return { kind: 'created', token: tokenFrom(this.s.token.get(token.workspaceId, token.id) as Row) };
          })
          .immediate(),
      );
    } catch (error) {
      if (error instanceof NameTaken) return { kind: 'name_taken' };
      throw error;
    }
  }

  async insertTokens(tokens: NewToken[]): Promise<void> {
    guard(() =>
      this.db
        .transaction(() => {
          for (const token of tokens) this.s.insertToken.run({ ...token, endpoints: JSON.stringify(token.endpoints) });
        })
        .immediate(),
    );
  }

  async getToken(workspaceId: string, id: string): Promise<TokenRecord | null> {
    return guard(() => {
      const row = this.s.token.get(workspaceId, id) as Row | undefined;
      return row ? tokenFrom(row) : null;
    });
  }

  async listTokens(workspaceId: string, query: ListQuery): Promise<TokenRecord[]> {
    return guard(() => {
      if (query.search !== undefined && [...query.search].length >= 3) {
        // An FTS5 string: the term as one phrase, its double quotes doubled; trigram phrases match substrings.
        const match = `"${query.search.replace(/"/g, '""')}"`;
        const enough = searchCandidatesMax(query.limit);
        if ((this.s.searchCandidates.get(match, enough) as number) < enough) {
          const statement = this.s.listFromIndex[(query.after ? LIST_AFTER : 0) | (query.maskedKey ? LIST_MASKED : 0)];
          return (statement.all({ ...listParams(workspaceId, query), match }) as unknown[][]).map((values) => tokenFromValues(workspaceId, values));
        }
      }
      const statement =
        this.s.list[(query.after ? LIST_AFTER : 0) | (query.search ? LIST_SEARCH : 0) | (query.maskedKey ? LIST_MASKED : 0)];
      return (statement.all(listParams(workspaceId, query)) as unknown[][]).map((values) => tokenFromValues(workspaceId, values));
    });
  }

  async deleteToken(workspaceId: string, id: string, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    const deleted = guard(() =>
      this.db
        .transaction(() => {
          const row = audit ? (this.s.token.get(workspaceId, id) as Row | undefined) : undefined;
          if (this.s.deleteToken.run(workspaceId, id).changes === 0) return false;
          if (audit && row) {
            this.s.insertAudit.run(auditParams(workspaceId, 'token.deleted', now, audit, { tokenId: id, tokenName: row.name as string }));
          }
          return true;
        })
        .immediate(),
    );
    this.authCache.clear();
    return deleted;
  }

  async rotateToken(
    workspaceId: string,
    id: string,
    digest: Buffer,
    maskedKey: string,
    previousExpiresAt: number | null,
    claim?: IdempotencyClaim,
    now = Date.now(),
    audit?: AuditContext,
  ): Promise<RotateResult> {
    return guard(() =>
      this.db
        .transaction((): RotateResult => {
          if (claim) {
            const existing = this.liveClaim(workspaceId, claim);
            if (existing) return { kind: 'idempotency_conflict', existing };
          }
          this.authCache.clear();
          const changed = this.s.rotateToken.run({ previousExpiresAt, digest, maskedKey, workspaceId, id }).changes;
          if (changed === 0) return { kind: 'not_found' };
          if (claim) this.s.insertIdempotency.run(idempotencyParams(workspaceId, claim, id, now));
          const token = tokenFrom(this.s.token.get(workspaceId, id) as Row);
          if (audit) this.s.insertAudit.run(auditParams(workspaceId, 'token.rotated', now, audit, { tokenId: id, tokenName: token.name }));
          return { kind: 'rotated', token };
        })
        .immediate(),
    );
  }

  async findTokenByDigest(workspaceId: string, digest: Buffer): Promise<TokenBySecret | null> {
    return guard(() => {
      const row = this.s.tokenByDigest.get({ digest, workspaceId }) as Row | undefined;
      if (!row) return null;
      return { token: tokenFrom(row), current: row.current === 1, previousExpiresAt: (row.prev_expires_at as number | null) ?? null };
    });
  }

  authenticateToken(digest: Buffer): TokenAuthRecord | null {
    return guard(() => {
      this.checkDataVersion();
      const key = digest.toString('latin1');
      const cached = this.authCache.get(key);
      if (cached !== undefined) return cached;
      const row = this.s.authToken.get({ digest }) as Row | undefined;
      if (!row) return null; // misses are not cached: a token created elsewhere works at once
      const record: TokenAuthRecord = {
        id: row.id as string,
        workspaceId: row.workspace_id as string,
        endpoints: endpointsFrom(row.endpoints as string),
        expiresAt: (row.expires_at as number | null) ?? null,
        current: row.current === 1,
        previousExpiresAt: (row.prev_expires_at as number | null) ?? null,
      };
      this.authCache.set(key, record);
      return record;
    });
  }

  async recordLastUsed(entries: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (entries.length === 0) return;
    guard(() =>
      this.db.transaction(() => {
        for (const [id, at] of entries) this.s.touch.run({ id, at });
      })(),
    );
  }

  async recordUsage(counts: readonly UsageCount[], clients: readonly LastClient[]): Promise<void> {
    if (counts.length === 0 && clients.length === 0) return;
    guard(() =>
      this.db.transaction(() => {
        for (const count of counts) this.s.upsertUsage.run({ ...count });
        for (const client of clients) this.s.raiseLastClient.run({ ...client });
      })(),
    );
  }

  async getUsage(tokenId: string, fromDay: number): Promise<TokenUsageRecord> {
    return guard(() => {
      const counts = (this.s.usage.all(tokenId, fromDay) as Row[]).map((row) => ({
        tokenId: row.token_id as string,
        day: row.day as number,
        endpointId: row.endpoint_id as string,
        accepted: row.accepted as number,
        refused: row.refused as number,
      }));
      const last = this.s.lastClient.get(tokenId) as Row | undefined;
      const lastClient =
        last && last.last_client_at !== null
          ? { at: last.last_client_at as number, address: last.last_client_address as string, userAgent: (last.last_user_agent as string | null) ?? null }
          : null;
      return { counts, lastClient };
    });
  }

  async pruneUsage(beforeDay: number): Promise<number> {
    return guard(() => this.s.pruneUsage.run(beforeDay).changes);
  }

  async listAudit(workspaceId: string, query: AuditQuery): Promise<AuditRecord[]> {
    return guard(() => {
      const sql = listAuditSql(query);
      let statement = this.s.audit.get(sql);
      if (!statement) this.s.audit.set(sql, (statement = this.db.prepare(sql)));
      const params: Record<string, unknown> = { workspaceId, limit: query.limit };
      if (query.beforeSeq !== undefined) params.beforeSeq = query.beforeSeq;
      if (query.tokenId !== undefined) params.tokenId = query.tokenId;
      const rows = statement.all(params) as Row[];
      return rows.map(auditFrom);
    });
  }

  async findIdempotency(workspaceId: string, key: string, notBefore: number): Promise<IdempotencyRecord | null> {
    return guard(() => {
      const row = this.s.idempotency.get(workspaceId, key) as Row | undefined;
      return row && (row.created_at as number) >= notBefore ? idempotencyFrom(row) : null;
    });
  }

  async purgeIdempotency(before: number): Promise<number> {
    return guard(() => this.s.purgeIdempotency.run(before).changes);
  }
}
