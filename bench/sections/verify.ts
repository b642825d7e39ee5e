// Verify and reject throughput: POST /v1/endpoints/{id}/invoke on a real hub process with 10,000 tokens in its store,
// each request carrying a random one, 50 connections, load from a separate process (autocannon), against a bare
// node:http server (another process) answering the same JSON with no check. Rounds alternate bare and hub so that
// changes in the machine's load hit both; the ratio is the median of the rounds' ratios. The verify API
// (POST /v1/verify with a service key, the same random tokens in the body) is measured in the same rounds against
// that invoke: its ratio is verify API req/s ÷ invoke req/s.
import fs from 'fs';
import path from 'path';
import { runHubCli } from '../../test/support/hub';
import { startPostgres } from '../../test/support/postgres';
import { median, mkTemp, progress, round } from '../lib/common';
import { startBenchHub, type BenchHub } from '../lib/hub';
import { runLoad, startBare, type BareServer, type Measured } from '../lib/processes';
import { ENDPOINT, seed, unknownTokens } from '../lib/seed';

export interface VerifyOptions {
  tokens: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  rounds: number;
}

export interface Throughput {
  /** Median over rounds of (hub req/s ÷ bare node:http req/s), measured back to back. */
  ratio: number;
  rps: number;
  bareRps: number;
  p50Ms: number;
  p99Ms: number;
  bareP50Ms: number;
  bareP99Ms: number;
  /** Lowest server CPU time per request over the rounds (µs), and bare's. */
  cpuUsPerRequest: number;
  bareCpuUsPerRequest: number;
  /** bare CPU per request ÷ hub CPU per request: 1 would be free. */
  cpuRatio: number;
  /** Latency and CPU when the load is half of what the slower of hub and bare managed (neither saturated). */
  atHalfLoad?: {
    rate: number;
    p50Ms: number;
    p99Ms: number;
    bareP50Ms: number;
    bareP99Ms: number;
    /** CPU per request at the same fixed rate: fairer than at saturation, where the faster server batches more. */
    cpuUsPerRequest: number;
    bareCpuUsPerRequest: number;
  };
  statuses: Record<string, number>;
  /** The hub's verified-token cache over the whole section (from its shutdown log line). */
  tokenCache?: { size: number; max: number; hits: number; misses: number; hitRate: number };
  rounds: Array<{ rps: number; bareRps: number; p99Ms: number; cpuUs: number; load: number }>;
  loadAverage: number[];
}

export interface VerifyResult {
  verify: Throughput;
  /** POST /v1/verify against invoke (its "bare" figures are invoke's, measured in the same rounds). */
  verifyApi: Throughput;
  reject: Throughput & { vsValid: number };
  seed: { tokens: number; method: string; ms: number };
}

/** The rounds of a hub and of its baseline, measured back to back, as one result. */
export function summarise(hubRuns: Measured[], bareRuns: Measured[]): Throughput {
  const statuses: Record<string, number> = {};
  for (const run of hubRuns) for (const [code, count] of Object.entries(run.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
  const hubCpu = Math.min(...hubRuns.map((r) => r.serverCpuUsPerRequest));
  const bareCpu = Math.min(...bareRuns.map((r) => r.serverCpuUsPerRequest));
  return {
    ratio: round(median(hubRuns.map((r, i) => r.rps / bareRuns[i].rps)), 3),
    rps: Math.round(median(hubRuns.map((r) => r.rps))),
    bareRps: Math.round(median(bareRuns.map((r) => r.rps))),
    p50Ms: round(median(hubRuns.map((r) => r.p50Ms)), 2),
    p99Ms: round(median(hubRuns.map((r) => r.p99Ms)), 2),
    bareP50Ms: round(median(bareRuns.map((r) => r.p50Ms)), 2),
    bareP99Ms: round(median(bareRuns.map((r) => r.p99Ms)), 2),
    cpuUsPerRequest: round(hubCpu, 1),
    bareCpuUsPerRequest: round(bareCpu, 1),
    cpuRatio: round(bareCpu / hubCpu, 3),
    statuses,
    rounds: hubRuns.map((r, i) => ({
      rps: Math.round(r.rps),
      bareRps: Math.round(bareRuns[i].rps),
      p99Ms: round(r.p99Ms, 2),
      cpuUs: round(r.serverCpuUsPerRequest, 1),
      load: r.load,
    })),
    loadAverage: hubRuns.map((r) => r.load),
  };
}

/** A hub's and its baseline's runs at the same fixed rate, as Throughput's atHalfLoad. */
export function atHalfLoad(rate: number, hub: Measured, bare: Measured): NonNullable<Throughput['atHalfLoad']> {
  return {
    rate,
    p50Ms: round(hub.p50Ms, 2),
    p99Ms: round(hub.p99Ms, 2),
    bareP50Ms: round(bare.p50Ms, 2),
    bareP99Ms: round(bare.p99Ms, 2),
    cpuUsPerRequest: round(hub.serverCpuUsPerRequest, 1),
    bareCpuUsPerRequest: round(bare.serverCpuUsPerRequest, 1),
  };
}

export function expectAll(run: Measured, status: number, what: string): void {
  const other = Object.entries(run.statuses).filter(([code]) => Number(code) !== status);
  if (other.length > 0 || run.errors > 0 || run.requests === 0) {
    throw new Error(`${what}: expected every answer to be ${status}, got ${JSON.stringify(run.statuses)} and ${run.errors} errors`);
  }
}

export async function benchVerify(kind: 'sqlite' | 'postgres', options: VerifyOptions): Promise<VerifyResult> {
  const dir = mkTemp('tokenhub-bench-verify-');
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  let hub: BenchHub | undefined;
  let rejectHub: BenchHub | undefined;
  let bare: BareServer | undefined;
  try {
    const db = pg ? await pg.createDatabase('bench') : path.join(dir, 'hub.db');
    progress(`verify/${kind}: seeding ${options.tokens} tokens through the store layer`);
    const seeded = await seed(db, 'bench', options.tokens, pg ? 8 : 1);
    const validFile = path.join(dir, 'valid.txt');
    const unknownFile = path.join(dir, 'unknown.txt');
    fs.writeFileSync(validFile, seeded.secrets.join('\n'));
    fs.writeFileSync(unknownFile, unknownTokens(options.tokens).join('\n'));

    const made = await runHubCli(['service-key', 'create', '--db', db]);
    if (made.code !== 0) throw new Error(`service-key create failed: ${made.stderr}`);
    const serviceKey = (JSON.parse(made.stdout.trim()) as { serviceKey: string }).serviceKey;
    hub = await startBenchHub(db, [], [], dir);
    // The brute-force path without the limiter stepping in: a window of 1 s and a limit no run reaches.
    rejectHub = await startBenchHub(db, ['--auth-failure-limit', '1000000', '--auth-failure-window', '1'], [], dir);
    bare = await startBare();
    const hubPid = hub.pid;
    const rejectPid = rejectHub.pid;
    const invokePath = `/v1/endpoints/${ENDPOINT}/invoke`;
    const base = { path: invokePath, method: 'POST' as const, connections: options.connections };
    const load = (url: string, tokensFile: string, seconds: number, overallRate?: number) => ({
      ...base,
      url,
      tokensFile,
      durationSec: seconds,
      ...(overallRate ? { overallRate } : {}),
    });

    const verifyApi = (seconds: number) => ({
      url: hub!.url,
      path: '/v1/verify',
      method: 'POST' as const,
      connections: options.connections,
      tokensFile: validFile,
      durationSec: seconds,
      serviceKey,
      verifyEndpoint: ENDPOINT,
    });

    progress(`verify/${kind}: warming up`);
    await runLoad(load(bare.url, validFile, options.warmupSec), bare.pid);
    expectAll(await runLoad(load(hub.url, validFile, options.warmupSec), hubPid), 200, 'valid tokens (warm-up)');
    expectAll(await runLoad(load(rejectHub.url, unknownFile, options.warmupSec), rejectPid), 401, 'unknown tokens (warm-up)');
    expectAll(await runLoad(verifyApi(options.warmupSec), hubPid), 200, 'verify API (warm-up)');

    const bareRuns: Measured[] = [];
    const hubRuns: Measured[] = [];
    const rejectRuns: Measured[] = [];
    const bareRejectRuns: Measured[] = [];
    const verifyApiRuns: Measured[] = [];
    for (let round = 0; round < options.rounds; round++) {
      progress(`verify/${kind}: round ${round + 1}/${options.rounds} (${options.durationSec} s each: bare, valid, verify API, bare, unknown)`);
      bareRuns.push(await runLoad(load(bare.url, validFile, options.durationSec), bare.pid));
      const valid = await runLoad(load(hub.url, validFile, options.durationSec), hubPid);
      expectAll(valid, 200, 'valid tokens');
      hubRuns.push(valid);
      const verified = await runLoad(verifyApi(options.durationSec), hubPid);
      expectAll(verified, 200, 'verify API');
      verifyApiRuns.push(verified);
      bareRejectRuns.push(await runLoad(load(bare.url, unknownFile, options.durationSec), bare.pid));
      const rejected = await runLoad(load(rejectHub.url, unknownFile, options.durationSec), rejectPid);
      expectAll(rejected, 401, 'unknown tokens');
      rejectRuns.push(rejected);
    }
    const verify = summarise(hubRuns, bareRuns);
    const reject = summarise(rejectRuns, bareRejectRuns);
    const verifyApiFigures = summarise(verifyApiRuns, hubRuns);

    // Latency below saturation: half of what the slower of the two managed, spread over the same 50 connections.
    const rate = Math.max(options.connections, Math.round(Math.min(verify.bareRps, verify.rps) / 2));
    progress(`verify/${kind}: latency at ${rate} req/s`);
    const bareHalf = await runLoad(load(bare.url, validFile, options.durationSec, rate), bare.pid);
    const hubHalf = await runLoad(load(hub.url, validFile, options.durationSec, rate), hubPid);
    expectAll(hubHalf, 200, 'valid tokens at half load');
    verify.atHalfLoad = atHalfLoad(rate, hubHalf, bareHalf);
    await hub.stop();
    await rejectHub.stop();
    verify.tokenCache = hub.tokenCache();
    // Unknown tokens are never cached: every one is a miss (the figure shows that nothing flatters it).
    reject.tokenCache = rejectHub.tokenCache();
    return {
      verify,
      verifyApi: verifyApiFigures,
      reject: { ...reject, vsValid: round(reject.rps / verify.rps, 3) },
      seed: { tokens: options.tokens, method: 'store layer (src/hub/stores), no HTTP', ms: Math.round(seeded.seedMs) },
    };
  } finally {
    await bare?.close();
    await hub?.stop();
    await rejectHub?.stop();
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
