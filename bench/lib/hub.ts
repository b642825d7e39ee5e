// A hub process for the benchmarks: `node <bin> serve` on 127.0.0.1 and a port the OS picks. <bin> is dist/hub.js
// unless --hub-bin (or TOKENHUB_BENCH_HUB_BIN) names another build, to compare two versions of the hub side by side.
import { spawn, type ChildProcess } from 'child_process';
import { HUB_BIN } from '../../test/support/hub';

export interface BenchHub {
  url: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
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
  // Keep reading its output (warnings) so that a full pipe never blocks it.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url,
    pid: child.pid!,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
