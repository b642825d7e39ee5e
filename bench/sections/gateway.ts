// Gateway throughput and latency: GET /v1/gateway/chat-completions/status/200 on a real hub process (10,000 tokens in
// its SQLite store, a random one per request, 50 connections, autocannon in its own process) forwarding to the
// project's upstream (src/dev/upstream.ts, its own process), against a bare node:http reverse proxy (bareProxy.ts,
// its own process) forwarding the same requests to the same upstream with no check. Rounds alternate the bare proxy
// and the hub; the ratio is the median of the rounds' ratios. The upstream's cost is in both.
import fs from 'fs';
import path from 'path';
import { runHubCli } from '../../test/support/hub';
import { startUpstream, type UpstreamProcess } from '../../test/support/upstream';
import { mkTemp, progress } from '../lib/common';
import { startBenchHub, type BenchHub } from '../lib/hub';
import { runLoad, startBare, type BareServer, type Measured } from '../lib/processes';
import { ENDPOINT, seed } from '../lib/seed';
import { atHalfLoad, expectAll, summarise, type Throughput, type VerifyOptions } from './verify';

export type GatewayResult = Throughput & { goal: number };

/** The gateway's goal: at least this share of a bare node:http proxy's throughput. */
export const GATEWAY_GOAL = 0.9;

export async function benchGateway(options: VerifyOptions): Promise<GatewayResult> {
  const dir = mkTemp('tokenhub-bench-gateway-');
  let upstream: UpstreamProcess | undefined;
  let hub: BenchHub | undefined;
  let bare: BareServer | undefined;
  try {
    const db = path.join(dir, 'hub.db');
    progress(`gateway: seeding ${options.tokens} tokens through the store layer`);
    const seeded = await seed(db, 'bench', options.tokens);
    const validFile = path.join(dir, 'valid.txt');
    fs.writeFileSync(validFile, seeded.secrets.join('\n'));
    upstream = await startUpstream();
    const set = await runHubCli(['endpoint', 'set-upstream', '--workspace', 'bench', '--id', ENDPOINT, upstream.url, '--db', db]);
    if (set.code !== 0) throw new Error(`endpoint set-upstream failed: ${set.stderr}`);
    hub = await startBenchHub(db, [], [], dir);
    bare = await startBare('bareProxy.js', [upstream.url]);
    const load = (url: string, seconds: number, overallRate?: number) => ({
      url,
      path: `/v1/gateway/${ENDPOINT}/status/200`,
      method: 'GET' as const,
      connections: options.connections,
      tokensFile: validFile,
      durationSec: seconds,
      ...(overallRate ? { overallRate } : {}),
    });

    progress('gateway: warming up');
    expectAll(await runLoad(load(bare.url, options.warmupSec), bare.pid), 200, 'bare proxy (warm-up)');
    expectAll(await runLoad(load(hub.url, options.warmupSec), hub.pid), 200, 'gateway (warm-up)');
    const bareRuns: Measured[] = [];
    const hubRuns: Measured[] = [];
    for (let i = 0; i < options.rounds; i++) {
      progress(`gateway: round ${i + 1}/${options.rounds} (${options.durationSec} s each: bare proxy, gateway)`);
      const bareRun = await runLoad(load(bare.url, options.durationSec), bare.pid);
      expectAll(bareRun, 200, 'bare proxy');
      bareRuns.push(bareRun);
      const hubRun = await runLoad(load(hub.url, options.durationSec), hub.pid);
      expectAll(hubRun, 200, 'gateway');
      hubRuns.push(hubRun);
    }
    const result = summarise(hubRuns, bareRuns);
    const rate = Math.max(options.connections, Math.round(Math.min(result.bareRps, result.rps) / 2));
    progress(`gateway: latency at ${rate} req/s`);
    const bareHalf = await runLoad(load(bare.url, options.durationSec, rate), bare.pid);
    const hubHalf = await runLoad(load(hub.url, options.durationSec, rate), hub.pid);
    expectAll(hubHalf, 200, 'gateway at half load');
    result.atHalfLoad = atHalfLoad(rate, hubHalf, bareHalf);
    return { ...result, goal: GATEWAY_GOAL };
  } finally {
    await bare?.close();
    await hub?.stop();
    await upstream?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
