// Two builds of the hub side by side, for before/after records of an optimisation:
//   node out/bench/compare.js --a OLD/dist/hub.js --b dist/hub.js [--mode valid|unknown|list] [--seconds 5] [--rounds 4]
//     [--rate 10000] [--db sqlite|postgres]
// (build the old one with `git archive <commit> src package.json tsconfig.json | tar -x -C DIR`, a node_modules link
// and `node esbuild.js` run in DIR). Both hubs and a bare node:http server share one seeded database and take turns,
// round after round, at saturation (50 connections) and at a fixed rate (where CPU per request compares fairly:
// at saturation a faster server also batches more per event-loop turn). `list`: GET /v1/tokens?limit=200 with the
// account key, 10 connections (the bare server answers a body of the first page's size); use a --rate near 300.
import fs from 'fs';
import path from 'path';
import { startPostgres } from '../test/support/postgres';
import { load1, machine, median, mkTemp, progress, round } from './lib/common';
import { startBenchHub, type BenchHub } from './lib/hub';
import { request } from './lib/http';
import { runLoad, startBare, type Measured } from './lib/processes';
import { ENDPOINT, seed, unknownTokens } from './lib/seed';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main() {
  const a = path.resolve(arg('a', ''));
  const b = path.resolve(arg('b', 'dist/hub.js'));
  const mode = arg('mode', 'valid');
  const seconds = Number(arg('seconds', '5'));
  const rounds = Number(arg('rounds', '4'));
  const rate = Number(arg('rate', '10000'));
  const kind = arg('db', 'sqlite');
  if (!fs.existsSync(a) || !fs.existsSync(b)) throw new Error('usage: compare --a HUB_JS --b HUB_JS [--mode valid|unknown] …');
  const dir = mkTemp('tokenhub-bench-compare-');
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  const hubs: Record<string, BenchHub> = {};
  const bare = await startBare();
  try {
    const db = pg ? await pg.createDatabase('compare') : path.join(dir, 'hub.db');
    const seeded = await seed(db, 'bench', 10_000, pg ? 8 : 1);
    const tokensFile = path.join(dir, 'tokens.txt');
    const credentials = mode === 'unknown' ? unknownTokens(10_000) : mode === 'list' ? [seeded.accountKey] : seeded.secrets;
    fs.writeFileSync(tokensFile, credentials.join('\n'));
    const limiterArgs = mode === 'unknown' ? ['--auth-failure-limit', '1000000', '--auth-failure-window', '1'] : [];
    for (const [name, bin] of [['A', a], ['B', b]] as const) {
      process.env.TOKENHUB_BENCH_HUB_BIN = bin;
      hubs[name] = await startBenchHub(db, limiterArgs, [], dir);
    }
    const hubPath = mode === 'list' ? '/v1/tokens?limit=200' : `/v1/endpoints/${ENDPOINT}/invoke`;
    const page = mode === 'list' ? await request(`${hubs.A.url}${hubPath}`, 'GET', { authorization: `Bearer ${seeded.accountKey}` }) : undefined;
    const targets = [
      { name: 'bare', url: bare.url, pid: bare.pid, path: page ? `/size/${Buffer.byteLength(page.body)}` : hubPath },
      { name: 'A', url: hubs.A.url, pid: hubs.A.pid, path: hubPath },
      { name: 'B', url: hubs.B.url, pid: hubs.B.pid, path: hubPath },
    ];
    const options = (t: { url: string; path: string }, durationSec: number, overallRate?: number) => ({
      url: t.url,
      path: t.path,
      method: mode === 'list' ? ('GET' as const) : ('POST' as const),
      connections: mode === 'list' ? 10 : 50,
      durationSec,
      tokensFile,
      ...(overallRate ? { overallRate } : {}),
    });
    for (const t of targets) await runLoad(options(t, 2), t.pid); // warm-up
    const saturated: Record<string, Measured[]> = { bare: [], A: [], B: [] };
    const fixed: Record<string, Measured[]> = { bare: [], A: [], B: [] };
    for (let r = 0; r < rounds; r++) {
      progress(`round ${r + 1}/${rounds}`);
      // Rotate the order so that no build always runs right after another.
      const order = [...targets.slice(r % 3), ...targets.slice(0, r % 3)];
      for (const t of order) saturated[t.name].push(await runLoad(options(t, seconds), t.pid));
      for (const t of order) fixed[t.name].push(await runLoad(options(t, seconds, rate), t.pid));
    }
    const m = machine();
    console.log(`\n${mode} tokens, ${kind}, ${rounds} rounds of ${seconds} s; ${m.cores} cores, Node ${m.node}, load ${load1()}`);
    console.log(`A = ${a}\nB = ${b}\n`);
    console.log('         saturated: req/s  ratio  p50 ms  p99 ms  CPU µs/req | at ' + rate + ' req/s: p50 ms  p99 ms  CPU µs/req');
    const bareRps = median(saturated.bare.map((x) => x.rps));
    for (const t of targets) {
      const s = saturated[t.name];
      const f = fixed[t.name];
      const statuses = [...s, ...f].map((x) => Object.keys(x.statuses).join('/'));
      console.log(
        `${t.name.padEnd(6)} ${String(Math.round(median(s.map((x) => x.rps)))).padStart(17)}  ${round(median(s.map((x) => x.rps)) / bareRps, 2).toFixed(2)}` +
          `  ${median(s.map((x) => x.p50Ms)).toFixed(2).padStart(6)}  ${median(s.map((x) => x.p99Ms)).toFixed(2).padStart(6)}` +
          `  ${Math.min(...s.map((x) => x.serverCpuUsPerRequest)).toFixed(1).padStart(10)} |` +
          `  ${median(f.map((x) => x.p50Ms)).toFixed(2).padStart(19)}  ${median(f.map((x) => x.p99Ms)).toFixed(2).padStart(6)}` +
          `  ${median(f.map((x) => x.serverCpuUsPerRequest)).toFixed(1).padStart(10)}   (statuses ${[...new Set(statuses)].join(' ')})`,
      );
    }
  } finally {
    await bare.close();
    for (const hub of Object.values(hubs)) await hub.stop();
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
