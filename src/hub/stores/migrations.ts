// The schema, versioned in code and shared by both stores: each migration is written once, with the few
// dialect differences (binary and integer column types) filled in per store. Applied in order, each in a
// transaction, recorded in schema_migrations. Never edit a released migration: add a new one.

export interface Dialect {
  kind: 'sqlite' | 'postgres';
  /** 64-bit integer (milliseconds since the epoch). */
  int: string;
  /** Raw bytes (digests). */
  bytes: string;
  /** A list of strings (endpoint ids of a token). */
  stringList: string;
  /** Byte-wise text ordering, so keyset pagination orders ids the same way everywhere. */
  binaryText: string;
  /** An ever-growing integer primary key (the order of the audit trail across instances). */
  serialKey: string;
}

export const SQLITE_DIALECT: Dialect = {
  kind: 'sqlite',
  int: 'INTEGER',
  bytes: 'BLOB',
  stringList: 'TEXT',
  binaryText: 'TEXT',
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
};
export const POSTGRES_DIALECT: Dialect = {
  kind: 'postgres',
  int: 'BIGINT',
  bytes: 'BYTEA',
  stringList: 'TEXT[]',
  binaryText: 'TEXT COLLATE "C"',
  serialKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

export interface Migration {
  version: number;
  description: string;
  statements: (d: Dialect) => string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'workspaces, endpoints, account keys, tokens, idempotency keys',
    statements: (d) => [
      `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        default_lifetime_days INTEGER NOT NULL,
        max_lifetime_days INTEGER NOT NULL,
        allow_no_expiry BOOLEAN NOT NULL,
        created_at ${d.int} NOT NULL
      )`,
      `CREATE TABLE endpoints (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at ${d.int} NOT NULL,
        PRIMARY KEY (workspace_id, id)
      )`,
      `CREATE TABLE account_keys (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        digest ${d.bytes} NOT NULL UNIQUE,
        masked_key TEXT NOT NULL,
        created_at ${d.int} NOT NULL
      )`,
      `CREATE TABLE tokens (
        id ${d.binaryText} PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        masked_key TEXT NOT NULL,
        endpoints ${d.stringList} NOT NULL,
        digest ${d.bytes} NOT NULL UNIQUE,
        prev_digest ${d.bytes} UNIQUE,
        prev_expires_at ${d.int},
        created_at ${d.int} NOT NULL,
        expires_at ${d.int},
        last_used_at ${d.int}
      )`,
      // Deleting is a hard delete, so every row is a live token: names are unique per workspace.
      `CREATE UNIQUE INDEX tokens_workspace_name ON tokens (workspace_id, name)`,
      `CREATE INDEX tokens_workspace_created ON tokens (workspace_id, created_at DESC, id DESC)`,
      `CREATE TABLE idempotency_keys (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        token_id TEXT NOT NULL,
        created_at ${d.int} NOT NULL,
        PRIMARY KEY (workspace_id, key)
      )`,
      `CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`,
    ],
  },
  {
    version: 2,
    description: 'index tokens by (workspace, masked key) for GET /v1/tokens?maskedKey=',
    statements: () => [`CREATE INDEX tokens_workspace_masked ON tokens (workspace_id, masked_key, created_at DESC, id DESC)`],
  },
  {
    version: 3,
    description: "endpoints' upstream URLs, set by the operator, for the gateway",
    statements: () => [`ALTER TABLE endpoints ADD COLUMN upstream TEXT`],
  },
  {
    version: 4,
    description: 'service keys, usage counts per token, day and endpoint, the last client of a token, the audit trail, account key labels',
    statements: (d) => [
      `CREATE TABLE service_keys (
        id TEXT PRIMARY KEY,
        digest ${d.bytes} NOT NULL UNIQUE,
        masked_key TEXT NOT NULL,
        created_at ${d.int} NOT NULL
      )`,
      // day: whole UTC days since the epoch. No foreign key: counts of a deleted token age out with the rest (90 days).
      `CREATE TABLE token_usage (
        token_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        endpoint_id TEXT NOT NULL,
        accepted ${d.int} NOT NULL,
        refused ${d.int} NOT NULL,
        PRIMARY KEY (token_id, day, endpoint_id)
      )`,
      `CREATE INDEX token_usage_day ON token_usage (day)`,
      `ALTER TABLE tokens ADD COLUMN last_client_at ${d.int}`,
      `ALTER TABLE tokens ADD COLUMN last_client_address TEXT`,
      `ALTER TABLE tokens ADD COLUMN last_user_agent TEXT`,
      `ALTER TABLE account_keys ADD COLUMN label TEXT`,
      `CREATE TABLE audit_events (
        seq ${d.serialKey},
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        at ${d.int} NOT NULL,
        action TEXT NOT NULL,
        token_id TEXT,
        token_name TEXT,
        endpoint_id TEXT,
        subject_key_id TEXT,
        subject_masked_key TEXT,
        actor_key_id TEXT,
        actor_masked_key TEXT,
        actor_label TEXT,
        client_address TEXT,
        user_agent TEXT
      )`,
      `CREATE INDEX audit_events_workspace ON audit_events (workspace_id, seq DESC)`,
      `CREATE INDEX audit_events_token ON audit_events (workspace_id, token_id, seq DESC)`,
    ],
  },
  {
    version: 5,
    description: 'trigram index of token names for search; PostgreSQL: instance leases and change notifications for token caches',
    statements: (d) =>
      d.kind === 'sqlite'
        ? [
            // An external-content FTS5 table over tokens.name, kept by triggers; trigram: any substring of 3+ characters.
            `CREATE VIRTUAL TABLE tokens_name_fts USING fts5(name, content='tokens', content_rowid='rowid', tokenize='trigram')`,
            `CREATE TRIGGER tokens_name_fts_insert AFTER INSERT ON tokens BEGIN
               INSERT INTO tokens_name_fts (rowid, name) VALUES (new.rowid, new.name);
             END`,
            `CREATE TRIGGER tokens_name_fts_delete AFTER DELETE ON tokens BEGIN
               INSERT INTO tokens_name_fts (tokens_name_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
             END`,
            `CREATE TRIGGER tokens_name_fts_update AFTER UPDATE OF name ON tokens BEGIN
               INSERT INTO tokens_name_fts (tokens_name_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
               INSERT INTO tokens_name_fts (rowid, name) VALUES (new.rowid, new.name);
             END`,
            `INSERT INTO tokens_name_fts (tokens_name_fts) VALUES ('rebuild')`,
          ]
        : [
            // pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
            `CREATE EXTENSION IF NOT EXISTS pg_trgm`,
            `CREATE INDEX tokens_name_trgm ON tokens USING gin (name gin_trgm_ops)`,
            // The leases of serving instances (stores/pgInvalidation.ts), in the database's clock (ms).
            `CREATE TABLE hub_instances (id TEXT PRIMARY KEY, lease_until BIGINT NOT NULL, processed_through BIGINT NOT NULL)`,
            // Every change that can end a cached verification, whoever makes it, tells every listening instance.
            `CREATE FUNCTION tokenhub_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               PERFORM pg_notify('tokenhub_token_changed', txid_current()::text || ' ' || OLD.id);
               RETURN NULL;
             END $$`,
            `CREATE TRIGGER tokens_changed AFTER DELETE OR UPDATE OF digest, prev_digest, prev_expires_at, expires_at, endpoints, workspace_id
               ON tokens FOR EACH ROW EXECUTE FUNCTION tokenhub_token_changed()`,
          ],
  },
  {
    version: 6,
    description: 'SQLite: the newest-first index holds the name, so a search that walks it tests names without reading rows',
    statements: (d) =>
      d.kind === 'sqlite'
        ? [
            // A term matching many names is answered by walking this index until `limit` match (sqlite.ts): with the
            // name in the index, LIKE is tested on the index entry and only matching rows are read (1,000,000
            // tokens, a term matching 1 %: 1.34 ms -> 0.56 ms). It serves every use of the index it replaces.
            `CREATE INDEX tokens_workspace_created_name ON tokens (workspace_id, created_at DESC, id DESC, name)`,
            `DROP INDEX tokens_workspace_created`,
          ]
        : [],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
