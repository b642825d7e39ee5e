// Throughput of POST /v1/endpoints/{id}/invoke on a real hub process against a bare node:http server answering the
// same JSON. Not a mocha test (it takes a minute): run `npm run build && npm run build:tests &&
// node out/test/hub/perf/invokeBench.js [seconds=10] [connections=32] [sqlite|postgres] [rounds=3]`.
// Reports req/s (best run) and server CPU time per request (lowest run), which is steadier on a busy machine.
import { spawn } from 'child_process';
import fs from 'fs';
import { startHub } from '../../support/hub';
import { startPostgres } from '../../support/postgres';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
// autocannon ships no type declarations; this is the part used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

/** CPU time (user + system) a process has used, in microseconds, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (100 Hz)
}

async function bare(): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const http = require('http');
       const body = JSON.stringify({ endpoint: 'chat-completions', tokenId: 'tok_0123456789abcdef' });
       const server = http.createServer((req, res) => {
         req.resume();
         req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }); res.end(body); });
       });
       server.listen(0, '127.0.0.1', () => console.log(server.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    close: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

interface Measure {
  rps: number;
  /** Server CPU time per request (µs): robust against other load on the machine, unlike req/s. */
  cpuPerRequest: number;
  p99: number;
}

async function run(url: string, pid: number, token: string, seconds: number, connections: number): Promise<Measure> {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({
    url: `${url}/v1/endpoints/chat-completions/invoke`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    connections,
    duration: seconds,
  });
  const non2xx = result.non2xx + result.errors;
  if (non2xx > 0) throw new Error(`${non2xx} requests failed`);
  const total = result.requests.average * seconds;
  return { rps: result.requests.average, cpuPerRequest: (cpuMicros(pid) - cpuBefore) / total, p99: result.latency.p99 };
}

async function main() {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 32);
  const kind = process.argv[4] ?? 'sqlite';
  const rounds = Number(process.argv[5] ?? 3);
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  const db = pg ? await pg.createDatabase('bench') : undefined;
  const hub = await startHub({ db, args: ['--log-level', 'warn'] });
  const server = await bare();
  try {
    const { accountKey } = await hub.init('bench', ['chat-completions']);
    const created = await fetch(`${hub.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accountKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', endpoints: ['chat-completions'] }),
    }).then((r) => r.json() as Promise<{ secret: string }>);
    // Warm both up, then measure each several times, alternating, and keep the best run of each.
    const hubPid = hub.process.pid!;
    await run(server.url, server.pid, created.secret, 2, connections);
    await run(hub.url, hubPid, created.secret, 2, connections);
    const bareRuns: Measure[] = [];
    const hubRuns: Measure[] = [];
    for (let i = 0; i < rounds; i++) {
      bareRuns.push(await run(server.url, server.pid, created.secret, seconds, connections));
      hubRuns.push(await run(hub.url, hubPid, created.secret, seconds, connections));
    }
    const best = (runs: Measure[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const cheapest = (runs: Measure[]) => Math.min(...runs.map((r) => r.cpuPerRequest));
    const b = best(bareRuns);
    const h = best(hubRuns);
    console.log(`runs (req/s): bare ${bareRuns.map((r) => r.rps.toFixed(0)).join(' ')} | hub ${hubRuns.map((r) => r.rps.toFixed(0)).join(' ')}`);
    console.log(`bare node:http: ${b.rps.toFixed(0)} req/s, p99 ${b.p99} ms, ${cheapest(bareRuns).toFixed(1)} µs CPU/request`);
    console.log(`hub invoke (${kind}): ${h.rps.toFixed(0)} req/s, p99 ${h.p99} ms, ${cheapest(hubRuns).toFixed(1)} µs CPU/request`);
    console.log(
      `ratio: throughput ${(h.rps / b.rps).toFixed(2)}, CPU efficiency ${(cheapest(bareRuns) / cheapest(hubRuns)).toFixed(2)}`,
    );
  } finally {
    await server.close();
    await hub.stop();
    await pg?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
