// The hub killed (SIGKILL: no shutdown, no flush) in the middle of a burst of creates and deletes, then started
// again on the same database, three times over, on SQLite and on PostgreSQL. What a client was told must hold:
// - every token whose 201 reached the client exists and its secret works (invoke 200);
// - every token whose 204 reached the client stays deleted (invoke 401, GET 404);
// - requests cut off by the kill are in doubt (the client never learned their outcome) and may have gone either way;
//   nothing else exists;
// - the database opens cleanly (the new process starts, migrates and answers; SQLite's integrity_check is "ok").
import assert from 'assert';
import Database from 'better-sqlite3';
import fs from 'fs';
import type { Token, TokenPage, TokenWithSecret } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { call, client } from '../hub/helpers';
import { sleep } from './support';

interface Ledger {
  /** 201 received: name → token id and secret. */
  created: Map<string, { id: string; secret: string }>;
  /** 204 received: token id → secret. */
  deleted: Map<string, string>;
  /** Names of creates and ids of deletes cut off by the kill. */
  inDoubt: Set<string>;
  /** Answers that break the contract (any status but 201/204, or a 201 without a secret). */
  wrong: string[];
}

const WORKERS = 6;

/** Creates and deletes from several concurrent clients until the hub dies; returns when every worker has stopped. */
async function burstUntilKilled(hub: HubProcess, accountKey: string, round: number, ledger: Ledger): Promise<{ requests: number }> {
  let requests = 0;
  let serial = 0;
  let dead = false;
  const busy = new Set<string>();
  const deletable = () => [...ledger.created.entries()].filter(([name, t]) => !ledger.deleted.has(t.id) && !ledger.inDoubt.has(t.id) && !busy.has(name));
  const worker = async () => {
    while (!dead) {
      const candidates = deletable();
      requests++;
      if (candidates.length > 3 && Math.random() < 0.4) {
        const [name, token] = candidates[Math.floor(Math.random() * candidates.length)];
        busy.add(name);
        try {
          const res = await call(hub.url, 'DELETE', `/v1/tokens/${token.id}`, { key: accountKey });
          if (res.status === 204) ledger.deleted.set(token.id, token.secret);
          else ledger.wrong.push(`DELETE ${token.id} → ${res.status} ${res.text}`);
        } catch {
          ledger.inDoubt.add(token.id);
          dead = true;
        }
      } else {
        const name = `burst-${round}-${serial++}`;
        try {
          const res = await call<TokenWithSecret>(hub.url, 'POST', '/v1/tokens', { key: accountKey, json: { name, endpoints: ['chat-completions'] } });
          if (res.status === 201 && res.body.secret) ledger.created.set(name, { id: res.body.token.id, secret: res.body.secret });
          else ledger.wrong.push(`POST ${name} → ${res.status} ${res.text}`);
        } catch {
          ledger.inDoubt.add(name);
          dead = true;
        }
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  // Kill once the burst is well under way, at a random moment.
  const startedWith = ledger.created.size;
  for (let i = 0; i < 200 && ledger.created.size < startedWith + 30; i++) await sleep(10);
  await sleep(Math.random() * 200);
  const exited = new Promise((resolve) => hub.process.once('exit', resolve));
  hub.process.kill('SIGKILL');
  await exited;
  await Promise.all(workers);
  return { requests };
}

async function verify(hub: HubProcess, accountKey: string, ledger: Ledger): Promise<void> {
  const api = client(hub.url, accountKey);
  const problems: string[] = [];
  for (const [name, token] of ledger.created) {
    if (ledger.deleted.has(token.id) || ledger.inDoubt.has(token.id)) continue;
    const invoked = await api.invoke('chat-completions', token.secret);
    if (invoked.status !== 200 || invoked.body.tokenId !== token.id) problems.push(`${name}: acknowledged create, invoke ${invoked.status}`);
    const got = await api.get<Token>(`/v1/tokens/${token.id}`);
    if (got.status !== 200) problems.push(`${name}: acknowledged create, GET ${got.status}`);
  }
  for (const [id, secret] of ledger.deleted) {
    const invoked = await api.invoke('chat-completions', secret);
    if (invoked.status !== 401) problems.push(`${id}: acknowledged delete, invoke ${invoked.status}`);
    const got = await api.get(`/v1/tokens/${id}`);
    if (got.status !== 404) problems.push(`${id}: acknowledged delete, GET ${got.status}`);
  }
  // Nothing exists that the client was not told about, except what was in doubt.
  const listed: Token[] = [];
  for (let cursor: string | null = null; ; ) {
    const page: { status: number; body: TokenPage } = await api.get<TokenPage>(`/v1/tokens?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    assert.strictEqual(page.status, 200);
    listed.push(...page.body.data);
    cursor = page.body.nextCursor;
    if (!cursor) break;
  }
  for (const token of listed) {
    const known = ledger.created.get(token.name);
    if (known && known.id === token.id) {
      if (ledger.deleted.has(token.id)) problems.push(`${token.name}: acknowledged delete, still listed`);
    } else if (!ledger.inDoubt.has(token.name)) {
      problems.push(`${token.name}: listed, but no create of it was acknowledged or in doubt`);
    }
  }
  assert.deepStrictEqual(problems, [], problems.slice(0, 20).join('\n'));
  assert.deepStrictEqual(ledger.wrong, []);
}

function crashSuite(label: string, database: () => Promise<{ db?: string; cleanup?: () => Promise<void> }>, checkFile?: (db: string) => void) {
  describe(`reliability: SIGKILL during a burst of creates and deletes (${label})`, function () {
    this.timeout(120_000);
    let hub: HubProcess | undefined;
    let dataDir: string | undefined;
    let cleanup: (() => Promise<void>) | undefined;

    after(async () => {
      await hub?.stop();
      await cleanup?.();
      // test/support/hub.ts removes the data folder after one restart, not after a restart of a restarted handle.
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('after each restart: acknowledged creates exist and work, acknowledged deletes stay deleted, nothing else appears', async () => {
      const chosen = await database();
      cleanup = chosen.cleanup;
      hub = await startHub({ db: chosen.db, args: ['--auth-failure-limit', '1000000'] });
      dataDir = hub.dataDir;
      const { accountKey } = await hub.init('crashy', ['chat-completions']);
      const ledger: Ledger = { created: new Map(), deleted: new Map(), inDoubt: new Set(), wrong: [] };
      const rounds: string[] = [];
      for (let round = 0; round < 3; round++) {
        const { requests } = await burstUntilKilled(hub, accountKey, round, ledger);
        assert.strictEqual(hub.process.signalCode, 'SIGKILL');
        hub = await hub.restart(); // same database and data folder: it must open, migrate and listen
        checkFile?.(hub.db);
        await verify(hub, accountKey, ledger);
        rounds.push(`round ${round}: ${requests} requests, in doubt so far ${ledger.inDoubt.size}`);
      }
      assert.ok(ledger.created.size >= 90, `the bursts created ${ledger.created.size} tokens`);
      assert.ok(ledger.deleted.size >= 10, `the bursts deleted ${ledger.deleted.size} tokens`);
      // The database still works for writes, and the hub stops cleanly.
      const last = await client(hub.url, accountKey).post('/v1/tokens', { name: 'after-the-crashes', endpoints: ['chat-completions'] });
      assert.strictEqual(last.status, 201, last.text);
      const code = await hub.stop();
      hub = undefined;
      assert.strictEqual(code, 0);
      console.log(`      ${label}: ${rounds.join('; ')}; ${ledger.created.size} creates and ${ledger.deleted.size} deletes acknowledged`);
    });
  });
}

crashSuite('SQLite', async () => ({}), (file) => {
  // A second connection while the hub runs (WAL): the file, its WAL and indexes are consistent.
  const db = new Database(file, { fileMustExist: true });
  try {
    assert.deepStrictEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepStrictEqual(db.pragma('foreign_key_check'), []);
  } finally {
    db.close();
  }
});

let cluster: PostgresCluster | undefined;
crashSuite('PostgreSQL', async () => {
  cluster = await startPostgres();
  const db = await cluster.createDatabase('crash');
  return { db, cleanup: () => cluster!.stop() };
});
