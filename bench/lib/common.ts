// Shared by every part of `npm run bench`: where things are, the machine's state, CPU time of a process, statistics.
import fs from 'fs';
import os from 'os';
import path from 'path';

/** out/bench/lib -> the repository. */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const RESULTS_DIR = path.join(REPO, 'bench', 'results');
/** Compiled helpers that run as their own processes. */
export const BENCH_OUT = path.resolve(__dirname, '..');

export interface MachineState {
  cores: number;
  /** 1, 5 and 15 minute load averages. */
  loadAverage: number[];
  node: string;
  cpuModel: string;
}

export function machine(): MachineState {
  return {
    cores: os.cpus().length,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
  };
}

/** The 1-minute load average now (what other processes were doing to this machine while something was measured). */
export function load1(): number {
  return round(os.loadavg()[0], 2);
}

/** CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux). */
export function cpuMicros(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Milliseconds since an hrtime.bigint() reading. */
export function msSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Times fn `reps` times (after `warmup` untimed calls); returns every duration in ms. */
export async function timeReps(reps: number, fn: () => unknown, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = process.hrtime.bigint();
    await fn();
    out.push(msSince(started));
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One line of progress on stderr (stdout carries the table). */
export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${load1()}] ${line}\n`);
}

export function mkTemp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
