// Throughput of POST /v1/endpoints/{id}/invoke on a real hub process against a bare node:http server answering the
// same JSON. Not a mocha test (it takes ~25 s): run `npm run build && npm run build:tests &&
// node out/test/hub/perf/invokeBench.js [seconds] [connections] [sqlite|postgres]`.
import { spawn } from 'child_process';
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

async function bare(): Promise<{ url: string; close(): Promise<void> }> {
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
    close: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

async function run(url: string, token: string, seconds: number, connections: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/v1/endpoints/chat-completions/invoke`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    connections,
    duration: seconds,
  });
  const non2xx = result.non2xx + result.errors;
  if (non2xx > 0) throw new Error(`${non2xx} requests failed`);
  return result.requests.average;
}

async function main() {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 32);
  const kind = process.argv[4] ?? 'sqlite';
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
    // Warm both up, then measure each twice, alternating, and keep the best run of each.
    await run(server.url, created.secret, 2, connections);
    await run(hub.url, created.secret, 2, connections);
    const bareRuns: number[] = [];
    const hubRuns: number[] = [];
    for (let i = 0; i < 2; i++) {
      bareRuns.push(await run(server.url, created.secret, seconds, connections));
      hubRuns.push(await run(hub.url, created.secret, seconds, connections));
    }
    const b = Math.max(...bareRuns);
    const h = Math.max(...hubRuns);
    console.log(`bare node:http ${b.toFixed(0)} req/s, hub invoke (${kind}) ${h.toFixed(0)} req/s, ratio ${(h / b).toFixed(2)}`);
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
