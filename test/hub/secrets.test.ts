// Reads every file a hub wrote (SQLite database, WAL, shared memory, its log at the most verbose level; for
// PostgreSQL the whole cluster folder after a checkpoint) and finds no secret in it: neither an access token nor
// an account key, nor any 12-character piece of their random part (the masked key shows 4 + 4 characters).
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import type { TokenWithSecret } from '../../src/contract/types';
import { generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { call, client, sleep } from './helpers';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

function pieces(secret: string, size = 12): string[] {
  const random = secret.slice(5, 48);
  const out = [secret];
  for (let i = 0; i + size <= random.length; i++) out.push(random.slice(i, i + size));
  return out;
}

/** Exercises every call that handles a secret, including mistakes that put secrets where they do not belong. */
async function exercise(hub: HubProcess): Promise<string[]> {
  const { accountKey } = await hub.init('secretive', ['chat-completions']);
  const api = client(hub.url, accountKey);
  const secrets = [accountKey];
  const created = await api.post<TokenWithSecret>('/v1/tokens', { name: 'one', endpoints: ['chat-completions'] }, { headers: { 'Idempotency-Key': 'k1' } });
  assert.strictEqual(created.status, 201);
  secrets.push(created.body.secret);
  await api.post('/v1/tokens', { name: 'one', endpoints: ['chat-completions'] }, { headers: { 'Idempotency-Key': 'k1' } }); // replay
  const rotated = await api.post<TokenWithSecret>(`/v1/tokens/${created.body.token.id}/rotate`, { graceSeconds: 60 });
  secrets.push(rotated.body.secret);
  for (const secret of secrets.slice(1)) await api.invoke('chat-completions', secret);
  await api.invoke('embeddings', rotated.body.secret); // 403
  // Mistakes: a secret as a name, as an endpoint id, in the URL, in a header, in a bad body.
  const misplaced = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'two', endpoints: ['chat-completions'] })).body.secret;
  secrets.push(misplaced);
  const nameError = await api.post('/v1/tokens', { name: misplaced, endpoints: ['chat-completions'] });
  const endpointError = await api.post('/v1/tokens', { name: 'three', endpoints: [misplaced] });
  for (const res of [nameError, endpointError]) {
    assert.strictEqual(res.status, 422);
    assert.ok(!res.text.includes(misplaced.slice(5, 17)), `error text echoes the secret: ${res.text}`);
  }
  await call(hub.url, 'GET', `/v1/tokens/${misplaced}`, { key: accountKey });
  await call(hub.url, 'GET', `/v1/tokens?search=${misplaced}`, { key: accountKey });
  await call(hub.url, 'POST', '/v1/tokens', { key: accountKey, body: `{"name": "${misplaced}"`, headers: { 'content-type': 'application/json' } });
  await call(hub.url, 'GET', '/v1/workspace', { key: misplaced });
  await call(hub.url, 'POST', '/v1/endpoints/chat-completions/invoke', { key: accountKey, headers: { 'x-api-key': misplaced } });
  // Lookups by secret: found, in grace, never issued, in a rule-breaking or broken body, and with a mask filter.
  const unknown = generateToken('thub_');
  secrets.push(unknown);
  for (const secret of [misplaced, created.body.secret, unknown]) {
    assert.notStrictEqual((await api.post('/v1/tokens/lookup', { secret })).status, 500);
  }
  await api.post('/v1/tokens/lookup', { secret: [misplaced] });
  await call(hub.url, 'POST', '/v1/tokens/lookup', { key: accountKey, body: `{"secret": "${misplaced}"`, headers: { 'content-type': 'application/json' } });
  await call(hub.url, 'GET', `/v1/tokens?maskedKey=${misplaced}`, { key: accountKey });
  return secrets;
}

function assertNoSecret(files: string[], secrets: string[]): void {
  assert.ok(files.length > 0);
  for (const file of files) {
    const content = fs.readFileSync(file).toString('latin1');
    for (const secret of secrets) {
      for (const piece of pieces(secret)) {
        assert.ok(!content.includes(piece), `${path.basename(file)} contains a piece of a secret (${piece.slice(0, 4)}…)`);
      }
    }
  }
}

describe('no secret at rest', function () {
  this.timeout(60_000);

  it('the scan finds a secret where there is one (control)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-control-')), 'x.bin');
    const secret = generateToken('thub_');
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(100), Buffer.from(`..${secret.slice(10, 30)}..`, 'latin1')]));
    assert.throws(() => assertNoSecret([file], [secret]), /contains a piece of a secret/);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  for (const pepper of [undefined, 'a pepper for the test']) {
    it(`SQLite files (db, WAL) and the trace-level log hold no secret (${pepper ? 'HMAC with pepper' : 'SHA-256'})`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-secrets-'));
      const hub = await startHub({ dataDir, args: ['--log-level', 'trace'], env: pepper ? { TOKENHUB_PEPPER: pepper } : {} });
      try {
        const secrets = await exercise(hub);
        await sleep(1500); // let the last-used writer run
        const running = filesUnder(dataDir);
        assert.ok(running.some((f) => f.endsWith('hub.db-wal')), `no WAL file among ${running.map((f) => path.basename(f))}`);
        assertNoSecret(running, secrets);
        assert.strictEqual(await hub.stop(), 0);
        const stopped = filesUnder(dataDir);
        assert.ok(stopped.some((f) => f.endsWith('hub.log')) && stopped.some((f) => f.endsWith('hub.db')));
        assertNoSecret(stopped, secrets);
        assert.ok(fs.readFileSync(path.join(dataDir, 'hub.log'), 'utf8').includes('"level":'), 'the log has structured lines');
      } finally {
        await hub.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  describe('PostgreSQL', () => {
    let cluster: PostgresCluster;
    before(async () => {
      cluster = await startPostgres();
    });
    after(() => cluster?.stop());

    it('the cluster files and the log hold no secret', async () => {
      const db = await cluster.createDatabase('secrets');
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-secrets-'));
      const hub = await startHub({ db, dataDir, args: ['--log-level', 'trace'] });
      try {
        const secrets = await exercise(hub);
        await sleep(1500);
        assert.strictEqual(await hub.stop(), 0);
        const admin = new pg.Client({ connectionString: db });
        await admin.connect();
        await admin.query('CHECKPOINT');
        await admin.end();
        assertNoSecret([...filesUnder(cluster.dataDir), ...filesUnder(dataDir)], secrets);
      } finally {
        await hub.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
