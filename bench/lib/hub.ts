// A hub process for the benchmarks: `node <bin> serve` on 127.0.0.1 and a port the OS picks. <bin> is dist/hub.js
// unless --hub-bin (or TOKENHUB_BENCH_HUB_BIN) names another build, to compare two versions of the hub side by side.
import { spawn, type ChildProcess } from 'child_process';
import { HUB_BIN } from '../../test/support/hub';

export interface BenchHub {
  url: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
  /** After stop(): the verified-token cache's figures from the line the hub prints as it stops. */
  tokenCache(): { size: number; max: number; hits: number; misses: number; hitRate: number } | undefined;
}

export function hubBin(): string {
  return process.env.TOKENHUB_BENCH_HUB_BIN || HUB_BIN;
}

export async function startBenchHub(db: string, args: string[] = [], nodeArgs: string[] = [], cwd?: string): Promise<BenchHub> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, hubBin(), 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, '--log-level', 'warn', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Token Hub listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`hub exited before listening:\n${output}`));
    });
  });
  // Keep reading its output (warnings, the cache's line at shutdown) so that a full pipe never blocks it.
  let tail = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-65_536);
  });
  child.stderr!.resume();
  return {
    url,
    pid: child.pid!,
    process: child,
    tokenCache() {
      const match = /Token cache: (\d+) hits, (\d+) misses, (\d+) of at most (\d+) tokens/.exec(tail);
      if (!match) return undefined;
      const [hits, misses, size, max] = match.slice(1).map(Number);
      const stats = { hits, misses, size, max };
      return { ...stats, hitRate: stats.hits + stats.misses > 0 ? Math.round((stats.hits / (stats.hits + stats.misses)) * 1000) / 1000 : 0 };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
