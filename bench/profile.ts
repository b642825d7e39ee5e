// Where the hub spends its CPU on the invoke path: `node out/bench/profile.js [valid|unknown|list] [seconds=10] [sqlite|postgres]`
// (list: GET /v1/tokens?limit=200, the first page, with the account key, 10 connections)
// (after `npm run build && npm run build:tests`). Seeds 10,000 tokens, runs `node --cpu-prof dist/hub.js serve`,
// loads it with autocannon from another process (50 connections, random tokens), stops it, and prints the
// functions with the most self time from the .cpuprofile it wrote (and where the profile is, for Chrome DevTools).
// RATE=N: a fixed N requests/s instead of as many as the hub answers; TOP=N: how many functions to list.
import fs from 'fs';
import path from 'path';
import { startPostgres } from '../test/support/postgres';
import { mkTemp, progress, REPO } from './lib/common';
import { startBenchHub } from './lib/hub';
import { runLoad } from './lib/processes';
import { ENDPOINT, seed, unknownTokens } from './lib/seed';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time per function (µs), from the samples and their time deltas. */
export function selfTimes(profile: CpuProfile): Array<{ name: string; where: string; us: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').replace(REPO + '/', '')}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    total += us;
  }
  return [...byFunction.values()].sort((a, b) => b.us - a.us).map((e) => ({ ...e, share: e.us / total }));
}

async function main() {
  const mode = process.argv[2] === 'unknown' || process.argv[2] === 'list' ? process.argv[2] : 'valid';
  const seconds = Number(process.argv[3] ?? 10);
  const kind = process.argv[4] === 'postgres' ? 'postgres' : 'sqlite';
  const dir = mkTemp('tokenhub-bench-profile-');
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  try {
    const db = pg ? await pg.createDatabase('profile') : path.join(dir, 'hub.db');
    const seeded = await seed(db, 'bench', 10_000, pg ? 8 : 1);
    const tokensFile = path.join(dir, 'tokens.txt');
    const credentials = mode === 'valid' ? seeded.secrets : mode === 'list' ? [seeded.accountKey] : unknownTokens(10_000);
    fs.writeFileSync(tokensFile, credentials.join('\n'));
    const profDir = path.join(dir, 'prof');
    const hub = await startBenchHub(
      db,
      mode === 'unknown' ? ['--auth-failure-limit', '1000000', '--auth-failure-window', '1'] : [],
      ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
      dir,
    );
    const url = hub.url;
    progress(`profiling ${mode} tokens on ${kind} for ${seconds} s at ${url}`);
    const result = await runLoad(
      {
        url,
        ...(mode === 'list'
          ? { path: '/v1/tokens?limit=200', method: 'GET' as const, connections: 10 }
          : { path: `/v1/endpoints/${ENDPOINT}/invoke`, method: 'POST' as const, connections: 50 }),
        durationSec: seconds,
        tokensFile,
        ...(process.env.RATE ? { overallRate: Number(process.env.RATE) } : {}),
      },
      hub.pid,
    );
    await hub.stop();
    const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
    const kept = path.join(REPO, 'bench', 'results', `invoke-${mode}-${kind}.cpuprofile`);
    fs.mkdirSync(path.dirname(kept), { recursive: true });
    fs.copyFileSync(path.join(profDir, file), kept);
    const profile = JSON.parse(fs.readFileSync(kept, 'utf8')) as CpuProfile;
    console.log(
      `${Math.round(result.rps)} req/s, ${result.serverCpuUsPerRequest.toFixed(1)} µs CPU/request, statuses ${JSON.stringify(result.statuses)}, load ${result.load}`,
    );
    console.log(`profile: ${path.relative(process.cwd(), kept)}\n\nself time  share  function`);
    for (const entry of selfTimes(profile).slice(0, Number(process.env.TOP ?? 40))) {
      console.log(`${(entry.us / 1000).toFixed(0).padStart(7)} ms  ${(entry.share * 100).toFixed(1).padStart(4)}%  ${entry.name}  ${entry.where}`);
    }
  } finally {
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
