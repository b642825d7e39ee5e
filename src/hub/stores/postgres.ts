// The shared store: PostgreSQL through a pg Pool. Several hub processes on one database behave as one service:
// a serving hub keeps verified tokens in a bounded cache that every instance empties of a token before its delete or
// rotation answers (pgInvalidation.ts); names are unique through a unique index, idempotency claims through a
// primary key, both checked by the database under concurrency.
// Connection failures become StoreUnavailableError (503); the pool reconnects by itself when the server is back.
import pg from 'pg';
import type { Endpoint, WorkspacePolicy } from '../../contract/types';
import { StoreUnavailableError } from '../errors';
import {
  DEFAULT_POLICY,
  type AccountKeyExtras,
  type AccountKeyRecord,
  type AuditContext,
  type AuditQuery,
  type AuditRecord,
  type AuthenticatedAccountKey,
  type LastClient,
  type TokenUsageRecord,
  type UsageCount,
  type CreateResult,
  type IdempotencyClaim,
  type IdempotencyRecord,
  type ListQuery,
  type NewToken,
  type RotateResult,
  type Store,
  type TokenAuthRecord,
  type TokenBySecret,
  type TokenRecord,
  type WorkspaceRecord,
} from '../store';
import { TokenCache, type TokenCacheStats } from '../tokenCache';
import { MIGRATIONS, POSTGRES_DIALECT } from './migrations';
import { perTurn } from './turnBatch';
import { PgInvalidation, REGISTRATION_LOCK, DB_NOW_MS } from './pgInvalidation';
import { listParams, named } from './params';
import { INSERT_AUDIT, RAISE_LAST_CLIENT, auditFrom, auditParams, listAuditSql, type AuditSubject } from './usageAudit';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MIGRATION_LOCK = 7_270_736_901; // pg_advisory_xact_lock key: one migrator at a time
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // a unix socket path that is gone
]);

/** True for failures of the database or the way to it, as opposed to a bug in a query. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // SQLSTATE 08: connection exception; 57P01-57P03: shutting down, cannot connect now; 53: insufficient resources.
    if (/^(08|57P0|53)/.test(code)) return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Connection ended|connection error|not queryable|Client was closed/i.test(
    error.message,
  );
}

function mapError(error: unknown): never {
  if (error instanceof StoreUnavailableError) throw error;
  if (isConnectionError(error)) {
    throw new StoreUnavailableError(`PostgreSQL: ${(error as Error).message || (error as { code?: string }).code}`, error);
  }
  throw error;
}

function workspaceFrom(row: Row): WorkspaceRecord {
  return {
    id: row.id,
    name: row.name,
    policy: {
      defaultLifetimeDays: row.default_lifetime_days,
      maxLifetimeDays: row.max_lifetime_days,
      allowNoExpiry: row.allow_no_expiry,
    },
    createdAt: row.created_at,
  };
}

function tokenFrom(row: Row): TokenRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    maskedKey: row.masked_key,
    endpoints: row.endpoints,
    createdAt: row.created_at,
    expiresAt: row.expires_at ?? null,
    lastUsedAt: row.last_used_at ?? null,
  };
}

function idempotencyFrom(row: Row): IdempotencyRecord {
  return {
    workspaceId: row.workspace_id,
    key: row.key,
    requestHash: row.request_hash,
    tokenId: row.token_id,
    createdAt: row.created_at,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Thrown inside transaction() to roll back and return `value`. */
class Rollback {
  constructor(readonly value: unknown) {}
}

const TOKEN_COLUMNS = 'id, workspace_id, name, masked_key, endpoints, created_at, expires_at, last_used_at';

// BIGINT columns hold milliseconds since the epoch: read them as numbers, not strings.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** One digest waiting in the next batch of token lookups (several requests with the same secret share it). */
interface AuthLookup {
  digest: Buffer;
  key: string;
  promise: Promise<TokenAuthRecord | null>;
  resolve(record: TokenAuthRecord | null): void;
  reject(error: unknown): void;
}

/** Digests per lookup query. */
const AUTH_BATCH_MAX = 500;

export interface PostgresStoreOptions {
  /** Called for errors of idle pool clients (the server went away); they are dropped and replaced. */
  onPoolError?: (error: Error) => void;
  max?: number;
  /**
   * Verified tokens kept in this process (0, the default: none). Only for a serving hub: it registers a lease that
   * every delete and rotation on the database waits on (a command-line tool must not).
   */
  tokenCacheSize?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly cache: TokenCache | undefined;
  /** Started only in a serving hub (tokenCacheSize given); a store without it still waits for the others' acks. */
  private readonly invalidation: PgInvalidation;
  private readonly serving: boolean;

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      types,
    });
    this.pool.on('error', (error) => options.onPoolError?.(error));
    // The pool listens on idle clients only. A client checked out when PostgreSQL goes away (a restart, a
    // failover) emits 'error' too, and an unheard 'error' would end the process: its query fails (503) instead.
    this.pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
    this.serving = options.tokenCacheSize !== undefined;
    if (this.serving && options.tokenCacheSize! > 0) this.cache = new TokenCache(options.tokenCacheSize!);
    this.invalidation = new PgInvalidation({
      connectionString,
      types,
      cache: this.cache,
      query: (text, values) => this.query(text, values),
      onError: options.onPoolError,
    });
  }

  tokenCacheStats(): TokenCacheStats | undefined {
    return this.cache?.stats();
  }

  private async query(text: string, values: unknown[] = [], name?: string): Promise<Row[]> {
    try {
      const result = await this.pool.query(name ? { name, text, values } : { text, values });
      return result.rows;
    } catch (error) {
      return mapError(error);
    }
  }

  /** A query written with `@name` placeholders (params.ts), its values from one object. */
  private namedQuery(sql: string, params: Record<string, unknown>, name?: string): Promise<Row[]> {
    const { text, values } = named(sql, params);
    return this.query(text, values, name);
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      return mapError(error);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      if (error instanceof Rollback && !broken) return error.value as T;
      return mapError(error);
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version as number));
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        for (const sql of migration.statements(POSTGRES_DIALECT)) await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.description,
          Date.now(),
        ]);
      }
    });
    // Listening starts once the tables it needs exist; lookups go to the database until it is established.
    if (this.serving) await this.invalidation.start();
  }

  async close(): Promise<void> {
    await this.invalidation.close();
    await this.pool.end();
  }

  async getMeta(key: string): Promise<string | null> {
    const rows = await this.query('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async ensureWorkspace(name: string, newId: string, policy: WorkspacePolicy | undefined, now: number) {
    return this.transaction(async (client) => {
      const p = policy ?? DEFAULT_POLICY;
      const params = { id: newId, name, ...p, createdAt: now };
      const inserted = await client.query(
        named(
          `INSERT INTO workspaces (id, name, default_lifetime_days, max_lifetime_days, allow_no_expiry, created_at)
           VALUES (@id, @name, @defaultLifetimeDays, @maxLifetimeDays, @allowNoExpiry, @createdAt) ON CONFLICT (name) DO NOTHING RETURNING *`,
          params,
        ),
      );
      if (inserted.rows[0]) return { workspace: workspaceFrom(inserted.rows[0]), created: true };
      const existing = policy
        ? await client.query(
            named(
              `UPDATE workspaces SET default_lifetime_days = @defaultLifetimeDays, max_lifetime_days = @maxLifetimeDays,
                 allow_no_expiry = @allowNoExpiry WHERE name = @name RETURNING *`,
              params,
            ),
          )
        : await client.query('SELECT * FROM workspaces WHERE name = $1', [name]);
      return { workspace: workspaceFrom(existing.rows[0]), created: false };
    });
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | null> {
    const rows = await this.query('SELECT * FROM workspaces WHERE id = $1', [id], 'workspace_by_id');
    return rows[0] ? workspaceFrom(rows[0]) : null;
  }

  async findWorkspaceByName(name: string): Promise<WorkspaceRecord | null> {
    const rows = await this.query('SELECT * FROM workspaces WHERE name = $1', [name]);
    return rows[0] ? workspaceFrom(rows[0]) : null;
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    return (await this.query('SELECT * FROM workspaces ORDER BY name')).map(workspaceFrom);
  }

  /** Writes the event inside the transaction of the change it records. */
  private async audit(client: pg.PoolClient, workspaceId: string, action: AuditRecord['action'], at: number, context: AuditContext, subject: AuditSubject) {
    await client.query(named(INSERT_AUDIT, auditParams(workspaceId, action, at, context, subject)));
  }

  async upsertEndpoint(workspaceId: string, endpoint: Endpoint, now: number, audit?: AuditContext): Promise<'added' | 'updated'> {
    return this.transaction(async (client) => {
      const { rows } = await client.query(
        named(
          `INSERT INTO endpoints (workspace_id, id, name, description, created_at) VALUES (@workspaceId, @id, @name, @description, @createdAt)
           ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, description = excluded.description
           RETURNING (xmax = 0) AS inserted`,
          { workspaceId, id: endpoint.id, name: endpoint.name, description: endpoint.description, createdAt: now },
        ),
      );
      if (audit) await this.audit(client, workspaceId, 'endpoint.changed', now, audit, { endpointId: endpoint.id });
      return rows[0].inserted ? 'added' : 'updated';
    });
  }

  async listEndpoints(workspaceId: string): Promise<Endpoint[]> {
    return (await this.query(
      'SELECT id, name, description FROM endpoints WHERE workspace_id = $1 ORDER BY id COLLATE "C"',
      [workspaceId],
      'endpoints',
    )) as Endpoint[];
  }

  /** Batched per turn (turnBatch.ts): the gateway looks up its endpoint's upstream on every request. */
  private readonly upstreamLookup = perTurn(async (key) => {
    const [workspaceId, endpointId] = key.split('\u0000');
    const rows = await this.query('SELECT upstream FROM endpoints WHERE workspace_id = $1 AND id = $2', [workspaceId, endpointId], 'upstream');
    return (rows[0]?.upstream as string | null | undefined) ?? null;
  });

  endpointUpstream(workspaceId: string, endpointId: string): Promise<string | null> {
    return this.upstreamLookup(`${workspaceId}\u0000${endpointId}`);
  }

  async setEndpointUpstream(workspaceId: string, endpointId: string, upstream: string | null, now = Date.now(), audit?: AuditContext): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await client.query('UPDATE endpoints SET upstream = $1 WHERE workspace_id = $2 AND id = $3 RETURNING id', [upstream, workspaceId, endpointId]);
      if (rows.length === 0) return false;
      if (audit) await this.audit(client, workspaceId, 'endpoint.changed', now, audit, { endpointId });
      return true;
    });
  }

  async createAccountKey(workspaceId: string, id: string, digest: Buffer, maskedKey: string, now: number, extra: AccountKeyExtras = {}) {
    const { label = null, audit } = extra;
    await this.transaction(async (client) => {
      await client.query(
        named(
          'INSERT INTO account_keys (id, workspace_id, digest, masked_key, created_at, label) VALUES (@id, @workspaceId, @digest, @maskedKey, @createdAt, @label)',
          { id, workspaceId, digest, maskedKey, createdAt: now, label },
        ),
      );
      if (audit) await this.audit(client, workspaceId, 'account_key.created', now, audit, { subjectKey: { id, maskedKey } });
    });
  }

  async listAccountKeys(workspaceId: string): Promise<AccountKeyRecord[]> {
    const rows = await this.query(
      'SELECT id, workspace_id, masked_key, created_at FROM account_keys WHERE workspace_id = $1 ORDER BY created_at, id',
      [workspaceId],
    );
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id, maskedKey: row.masked_key, createdAt: row.created_at }));
  }

  async revokeAccountKey(id: string, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    return this.revokeAccountKeyWhere('id = $1', id, audit, now);
  }

  async revokeAccountKeyByDigest(digest: Buffer, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    return this.revokeAccountKeyWhere('digest = $1', digest, audit, now);
  }

  private async revokeAccountKeyWhere(where: string, value: unknown, audit: AuditContext | undefined, now: number): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await client.query(`DELETE FROM account_keys WHERE ${where} RETURNING id, workspace_id, masked_key`, [value]);
      if (!rows[0]) return false;
      if (audit) {
        const subjectKey = { id: rows[0].id as string, maskedKey: rows[0].masked_key as string };
        await this.audit(client, rows[0].workspace_id, 'account_key.revoked', now, audit, { subjectKey });
      }
      return true;
    });
  }

  async authenticateAccountKey(digest: Buffer): Promise<AuthenticatedAccountKey | null> {
    const rows = await this.query(
      'SELECT id, workspace_id, masked_key, label FROM account_keys WHERE digest = $1',
      [digest],
      'account_key_by_digest_labelled',
    );
    return rows[0] ? { id: rows[0].id, workspaceId: rows[0].workspace_id, maskedKey: rows[0].masked_key, label: rows[0].label ?? null } : null;
  }

  async createServiceKey(id: string, digest: Buffer, maskedKey: string, now: number): Promise<void> {
    await this.query('INSERT INTO service_keys (id, digest, masked_key, created_at) VALUES ($1, $2, $3, $4)', [id, digest, maskedKey, now]);
  }

  /** Batched per turn (turnBatch.ts): a verify API's requests nearly all carry the same key. */
  private readonly serviceKeyLookup = perTurn((key) =>
    this.query('SELECT id FROM service_keys WHERE digest = $1', [Buffer.from(key, 'latin1')], 'service_key_by_digest').then((rows) =>
      rows[0] ? { id: rows[0].id as string } : null,
    ),
  );

  authenticateServiceKey(digest: Buffer): Promise<{ id: string } | null> {
    return this.serviceKeyLookup(digest.toString('latin1'));
  }

  async revokeServiceKeyByDigest(digest: Buffer): Promise<boolean> {
    return (await this.query('DELETE FROM service_keys WHERE digest = $1 RETURNING id', [digest])).length > 0;
  }

  /**
   * Claims the key inside the transaction: inserts it, or takes over an expired record. Under concurrency the
   * primary key makes the second claimant wait for the first and then see its record.
   */
  private async claim(client: pg.PoolClient, workspaceId: string, claim: IdempotencyClaim, tokenId: string, now: number) {
    const claimed = await client.query(
      named(
        `INSERT INTO idempotency_keys (workspace_id, key, request_hash, token_id, created_at)
         VALUES (@workspaceId, @key, @requestHash, @tokenId, @createdAt)
         ON CONFLICT (workspace_id, key) DO UPDATE
           SET request_hash = excluded.request_hash, token_id = excluded.token_id, created_at = excluded.created_at
           WHERE idempotency_keys.created_at < @notBefore
         RETURNING 1`,
        { workspaceId, key: claim.key, requestHash: claim.requestHash, tokenId, createdAt: now, notBefore: claim.notBefore },
      ),
    );
    return claimed.rowCount === 1;
  }

  private async existingClaim(workspaceId: string, claim: IdempotencyClaim): Promise<IdempotencyRecord> {
    const existing = await this.findIdempotency(workspaceId, claim.key, claim.notBefore);
    if (!existing) throw new Error('Idempotency claim conflicted but no record is visible');
    return existing;
  }

  async createToken(token: NewToken, claim?: IdempotencyClaim, now = Date.now(), audit?: AuditContext): Promise<CreateResult> {
    const outcome = await this.transaction(async (client): Promise<CreateResult | 'claimed_elsewhere'> => {
      if (claim && !(await this.claim(client, token.workspaceId, claim, token.id, now))) {
        throw new Rollback('claimed_elsewhere');
      }
      const inserted = await client.query(
        named(
          `INSERT INTO tokens (id, workspace_id, name, masked_key, endpoints, digest, created_at, expires_at)
           VALUES (@id, @workspaceId, @name, @maskedKey, @endpoints, @digest, @createdAt, @expiresAt)
           ON CONFLICT (workspace_id, name) DO NOTHING RETURNING ${TOKEN_COLUMNS}`,
          { ...token },
        ),
      );
      if (!inserted.rows[0]) {
        throw new Rollback({ kind: 'name_taken' });
      }
      if (audit) await this.audit(client, token.workspaceId, 'token.created', now, audit, { tokenId: token.id, tokenName: token.name });
      return { kind: 'created', token: tokenFrom(inserted.rows[0]) };
    });
    if (outcome === 'claimed_elsewhere') return { kind: 'idempotency_conflict', existing: await this.existingClaim(token.workspaceId, claim!) };
    return outcome;
  }

  async insertTokens(tokens: NewToken[]): Promise<void> {
    if (tokens.length === 0) return;
    // One statement per batch: parallel arrays, the endpoints of each token as one JSON text.
    await this.query(
      `INSERT INTO tokens (id, workspace_id, name, masked_key, endpoints, digest, created_at, expires_at)
       SELECT id, ws, name, mask, ARRAY(SELECT jsonb_array_elements_text(eps::jsonb)), digest, created, expires
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bigint[], $8::bigint[])
           AS v(id, ws, name, mask, eps, digest, created, expires)`,
      [
        tokens.map((t) => t.id),
        tokens.map((t) => t.workspaceId),
        tokens.map((t) => t.name),
        tokens.map((t) => t.maskedKey),
        tokens.map((t) => JSON.stringify(t.endpoints)),
        tokens.map((t) => t.digest),
        tokens.map((t) => t.createdAt),
        tokens.map((t) => t.expiresAt),
      ],
    );
  }

  async getToken(workspaceId: string, id: string): Promise<TokenRecord | null> {
    const rows = await this.query(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE workspace_id = $1 AND id = $2`, [workspaceId, id], 'token');
    return rows[0] ? tokenFrom(rows[0]) : null;
  }

  async listTokens(workspaceId: string, query: ListQuery): Promise<TokenRecord[]> {
    const sql =
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE workspace_id = @workspaceId` +
      (query.after ? ' AND (created_at, id) < (@afterCreatedAt, @afterId)' : '') +
      (query.search ? " AND name LIKE @pattern ESCAPE '\\'" : '') +
      (query.maskedKey ? ' AND masked_key = @maskedKey' : '') +
      ' ORDER BY created_at DESC, id DESC LIMIT @limit';
    return (await this.namedQuery(sql, listParams(workspaceId, query))).map(tokenFrom);
  }

  async deleteToken(workspaceId: string, id: string, audit?: AuditContext, now = Date.now()): Promise<boolean> {
    return this.changeToken(
      id,
      async (client) => {
        const { rows } = await client.query('DELETE FROM tokens WHERE workspace_id = $1 AND id = $2 RETURNING name', [workspaceId, id]);
        if (!rows[0]) return false;
        if (audit) await this.audit(client, workspaceId, 'token.deleted', now, audit, { tokenId: id, tokenName: rows[0].name });
        return true;
      },
      (deleted) => deleted,
    );
  }

  /**
   * A delete or rotation, in a transaction under the registration lock (shared); when `changed` says it changed the
   * token, it answers only once every instance with a live lease has dropped the token from its cache (or lost its
   * lease): pgInvalidation.ts.
   */
  private async changeToken<T>(id: string, change: (client: pg.PoolClient) => Promise<T>, changed: (result: T) => boolean): Promise<T> {
    let expected: ReturnType<PgInvalidation['expect']> | undefined;
    let outcome: T;
    try {
      outcome = await this.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock_shared($1)', [REGISTRATION_LOCK]);
        const result = await change(client);
        if (!changed(result)) return result;
        const { rows } = await client.query(
          `SELECT txid_current()::text AS txid, ARRAY(SELECT id FROM hub_instances WHERE lease_until > ${DB_NOW_MS}) AS live`,
        );
        // Acks may come back as soon as the commit is out: expect them before it.
        expected = this.invalidation.expect(rows[0].txid, rows[0].live);
        return result;
      });
    } catch (error) {
      expected?.cancel();
      throw error;
    }
    if (!expected) return outcome;
    this.cache?.dropToken(id);
    await expected.wait();
    return outcome;
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
    const outcome = await this.changeToken(
      id,
      async (client): Promise<RotateResult | 'claimed_elsewhere'> => {
      if (claim && !(await this.claim(client, workspaceId, claim, id, now))) {
        throw new Rollback('claimed_elsewhere');
      }
      const updated = await client.query(
        named(
          `UPDATE tokens SET prev_digest = CASE WHEN @previousExpiresAt::bigint IS NULL THEN NULL ELSE digest END,
             prev_expires_at = @previousExpiresAt, digest = @digest, masked_key = @maskedKey
           WHERE workspace_id = @workspaceId AND id = @id RETURNING ${TOKEN_COLUMNS}`,
          { previousExpiresAt, digest, maskedKey, workspaceId, id },
        ),
      );
      if (!updated.rows[0]) {
        throw new Rollback({ kind: 'not_found' });
      }
      const token = tokenFrom(updated.rows[0]);
      if (audit) await this.audit(client, workspaceId, 'token.rotated', now, audit, { tokenId: id, tokenName: token.name });
      return { kind: 'rotated', token };
      },
      (result) => result !== 'claimed_elsewhere' && result.kind === 'rotated',
    );
    if (outcome === 'claimed_elsewhere') return { kind: 'idempotency_conflict', existing: await this.existingClaim(workspaceId, claim!) };
    return outcome;
  }

  async findTokenByDigest(workspaceId: string, digest: Buffer): Promise<TokenBySecret | null> {
    const rows = await this.namedQuery(
      `SELECT ${TOKEN_COLUMNS}, digest = @digest AS current, prev_expires_at FROM tokens
         WHERE (digest = @digest OR prev_digest = @digest) AND workspace_id = @workspaceId`,
      { digest, workspaceId },
      'token_by_digest',
    );
    const row = rows[0];
    return row ? { token: tokenFrom(row), current: row.current, previousExpiresAt: row.prev_expires_at ?? null } : null;
  }

  /**
   * Token lookups arriving in one turn of the event loop go to the database together, as one query, sent once that
   * turn's I/O has been read (setImmediate). Each lookup is still answered by a query sent after its request
   * arrived, so it sees every commit made before; there are just fewer round trips under load.
   */
  private authBatch: Map<string, AuthLookup> | undefined;

  authenticateToken(digest: Buffer): TokenAuthRecord | Promise<TokenAuthRecord | null> {
    const key = digest.toString('latin1');
    const cache = this.cache;
    if (cache !== undefined) {
      if (this.invalidation.trusted()) {
        const hit = cache.get(key);
        if (hit !== undefined) return hit;
      } else {
        if (cache.size > 0) cache.clear(); // not trusted: nothing in it may be served again
        cache.misses++;
      }
    }
    let batch = this.authBatch;
    if (batch === undefined) {
      batch = this.authBatch = new Map();
      setImmediate(this.sendAuthBatch);
    }
    let lookup = batch.get(key);
    if (lookup === undefined) {
      let resolve!: (record: TokenAuthRecord | null) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<TokenAuthRecord | null>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      lookup = { digest, key, promise, resolve, reject };
      batch.set(key, lookup);
    }
    return lookup.promise;
  }

  private readonly sendAuthBatch = (): void => {
    const lookups = [...this.authBatch!.values()];
    this.authBatch = undefined;
    // A notification processed after this point may concern what these queries read: then nothing is cached.
    const generation = this.invalidation.generation;
    const cache = this.cache;
    for (let start = 0; start < lookups.length; start += AUTH_BATCH_MAX) {
      const part = lookups.length <= AUTH_BATCH_MAX ? lookups : lookups.slice(start, start + AUTH_BATCH_MAX);
      this.query(
        `SELECT q.i, t.id, t.workspace_id, t.endpoints, t.expires_at, t.digest = q.d AS current, t.prev_expires_at
           FROM unnest($1::bytea[]) WITH ORDINALITY AS q(d, i) JOIN tokens t ON t.digest = q.d OR t.prev_digest = q.d`,
        [part.map((lookup) => lookup.digest)],
        'authenticate_tokens',
      ).then(
        (rows) => {
          const found = new Array<TokenAuthRecord | null>(part.length).fill(null);
          for (const row of rows) {
            const index = (row.i as number) - 1; // ordinality counts from 1
            if (found[index] !== null) continue; // as LIMIT 1 would: one row per digest
            found[index] = {
              id: row.id,
              workspaceId: row.workspace_id,
              endpoints: row.endpoints,
              expiresAt: row.expires_at ?? null,
              current: row.current,
              previousExpiresAt: row.prev_expires_at ?? null,
            };
          }
          if (cache !== undefined && generation === this.invalidation.generation && this.invalidation.trusted()) {
            // Hits only: an unknown digest is asked again next time (a token created elsewhere works at once).
            part.forEach((lookup, i) => {
              const record = found[i];
              if (record !== null) cache.set(lookup.key, record);
            });
          }
          part.forEach((lookup, i) => lookup.resolve(found[i]));
        },
        (error) => {
          for (const lookup of part) lookup.reject(error);
        },
      );
    }
  };

  async recordLastUsed(entries: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (entries.length === 0) return;
    await this.query(
      `UPDATE tokens t SET last_used_at = v.at FROM unnest($1::text[], $2::bigint[]) AS v(id, at)
       WHERE t.id = v.id AND (t.last_used_at IS NULL OR t.last_used_at < v.at)`,
      [entries.map((e) => e[0]), entries.map((e) => e[1])],
    );
  }

  async recordUsage(counts: readonly UsageCount[], clients: readonly LastClient[]): Promise<void> {
    if (counts.length === 0 && clients.length === 0) return;
    await this.transaction(async (client) => {
      // One statement per batch: unnest turns the lists into rows, and the additive upsert adds to what other
      // instances wrote. Rows in a stable order, so concurrent flushes lock them in the same order (no deadlock).
      const sorted = [...counts].sort((a, b) => compareText(a.tokenId, b.tokenId) || a.day - b.day || compareText(a.endpointId, b.endpointId));
      if (sorted.length > 0) {
        await client.query(
          `INSERT INTO token_usage (token_id, day, endpoint_id, accepted, refused)
             SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::bigint[])
           ON CONFLICT (token_id, day, endpoint_id) DO UPDATE
             SET accepted = token_usage.accepted + excluded.accepted, refused = token_usage.refused + excluded.refused`,
          [sorted.map((c) => c.tokenId), sorted.map((c) => c.day), sorted.map((c) => c.endpointId), sorted.map((c) => c.accepted), sorted.map((c) => c.refused)],
        );
      }
      const ordered = [...clients].sort((a, b) => compareText(a.tokenId, b.tokenId));
      for (const last of ordered) await client.query(named(RAISE_LAST_CLIENT, { ...last }));
    });
  }

  async getUsage(tokenId: string, fromDay: number): Promise<TokenUsageRecord> {
    const rows = await this.query('SELECT token_id, day, endpoint_id, accepted, refused FROM token_usage WHERE token_id = $1 AND day >= $2', [tokenId, fromDay]);
    const last = await this.query('SELECT last_client_at, last_client_address, last_user_agent FROM tokens WHERE id = $1', [tokenId]);
    const row = last[0];
    return {
      counts: rows.map((r) => ({ tokenId: r.token_id, day: r.day, endpointId: r.endpoint_id, accepted: r.accepted, refused: r.refused })),
      lastClient: row && row.last_client_at !== null ? { at: row.last_client_at, address: row.last_client_address, userAgent: row.last_user_agent ?? null } : null,
    };
  }

  async pruneUsage(beforeDay: number): Promise<number> {
    return (await this.query('DELETE FROM token_usage WHERE day < $1 RETURNING 1', [beforeDay])).length;
  }

  async listAudit(workspaceId: string, query: AuditQuery): Promise<AuditRecord[]> {
    const params: Record<string, unknown> = { workspaceId, limit: query.limit };
    if (query.beforeSeq !== undefined) params.beforeSeq = query.beforeSeq;
    if (query.tokenId !== undefined) params.tokenId = query.tokenId;
    return (await this.namedQuery(listAuditSql(query), params)).map(auditFrom);
  }

  async findIdempotency(workspaceId: string, key: string, notBefore: number): Promise<IdempotencyRecord | null> {
    const rows = await this.namedQuery(
      'SELECT * FROM idempotency_keys WHERE workspace_id = @workspaceId AND key = @key AND created_at >= @notBefore',
      { workspaceId, key, notBefore },
    );
    return rows[0] ? idempotencyFrom(rows[0]) : null;
  }

  async purgeIdempotency(before: number): Promise<number> {
    return (await this.query('DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING 1', [before])).length;
  }
}
