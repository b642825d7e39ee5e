// Starts the real hub (`node dist/hub.js serve`, built by `npm run build`) as a child process for tests, on
// 127.0.0.1 and a port the OS picks, with its own temp data folder. Everything it prints goes to
// <dataDir>/hub.log as well (so tests can inspect it).
//
//   const hub = await startHub();                        // SQLite file in a fresh temp dir
//   const { workspaceId, accountKey } = await hub.init('acme', ['chat-completions', 'embeddings']);
//   await fetch(`${hub.url}/v1/tokens`, { headers: { authorization: `Bearer ${accountKey}` } });
//   const second = await startHub({ db: hub.db });       // another process on the same database
//   const again = await hub.restart();                   // same db and data dir, new process (fault tests)
//   await hub.stop();                                    // SIGTERM, waits for exit, removes the temp dir
import { spawn, execFile, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const HUB_BIN = path.resolve(__dirname, '..', '..', '..', 'dist', 'hub.js');

export interface StartHubOptions {
  /** SQLite path or postgres:// URL; default: <dataDir>/hub.db. */
  db?: string;
  /** Extra environment (e.g. TOKENHUB_PEPPER, TOKENHUB_TEST_CLOCK_OFFSET_MS). */
  env?: NodeJS.ProcessEnv;
  /** Extra `serve` arguments (e.g. ['--auth-failure-limit', '3']). */
  args?: string[];
  /** Use this folder instead of a fresh temp one (it is then not removed by stop()). */
  dataDir?: string;
  /** Remove the data folder when the hub stops (default: only when the folder was made by startHub). */
  removeDataDirOnStop?: boolean;
}

export interface HubProcess {
  url: string;
  port: number;
  db: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends the signal (default SIGTERM), waits for the exit and removes the temp dir; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops this process (keeping the data) and starts a new one on the same database and data dir. */
  restart(overrides?: { env?: NodeJS.ProcessEnv; args?: string[] }): Promise<HubProcess>;
  /** `tokenhub init` on the same database: a workspace, its endpoints and a new account key. */
  init(workspace: string, endpoints: string[], extraArgs?: string[]): Promise<{ workspaceId: string; accountKey: string }>;
  /** Runs another tokenhub command against the same database (adds --db). */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs `node dist/hub.js ARGS`; never rejects on a non-zero exit. */
export function runHubCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HUB_BIN, ...args], { env: { ...process.env, ...env }, cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function startHub(options: StartHubOptions = {}): Promise<HubProcess> {
  if (!fs.existsSync(HUB_BIN)) throw new Error(`${HUB_BIN} is missing: run "npm run build" first.`);
  const ownsDataDir = options.removeDataDirOnStop ?? options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-hub-'));
  const db = options.db ?? path.join(dataDir, 'hub.db');
  const env = { ...process.env, ...options.env };
  const args = [HUB_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'hub.log'), { flags: 'a' });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
      const match = /Token Hub listening on http:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with code ${code} before listening:\n${output}`));
    });
  });

  let stopped: Promise<number | null> | undefined;
  const stopProcess = (signal: NodeJS.Signals) => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      await new Promise<void>((resolve) => log.end(() => resolve()));
      return code;
    })();
    return stopped;
  };

  const handle: HubProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    dataDir,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      const code = await stopProcess(signal);
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
    async restart(overrides = {}) {
      await stopProcess('SIGTERM');
      // The new process takes over the data folder, and with it the duty to remove it (through every restart).
      return startHub({
        db,
        dataDir,
        removeDataDirOnStop: ownsDataDir,
        env: { ...options.env, ...overrides.env },
        args: overrides.args ?? options.args,
      });
    },
    async init(workspace, endpoints, extraArgs = []) {
      const result = await handle.cli(['init', '--workspace', workspace, ...endpoints.flatMap((e) => ['--endpoint', e]), ...extraArgs]);
      if (result.code !== 0) throw new Error(`tokenhub init failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout.trim()) as { workspaceId: string; accountKey: string };
    },
    cli(cliArgs) {
      return runHubCli([...cliArgs, '--db', db], options.env, dataDir);
    },
  };
  return handle;
}
