// The pure parts the extension runs on a person's machine: .env editing (setEnvVariable, which checks its result with dotenv, as the
// "Insert into .env" command does) and the leak scanner. Baselines: one dotenv parse of the same file, and one
// regular-expression pass over the same 10 MB looking for the token prefixes.
import { parseEnv, setEnvVariable } from '../../src/core/env';
import { ACCESS_TOKEN_PREFIX, generateToken } from '../../src/core/token';
import { benchmarkScan, pseudoRandomBase64 } from '../../src/core/scanner';
import { load1, median, progress, round, timeReps } from '../lib/common';

/** A .env file of `lines` lines as projects write them: comments, blank lines, quoted values, a few `export`s. */
export function envText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    switch (i % 10) {
      case 0:
        out.push(`# section ${i / 10}`);
        break;
      case 3:
        out.push(`QUOTED_${i}="value with spaces ${i}"`);
        break;
      case 5:
        out.push(`export EXPORTED_${i}=${i}`);
        break;
      case 7:
        out.push('');
        break;
      case 8:
        out.push(`SINGLE_${i}='single ${i}' # a comment`);
        break;
      default:
        out.push(`VARIABLE_${i}=plain-value-${i}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export interface EnvSize {
  lines: number;
  insertMs: number;
  parseMs: number;
  /** insertMs per 1,000 lines: constant when the edit is linear. */
  perKLineMs: number;
}

export interface EnvResult {
  insert10kMs: number;
  parse10kMs: number;
  /** insert ÷ one dotenv parse of the same file (the edit parses it several times, on purpose). */
  ratio: number;
  /** perKLineMs at the largest size ÷ at 10k lines: 1 means linear. */
  linearity: number;
  /** The same for one dotenv parse (the baseline): how much of the growth is dotenv's own. */
  parseLinearity: number;
  bySize: EnvSize[];
  load: number;
}

export function benchEnv(sizes: number[], reps: number): Promise<EnvResult> {
  return (async () => {
    const bySize: EnvSize[] = [];
    const secret = generateToken(ACCESS_TOKEN_PREFIX);
    for (const lines of sizes) {
      progress(`env: ${lines} lines`);
      const text = envText(lines);
      const n = lines >= 100_000 ? Math.max(3, Math.ceil(reps / 4)) : reps;
      const insert = await timeReps(
        n,
        () => {
          // What the extension and the CLI run: setEnvVariable checks its result with both dotenv parsers itself.
          const result = setEnvVariable(text, 'TOKENHUB_TOKEN', secret);
          if (result.action !== 'appended') throw new Error(`env edit ${result.action}, expected appended`);
        },
        3,
      );
      const parse = await timeReps(n, () => parseEnv(text), 3);
      const insertMs = median(insert);
      bySize.push({ lines, insertMs: round(insertMs, 3), parseMs: round(median(parse), 3), perKLineMs: round(insertMs / (lines / 1000), 4) });
    }
    const tenK = bySize.find((s) => s.lines === 10_000) ?? bySize[0];
    const largest = bySize[bySize.length - 1];
    return {
      insert10kMs: tenK.insertMs,
      parse10kMs: tenK.parseMs,
      ratio: round(tenK.insertMs / tenK.parseMs, 2),
      linearity: round(largest.perKLineMs / tenK.perKLineMs, 2),
      parseLinearity: round(largest.parseMs / largest.lines / (tenK.parseMs / tenK.lines), 2),
      bySize,
      load: load1(),
    };
  })();
}

export interface ScanResult {
  bytes: number;
  scanMs: number;
  /** One regex pass over the same text looking for the prefixes. */
  baselineMs: number;
  ratio: number;
  mbPerSecond: number;
  findings: number;
  load: number;
}

export async function benchScan(megabytes: number, reps: number): Promise<ScanResult> {
  progress(`scan: ${megabytes} MB`);
  const bytes = megabytes * 1024 * 1024;
  const planted = Array.from({ length: 10 }, () => generateToken(ACCESS_TOKEN_PREFIX));
  const runs: number[] = [];
  let findings = 0;
  for (let i = 0; i < reps + 1; i++) {
    const result = benchmarkScan(bytes, planted);
    if (i > 0) runs.push(result.milliseconds);
    findings = result.findings;
  }
  const text = pseudoRandomBase64(bytes, planted);
  const baseline = await timeReps(reps, () => {
    const pattern = /th(?:ub|ak)_/g;
    let count = 0;
    while (pattern.exec(text) !== null) count++;
    return count;
  });
  const scanMs = median(runs);
  const baselineMs = median(baseline);
  return {
    bytes,
    scanMs: round(scanMs, 2),
    baselineMs: round(baselineMs, 2),
    ratio: round(scanMs / baselineMs, 2),
    mbPerSecond: round(megabytes / (scanMs / 1000), 1),
    findings,
    load: load1(),
  };
}
