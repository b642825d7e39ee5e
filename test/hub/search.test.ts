// Search through the engines' trigram indexes (migration 5: SQLite FTS5 trigram, PostgreSQL pg_trgm GIN) gives
// exactly what the LIKE of migration 2's time gave: a property test over random names with LIKE's wildcards, the
// escape character, non-ASCII letters in both cases and terms of one to six characters, each answer checked against
// that LIKE run on the same database (and, for the order and limit, against a model in JavaScript). The names go
// through the store directly: the hub's own names are [a-z0-9-], but a store must not depend on that.
// Also: a database made before migrations 5 and 6 gets its existing names indexed.
import assert from 'assert';
import Database from 'better-sqlite3';
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { newId } from '../../src/hub/digest';
import type { Store } from '../../src/hub/store';
import { MIGRATIONS, SQLITE_DIALECT } from '../../src/hub/stores/migrations';
import { PostgresStore } from '../../src/hub/stores/postgres';
import { SqliteStore } from '../../src/hub/stores/sqlite';
import { escapeLike } from '../../src/hub/store';
import { startPostgres, type PostgresCluster } from '../support/postgres';

const ALPHABET = ['a', 'b', 'c', 'A', 'B', '%', '_', '\\', '-', '0', 'é', 'É', 'ß', '日', '本', '😀', ' ', '"'];
const NAMES = 3000;
const TERMS = 300;

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randomText(next: () => number, min: number, max: number, alphabet = ALPHABET): string {
  const length = min + Math.floor(next() * (max - min + 1));
  let text = '';
  // Few letters make long terms match often, so both of SQLite's paths (index candidates, newest-first walk) run.
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
  return text;
}

interface Row {
  id: string;
  name: string;
  createdAt: number;
}

const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

function suite(label: string, open: () => Promise<{ store: Store; like(ws: string, term: string, limit: number): Promise<string[]> }>) {
  describe(`search by name through the trigram index (${label})`, function () {
    this.timeout(120_000);
    let store: Store;
    let like: (ws: string, term: string, limit: number) => Promise<string[]>;
    let ws: string;
    const rows: Row[] = [];

    before(async () => {
      ({ store, like } = await open());
      ws = (await store.ensureWorkspace('search', newId('ws_'), undefined, 1)).workspace.id;
      const other = (await store.ensureWorkspace('elsewhere', newId('ws_'), undefined, 1)).workspace.id;
      const next = random(16);
      const seen = new Set<string>();
      for (let i = 0; seen.size < NAMES; i++) {
        const name = randomText(next, 1, 12);
        if (seen.has(name)) continue;
        seen.add(name);
        const row = { id: newId('tok_'), name, createdAt: 1_000_000 + (i % 700) }; // equal times: the id breaks ties
        rows.push(row);
        const digest = createHash('sha256').update(row.id).digest();
        const created = await store.createToken({ ...row, workspaceId: ws, maskedKey: 'thub_abcd…wxyz', endpoints: ['a'], digest, expiresAt: null });
        assert.strictEqual(created.kind, 'created');
        // The same name in another workspace must never show up.
        if (i % 10 === 0) {
          const digest2 = createHash('sha256').update(`${row.id}-other`).digest();
          await store.createToken({ ...row, id: newId('tok_'), workspaceId: other, maskedKey: 'thub_abcd…wxyz', endpoints: ['a'], digest: digest2, expiresAt: null });
        }
      }
      // Deleted names leave the index too.
      for (const row of rows.splice(0, 100)) assert.ok(await store.deleteToken(ws, row.id));
    });
    after(() => store?.close());

    it(`${TERMS} random terms of 1 to 6 characters: the same tokens in the same order as LIKE, pages included`, async () => {
      const next = random(1616);
      const model = (term: string, limit: number) => {
        const matches = (name: string) => (store.kind === 'sqlite' ? asciiLower(name).includes(asciiLower(term)) : name.includes(term));
        return rows
          .filter((r) => matches(r.name))
          .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0))
          .slice(0, limit)
          .map((r) => r.id);
      };
      let nonEmpty = 0;
      for (let i = 0; i < TERMS; i++) {
        // Half the terms are substrings of real names (they match), half are random (they mostly do not).
        const source = rows[Math.floor(next() * rows.length)].name;
        const length = 1 + Math.floor(next() * 6);
        const start = Math.floor(next() * Math.max(1, source.length - length + 1));
        const term = i % 2 === 0 ? [...source].slice(start, start + length).join('') || 'a' : randomText(next, 1, 6);
        const limit = [1, 7, 50, 200][i % 4];
        const found = (await store.listTokens(ws, { limit, search: term })).map((t) => t.id);
        assert.deepStrictEqual(found, await like(ws, term, limit), `term ${JSON.stringify(term)} limit ${limit}: differs from LIKE`);
        assert.deepStrictEqual(found, model(term, limit), `term ${JSON.stringify(term)} limit ${limit}: differs from the model`);
        if (found.length > 0) nonEmpty++;
        // The second page, from the first page's last token.
        if (found.length === limit) {
          const last = rows.find((r) => r.id === found[found.length - 1])!;
          const page = (await store.listTokens(ws, { limit, search: term, after: { createdAt: last.createdAt, id: last.id } })).map((t) => t.id);
          const all = model(term, limit * 2);
          assert.deepStrictEqual(page, all.slice(limit), `term ${JSON.stringify(term)}: second page`);
        }
      }
      assert.ok(nonEmpty > TERMS / 3, `only ${nonEmpty} terms matched anything`);
    });
  });
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function sqliteFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-search-'));
  tempDirs.push(dir);
  return path.join(dir, 'hub.db');
}

suite('SQLite', async () => {
  const file = sqliteFile();
  const store = new SqliteStore(file);
  await store.migrate();
  const db = new Database(file, { readonly: true });
  // Migration 2's statement, as it searched before the index.
  const statement = db.prepare(
    "SELECT id FROM tokens WHERE workspace_id = ? AND name LIKE ? ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT ?",
  );
  const close = store.close.bind(store);
  store.close = async () => {
    db.close();
    await close();
  };
  return { store, like: async (ws, term, limit) => (statement.all(ws, `%${escapeLike(term)}%`, limit) as Array<{ id: string }>).map((r) => r.id) };
});

describe('search by name (PostgreSQL)', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(() => cluster?.stop());

  suite('PostgreSQL, index forced', async () => {
    const url = await cluster.createDatabase('search');
    const store = new PostgresStore(url, { max: 1 });
    await store.migrate();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // The store's own queries take the trigram index whenever the planner may (one connection: this session's setting).
    await (store as unknown as { pool: pg.Pool }).pool.query('SET enable_seqscan = off; SET enable_indexscan = off');
    const close = store.close.bind(store);
    store.close = async () => {
      await client.end();
      await close();
    };
    return {
      store,
      like: async (ws, term, limit) => {
        await client.query('SET enable_bitmapscan = off');
        const { rows } = await client.query(
          "SELECT id FROM tokens WHERE workspace_id = $1 AND name LIKE $2 ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT $3",
          [ws, `%${escapeLike(term)}%`, limit],
        );
        return rows.map((r) => r.id as string);
      },
    };
  });
});

describe('migrations 5 and 6 on a database made before them (SQLite)', () => {
  it('index the names already there, and the newest-first walk tests names on its index', async () => {
    const file = sqliteFile();
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const migration of MIGRATIONS.filter((m) => m.version < 5)) {
      for (const sql of migration.statements(SQLITE_DIALECT)) db.exec(sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, 1);
    }
    db.prepare("INSERT INTO workspaces VALUES ('ws_1', 'old', 30, 365, 0, 1)").run();
    const insert = db.prepare("INSERT INTO tokens (id, workspace_id, name, masked_key, endpoints, digest, created_at) VALUES (?, 'ws_1', ?, 'm', '[]', ?, ?)");
    for (let i = 0; i < 50; i++) insert.run(`tok_${i}`, `old-billing-${i}`, Buffer.from([i]), i);
    db.close();
    const store = new SqliteStore(file);
    try {
      await store.migrate();
      const found = await store.listTokens('ws_1', { limit: 100, search: 'billing-4' });
      assert.deepStrictEqual(
        found.map((t) => t.name),
        ['old-billing-49', 'old-billing-48', 'old-billing-47', 'old-billing-46', 'old-billing-45', 'old-billing-44', 'old-billing-43', 'old-billing-42', 'old-billing-41', 'old-billing-40', 'old-billing-4'],
      );
      // Migration 6: the newest-first walk of a search that the trigram index does not serve (a 1- or 2-character
      // term) tests names on the index entry, so it reads only the rows that match.
      const migrated = new Database(file, { readonly: true });
      try {
        const plan = migrated
          .prepare("EXPLAIN QUERY PLAN SELECT * FROM tokens WHERE workspace_id = ? AND name LIKE ? ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT 51")
          .all('ws_1', '%4%') as Array<{ detail: string }>;
        assert.deepStrictEqual(plan.map((step) => step.detail), ['SEARCH tokens USING INDEX tokens_workspace_created_name (workspace_id=?)']);
      } finally {
        migrated.close();
      }
      assert.deepStrictEqual(
        (await store.listTokens('ws_1', { limit: 3, search: '4' })).map((t) => t.name),
        ['old-billing-49', 'old-billing-48', 'old-billing-47'],
      );
    } finally {
      await store.close();
    }
  });
});
