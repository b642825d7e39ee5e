// One contract suite for the Store interface, run against both implementations: SqliteStore and PostgresStore.
import assert from 'assert';
import Database from 'better-sqlite3';
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { newId } from '../../src/hub/digest';
import type { NewToken, Store } from '../../src/hub/store';
import { MIGRATIONS } from '../../src/hub/stores/migrations';
import { PostgresStore } from '../../src/hub/stores/postgres';
import { SqliteStore } from '../../src/hub/stores/sqlite';
import { startPostgres, type PostgresCluster } from '../support/postgres';

/** Every migration's version: a database migrated to the latest has them all. */
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

const digestOf = (text: string) => createHash('sha256').update(text).digest();

function storeSuite(label: string, open: () => Promise<Store>, reopen: () => Promise<Store>) {
  describe(`Store contract (${label})`, function () {
    this.timeout(30_000);
    let store: Store;
    let ws: string;
    let other: string;
    let n = 0;
    const token = (overrides: Partial<NewToken> = {}): NewToken => ({
      id: newId('tok_'),
      workspaceId: ws,
      name: `t-${n++}`,
      maskedKey: 'thub_abcd…wxyz',
      endpoints: ['a'],
      digest: digestOf(`secret-${n}-${Math.random()}`),
      createdAt: 1_000_000 + n,
      expiresAt: null,
      ...overrides,
    });

    before(async () => {
      store = await open();
      await store.migrate();
      await store.migrate(); // idempotent
      ws = (await store.ensureWorkspace('one', newId('ws_'), undefined, 1)).workspace.id;
      other = (await store.ensureWorkspace('two', newId('ws_'), undefined, 1)).workspace.id;
      for (const id of ['a', 'b']) await store.upsertEndpoint(ws, { id, name: id.toUpperCase(), description: '' }, 1);
    });
    after(() => store?.close());

    it('migrates from several processes at once', async () => {
      const more = await Promise.all([reopen(), reopen(), reopen()]);
      await Promise.all(more.map((s) => s.migrate()));
      await Promise.all(more.map((s) => s.close()));
    });

    it('meta values', async () => {
      assert.strictEqual(await store.getMeta('nothing'), null);
      await store.setMeta('k', 'v1');
      await store.setMeta('k', 'v2');
      assert.strictEqual(await store.getMeta('k'), 'v2');
    });

    it('ensureWorkspace creates once, reuses by name, updates the policy only when given', async () => {
      const first = await store.ensureWorkspace('policy', newId('ws_'), undefined, 5);
      assert.strictEqual(first.created, true);
      assert.deepStrictEqual(first.workspace.policy, { defaultLifetimeDays: 30, maxLifetimeDays: 365, allowNoExpiry: false });
      const again = await store.ensureWorkspace('policy', newId('ws_'), undefined, 6);
      assert.strictEqual(again.created, false);
      assert.strictEqual(again.workspace.id, first.workspace.id);
      const changed = await store.ensureWorkspace('policy', newId('ws_'), { defaultLifetimeDays: 1, maxLifetimeDays: 2, allowNoExpiry: true }, 7);
      assert.deepStrictEqual(changed.workspace.policy, { defaultLifetimeDays: 1, maxLifetimeDays: 2, allowNoExpiry: true });
      assert.deepStrictEqual(await store.getWorkspace(first.workspace.id), changed.workspace);
      assert.deepStrictEqual(await store.findWorkspaceByName('policy'), changed.workspace);
      assert.strictEqual(await store.getWorkspace('ws_missing'), null);
      assert.ok((await store.listWorkspaces()).some((w) => w.name === 'policy'));
    });

    it('endpoints: upsert and list per workspace', async () => {
      assert.strictEqual(await store.upsertEndpoint(ws, { id: 'c', name: 'C', description: 'd' }, 1), 'added');
      assert.strictEqual(await store.upsertEndpoint(ws, { id: 'c', name: 'C2', description: 'd2' }, 1), 'updated');
      assert.deepStrictEqual(await store.listEndpoints(ws), [
        { id: 'a', name: 'A', description: '' },
        { id: 'b', name: 'B', description: '' },
        { id: 'c', name: 'C2', description: 'd2' },
      ]);
      assert.deepStrictEqual(await store.listEndpoints(other), []);
    });

    it("endpoints' upstreams: set, changed, cleared, per workspace, never in the endpoint list", async () => {
      assert.strictEqual(await store.endpointUpstream(ws, 'a'), null);
      assert.strictEqual(await store.setEndpointUpstream(ws, 'a', 'http://127.0.0.1:9000/v1'), true);
      assert.strictEqual(await store.endpointUpstream(ws, 'a'), 'http://127.0.0.1:9000/v1');
      assert.strictEqual(await store.endpointUpstream(other, 'a'), null, 'another workspace sees none');
      assert.strictEqual(await store.setEndpointUpstream(other, 'a', 'http://x'), false, 'no such endpoint there');
      assert.strictEqual(await store.endpointUpstream(ws, 'missing'), null);
      await store.upsertEndpoint(ws, { id: 'a', name: 'A', description: '' }, 2);
      assert.strictEqual(await store.endpointUpstream(ws, 'a'), 'http://127.0.0.1:9000/v1', 'renaming keeps the upstream');
      assert.deepStrictEqual((await store.listEndpoints(ws)).find((e) => e.id === 'a'), { id: 'a', name: 'A', description: '' });
      await store.setEndpointUpstream(ws, 'a', 'https://api.example.com');
      assert.strictEqual(await store.endpointUpstream(ws, 'a'), 'https://api.example.com');
      await store.setEndpointUpstream(ws, 'a', null);
      assert.strictEqual(await store.endpointUpstream(ws, 'a'), null);
    });

    it('account keys: authenticate by digest, list, revoke by id or digest', async () => {
      await store.createAccountKey(ws, 'ak_1', digestOf('key1'), 'thak_k1…', 10);
      await store.createAccountKey(ws, 'ak_2', digestOf('key2'), 'thak_k2…', 11);
      assert.deepStrictEqual(await store.authenticateAccountKey(digestOf('key1')), { id: 'ak_1', workspaceId: ws, maskedKey: 'thak_k1…', label: null });
      assert.strictEqual(await store.authenticateAccountKey(digestOf('nope')), null);
      assert.deepStrictEqual((await store.listAccountKeys(ws)).map((k) => k.id), ['ak_1', 'ak_2']);
      assert.strictEqual(await store.revokeAccountKey('ak_1'), true);
      assert.strictEqual(await store.revokeAccountKey('ak_1'), false);
      assert.strictEqual(await store.revokeAccountKeyByDigest(digestOf('key2')), true);
      assert.strictEqual(await store.authenticateAccountKey(digestOf('key2')), null);
    });

    it('tokens: create, get, name uniqueness per workspace, delete', async () => {
      const t = token({ name: 'unique', endpoints: ['b', 'a'], expiresAt: 5_000_000 });
      const created = await store.createToken(t);
      assert.strictEqual(created.kind, 'created');
      const record = await store.getToken(ws, t.id);
      assert.deepStrictEqual(record, {
        id: t.id,
        workspaceId: ws,
        name: 'unique',
        maskedKey: t.maskedKey,
        endpoints: ['b', 'a'],
        createdAt: t.createdAt,
        expiresAt: 5_000_000,
        lastUsedAt: null,
      });
      assert.deepStrictEqual((await store.createToken(token({ name: 'unique' }))).kind, 'name_taken');
      assert.strictEqual((await store.createToken(token({ name: 'unique', workspaceId: other }))).kind, 'created');
      assert.strictEqual(await store.getToken(other, t.id), null, 'not visible from another workspace');
      assert.strictEqual(await store.deleteToken(other, t.id), false);
      assert.strictEqual(await store.deleteToken(ws, t.id), true);
      assert.strictEqual(await store.getToken(ws, t.id), null);
      assert.strictEqual(await store.authenticateToken(t.digest), null);
      assert.strictEqual((await store.createToken(token({ name: 'unique' }))).kind, 'created', 'the name is free again');
    });

    it('insertTokens: a batch in one transaction, found by digest and by search; a conflict inserts none of it', async () => {
      const batch = [token({ name: 'bulk-a', endpoints: ['a', 'b'] }), token({ name: 'bulk-b' }), token({ name: 'bulk-c', expiresAt: 5_000_000 })];
      await store.insertTokens(batch);
      const found = await store.authenticateToken(batch[0].digest);
      assert.deepStrictEqual(found && { id: found.id, endpoints: found.endpoints }, { id: batch[0].id, endpoints: ['a', 'b'] });
      assert.strictEqual((await store.getToken(ws, batch[2].id))?.expiresAt, 5_000_000);
      assert.deepStrictEqual((await store.listTokens(ws, { limit: 10, search: 'bulk-' })).map((t) => t.name).sort(), ['bulk-a', 'bulk-b', 'bulk-c']);
      await assert.rejects(store.insertTokens([token({ name: 'bulk-d' }), token({ name: 'bulk-a' })]));
      assert.deepStrictEqual((await store.listTokens(ws, { limit: 10, search: 'bulk-d' })).length, 0);
    });

    it('concurrent creates of one name: exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.createToken(token({ name: 'race' }))));
      assert.strictEqual(results.filter((r) => r.kind === 'created').length, 1);
      assert.strictEqual(results.filter((r) => r.kind === 'name_taken').length, 7);
    });

    it('idempotency claims: stored with the token, conflict while live, replaceable after expiry, purged', async () => {
      const claim = { key: 'key-1', requestHash: 'h1', notBefore: 0 };
      const t = token();
      assert.strictEqual((await store.createToken(t, claim, 100)).kind, 'created');
      const conflict = await store.createToken(token(), claim, 101);
      assert.deepStrictEqual(conflict, {
        kind: 'idempotency_conflict',
        existing: { workspaceId: ws, key: 'key-1', requestHash: 'h1', tokenId: t.id, createdAt: 100 },
      });
      assert.strictEqual((await store.createToken(token(), { ...claim }, 102)).kind, 'idempotency_conflict');
      assert.strictEqual((await store.createToken(token({ workspaceId: other }), claim, 103)).kind, 'created', 'scoped to the workspace');
      assert.deepStrictEqual((await store.findIdempotency(ws, 'key-1', 0))?.tokenId, t.id);
      assert.strictEqual(await store.findIdempotency(ws, 'key-1', 101), null, 'older than notBefore counts as gone');
      const fresh = token();
      assert.strictEqual((await store.createToken(fresh, { key: 'key-1', requestHash: 'h2', notBefore: 101 }, 200)).kind, 'created');
      assert.strictEqual((await store.findIdempotency(ws, 'key-1', 0))?.tokenId, fresh.id);
      const rotateClaim = { key: 'rot', requestHash: 'r', notBefore: 0 };
      assert.strictEqual((await store.rotateToken(ws, fresh.id, digestOf(`r-${n}`), 'm', null, rotateClaim, 300)).kind, 'rotated');
      assert.strictEqual((await store.rotateToken(ws, fresh.id, digestOf(`r2-${n}`), 'm', null, rotateClaim, 301)).kind, 'idempotency_conflict');
      const purged = await store.purgeIdempotency(250);
      assert.ok(purged >= 2);
      assert.strictEqual(await store.findIdempotency(ws, 'rot', 0) !== null, true, 'younger records stay');
    });

    it('concurrent claims of one key: one token', async () => {
      const claim = { key: 'concurrent', requestHash: 'h', notBefore: 0 };
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.createToken(token(), claim, 500 + i)));
      assert.strictEqual(results.filter((r) => r.kind === 'created').length, 1);
      const winner = results.find((r) => r.kind === 'created');
      for (const r of results) if (r.kind === 'idempotency_conflict') assert.strictEqual(r.existing.tokenId, winner!.kind === 'created' && winner!.token.id);
    });

    it('rotate: new digest, previous one with its expiry, at most one previous', async () => {
      const t = token({ endpoints: ['a', 'b'], expiresAt: 9_000_000 });
      await store.createToken(t);
      const d1 = digestOf(`rot1-${t.id}`);
      const rotated = await store.rotateToken(ws, t.id, d1, 'thub_new…', 7_000, undefined, 10);
      assert.strictEqual(rotated.kind, 'rotated');
      assert.strictEqual(rotated.kind === 'rotated' && rotated.token.maskedKey, 'thub_new…');
      assert.deepStrictEqual(await store.authenticateToken(d1), {
        id: t.id,
        workspaceId: ws,
        endpoints: ['a', 'b'],
        expiresAt: 9_000_000,
        current: true,
        previousExpiresAt: 7_000,
      });
      const previous = await store.authenticateToken(t.digest);
      assert.strictEqual(previous?.current, false);
      assert.strictEqual(previous?.previousExpiresAt, 7_000);
      const d2 = digestOf(`rot2-${t.id}`);
      await store.rotateToken(ws, t.id, d2, 'm', null);
      assert.strictEqual(await store.authenticateToken(t.digest), null, 'the older previous secret is dropped');
      assert.strictEqual(await store.authenticateToken(d1), null, 'no grace: the previous one is gone at once');
      assert.strictEqual((await store.authenticateToken(d2))?.current, true);
      assert.strictEqual((await store.rotateToken(ws, 'tok_missing', digestOf('x'), 'm', null)).kind, 'not_found');
      assert.strictEqual((await store.rotateToken(other, t.id, digestOf('y'), 'm', null)).kind, 'not_found');
    });

    it('findTokenByDigest: current and previous secrets of this workspace only, through the digest', async () => {
      const t = token({ endpoints: ['a', 'b'], expiresAt: 9_000_000, maskedKey: 'thub_find…0001' });
      const created = await store.createToken(t);
      assert.strictEqual(created.kind, 'created');
      const record = created.kind === 'created' ? created.token : undefined;
      assert.deepStrictEqual(await store.findTokenByDigest(ws, t.digest), { token: record, current: true, previousExpiresAt: null });
      assert.strictEqual(await store.findTokenByDigest(other, t.digest), null, "another workspace's token");
      assert.strictEqual(await store.findTokenByDigest(ws, digestOf('never issued')), null);
      const d1 = digestOf(`find1-${t.id}`);
      await store.rotateToken(ws, t.id, d1, 'thub_find…0002', 7_000);
      const previous = await store.findTokenByDigest(ws, t.digest);
      assert.strictEqual(previous?.current, false);
      assert.strictEqual(previous?.previousExpiresAt, 7_000);
      assert.strictEqual(previous?.token.maskedKey, 'thub_find…0002', 'the token as it is now');
      assert.strictEqual((await store.findTokenByDigest(ws, d1))?.current, true);
      await store.rotateToken(ws, t.id, digestOf(`find2-${t.id}`), 'thub_find…0003', null);
      assert.strictEqual(await store.findTokenByDigest(ws, t.digest), null, 'a dropped previous secret');
      assert.strictEqual(await store.findTokenByDigest(ws, d1), null, 'rotated out without grace');
      await store.deleteToken(ws, t.id);
      assert.strictEqual(await store.findTokenByDigest(ws, digestOf(`find2-${t.id}`)), null, 'deleted');
    });

    it('listTokens by masked key: exact, per workspace, with search and keyset', async () => {
      const list = (await store.ensureWorkspace('masks', newId('ws_'), undefined, 1)).workspace.id;
      const mask = 'thub_Mask…AAAA';
      const tokens = [
        token({ workspaceId: list, name: 'm-one', maskedKey: mask, createdAt: 7000 }),
        token({ workspaceId: list, name: 'm-two', maskedKey: mask, createdAt: 7001 }),
        token({ workspaceId: list, name: 'other', maskedKey: 'thub_Mask…AAAB', createdAt: 7002 }),
        token({ workspaceId: other, name: 'm-elsewhere', maskedKey: mask, createdAt: 7003 }),
      ];
      for (const t of tokens) await store.createToken(t);
      const names = async (query: Partial<Parameters<Store['listTokens']>[1]>) =>
        (await store.listTokens(list, { limit: 10, ...query })).map((t) => t.name);
      assert.deepStrictEqual(await names({ maskedKey: mask }), ['m-two', 'm-one']);
      assert.deepStrictEqual(await names({ maskedKey: 'thub_Mask…AAAB' }), ['other']);
      assert.deepStrictEqual(await names({ maskedKey: 'thub_mask…aaaa' }), [], 'exact, case included');
      assert.deepStrictEqual(await names({ maskedKey: mask, search: 'two' }), ['m-two']);
      assert.deepStrictEqual(await names({ maskedKey: mask, limit: 1 }), ['m-two']);
      assert.deepStrictEqual(await names({ maskedKey: mask, after: { createdAt: 7001, id: tokens[1].id } }), ['m-one']);
      assert.deepStrictEqual(await names({ maskedKey: mask, search: 'two', after: { createdAt: 7001, id: tokens[1].id } }), []);
    });

    it('last use is raised, never lowered', async () => {
      const t = token();
      await store.createToken(t);
      await store.recordLastUsed([[t.id, 500]]);
      await store.recordLastUsed([[t.id, 400], ['tok_gone', 1]]);
      assert.strictEqual((await store.getToken(ws, t.id))?.lastUsedAt, 500);
      await store.recordLastUsed([[t.id, 600]]);
      assert.strictEqual((await store.getToken(ws, t.id))?.lastUsedAt, 600);
      await store.recordLastUsed([]);
    });

    it('lists newest first by keyset; search is literal', async () => {
      const list = (await store.ensureWorkspace('listing', newId('ws_'), undefined, 1)).workspace.id;
      const names = ['alpha', 'beta', 'al_pha', 'al%pha', 'gamma'];
      const ids: string[] = [];
      for (const [i, name] of names.entries()) {
        const t = token({ workspaceId: list, name, createdAt: 5000 + (i < 2 ? 0 : i) }); // two share a createdAt
        ids.push(t.id);
        await store.createToken(t);
      }
      const all = await store.listTokens(list, { limit: 10 });
      assert.strictEqual(all.length, 5);
      for (let i = 1; i < all.length; i++) {
        assert.ok(all[i - 1].createdAt > all[i].createdAt || (all[i - 1].createdAt === all[i].createdAt && all[i - 1].id > all[i].id));
      }
      const walked: string[] = [];
      let after: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.listTokens(list, { limit: 2, after });
        walked.push(...page.map((t) => t.id));
        if (page.length < 2) break;
        after = { createdAt: page[1].createdAt, id: page[1].id };
      }
      assert.deepStrictEqual(walked, all.map((t) => t.id));
      assert.deepStrictEqual((await store.listTokens(list, { limit: 10, search: 'al_' })).map((t) => t.name), ['al_pha']);
      assert.deepStrictEqual((await store.listTokens(list, { limit: 10, search: 'l%p' })).map((t) => t.name), ['al%pha']);
      assert.deepStrictEqual((await store.listTokens(list, { limit: 10, search: 'pha' })).map((t) => t.name).sort(), ['al%pha', 'al_pha', 'alpha']);
      assert.deepStrictEqual(await store.listTokens(list, { limit: 10, search: '\\' }), []);
    });
  });
}

describe('stores', () => {
  let dir: string;
  let cluster: PostgresCluster;
  let url: string;

  before(async function () {
    this.timeout(60_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-store-'));
    cluster = await startPostgres();
    url = await cluster.createDatabase('store');
  });
  after(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // A database made before migration 2 gets the masked-key index on its next start, and listing by mask uses it.
  describe('migration 2: the (workspace, masked key) index', () => {
    const MASK_QUERY = 'SELECT id FROM tokens WHERE workspace_id = $1 AND masked_key = $2 ORDER BY created_at DESC, id DESC LIMIT $3';

    it('SQLite: added to an existing database, and used', async () => {
      const file = path.join(dir, 'migrate-2.db');
      const first = new SqliteStore(file);
      await first.migrate();
      await first.close();
      // Back to the schema of version 1, as a database of the previous release has it.
      const raw = new Database(file);
      raw.exec('DROP INDEX tokens_workspace_masked; DELETE FROM schema_migrations WHERE version = 2');
      raw.close();
      const upgraded = new SqliteStore(file);
      await upgraded.migrate();
      await upgraded.close();
      const db = new Database(file, { readonly: true });
      try {
        assert.deepStrictEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), ALL_VERSIONS);
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${MASK_QUERY.replace(/\$\d/g, '?')}`).all('ws', 'thub_Mask…AAAA', 10) as Array<{ detail: string }>;
        assert.match(plan.map((r) => r.detail).join('\n'), /USING (COVERING )?INDEX tokens_workspace_masked \(workspace_id=\? AND masked_key=\?\)/);
      } finally {
        db.close();
      }
    });

    it('PostgreSQL: added to an existing database, and usable by the query', async () => {
      const dbUrl = await cluster.createDatabase('migrate2');
      const first = new PostgresStore(dbUrl);
      await first.migrate();
      const raw = new pg.Client({ connectionString: dbUrl });
      await raw.connect();
      try {
        await raw.query('DROP INDEX tokens_workspace_masked');
        await raw.query('DELETE FROM schema_migrations WHERE version = 2');
        await first.migrate();
        assert.deepStrictEqual((await raw.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version), ALL_VERSIONS);
        // On a tiny table the planner prefers a scan; forbidding scans shows the index serves the query.
        await raw.query('SET enable_seqscan = off');
        const plan = await raw.query(`EXPLAIN ${MASK_QUERY}`, ['ws', 'thub_Mask…AAAA', 10]);
        assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Index (Only )?Scan using tokens_workspace_masked/);
      } finally {
        await raw.end();
        await first.close();
      }
    });
  });

  storeSuite('SQLite', async () => new SqliteStore(path.join(dir, 'sub', 'store.db')), async () => new SqliteStore(path.join(dir, 'sub', 'store.db')));
  storeSuite('PostgreSQL', async () => new PostgresStore(url), async () => new PostgresStore(url));
});
