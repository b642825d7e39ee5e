// The processes a benchmark runs beside the hub: the bare node:http baseline and the autocannon load generator.
import { spawn, type ChildProcess } from 'child_process';
import path from 'path';
import type { LoadOptions, LoadResult } from '../loadgen';
import { BENCH_OUT, cpuMicros, load1 } from './common';

export interface BareServer {
  url: string;
  pid: number;
  close(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The bare baseline (bareServer.js), or another bare script of bench/ given its file name and arguments. */
export async function startBare(script = 'bareServer.js', args: string[] = []): Promise<BareServer> {
  const child = spawn(process.execPath, [path.join(BENCH_OUT, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, close: () => stopChild(child) };
}

export interface Measured extends LoadResult {
  /** Server CPU time (user + system) per request, µs: steadier than req/s on a shared machine. */
  serverCpuUsPerRequest: number;
  /** 1-minute load average right after the run. */
  load: number;
}

/** Runs autocannon in a child process against a server; measures the server's CPU time meanwhile. */
export async function runLoad(options: LoadOptions, serverPid: number): Promise<Measured> {
  const cpuBefore = cpuMicros(serverPid);
  const child = spawn(process.execPath, [path.join(BENCH_OUT, 'loadgen.js'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const cpuAfter = cpuMicros(serverPid);
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(output.trim().split('\n').pop()!) as LoadResult;
  return { ...result, serverCpuUsPerRequest: result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : NaN, load: load1() };
}
