// A private PostgreSQL cluster for tests: initdb into a fresh temp folder (as the `postgres` user when running as
// root: initdb refuses root), started on 127.0.0.1 and a free port with trust authentication, unix socket in the
// same folder. Fast settings (fsync off): test data only. Never skipped silently: without the server binaries it throws.
//
//   const pg = await startPostgres();
//   const url = await pg.createDatabase('contract');   // postgres://postgres@127.0.0.1:PORT/contract
//   await pg.stopServer(); await pg.startServer();       // simulate an outage, same data and port
//   await pg.stop();                                     // stop and delete everything
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { promisify } from 'util';
import { freePort } from './ports';

const run = promisify(execFile);

export interface PostgresCluster {
  port: number;
  dataDir: string;
  /** URL of a database of this cluster (default "postgres"). */
  url(dbName?: string): string;
  /** Creates a database (idempotent) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server but keeps its data: the port refuses connections until startServer(). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and deletes the cluster. */
  stop(): Promise<void>;
}

function findBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    for (const version of fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(root, version, 'bin'));
  }
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or $PG_BIN. ' +
      'Run .ci/run, which installs them (Debian package postgresql), or install them and set PG_BIN.',
  );
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
async function pgRun(bin: string, args: string[], cwd: string): Promise<void> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    await run(file, argv, { cwd, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${path.basename(bin)} failed: ${e.stderr || e.message}`);
  }
}

export async function startPostgres(): Promise<PostgresCluster> {
  const binDir = findBinDir();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-pg-'));
  const dataDir = path.join(base, 'data');
  if (isRoot) {
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
      uid: Number(u.stdout.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    }));
    fs.chownSync(base, uid, gid);
  }
  const port = await freePort();
  await pgRun(path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], base);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-k ${base}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');
  const logFile = path.join(base, 'postgres.log');
  const startServer = () =>
    pgRun(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '30', 'start'], base);
  // "fast" disconnects every client (as an outage does) but keeps committed data: with synchronous_commit off,
  // "immediate" could lose the last commits. The final stop() throws everything away, so it may be immediate.
  const stopServer = (mode: 'fast' | 'immediate' = 'fast') =>
    pgRun(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', 'stop'], base);
  await startServer();
  let running = true;

  const url = (dbName = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${dbName}`;
  return {
    port,
    dataDir,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stopServer() {
      if (running) await stopServer();
      running = false;
    },
    async startServer() {
      if (!running) await startServer();
      running = true;
    },
    async stop() {
      if (running) await stopServer('immediate').catch(() => undefined);
      running = false;
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * A mocha `describe` with a private cluster for its tests: started before them, stopped after them (also on
 * failure). `body` registers the tests; `create` makes a fresh database of the cluster (call it in a hook or test).
 */
export function describeWithPostgres(title: string, body: (create: (name: string) => Promise<string>) => void): void {
  describe(title, function () {
    this.timeout(60_000);
    let cluster: PostgresCluster | undefined;
    before(async () => {
      cluster = await startPostgres();
    });
    after(async () => {
      await cluster?.stop();
    });
    body((name) => cluster!.createDatabase(name));
  });
}
