// The load generator of `npm run bench`, run as its own process (never inside the server measured): autocannon
// with the options given as JSON in argv[2]; prints one JSON line with throughput and exact latency percentiles
// (autocannon's own histogram has 1 ms resolution; every response time is kept here instead).
import fs from 'fs';

export interface LoadOptions {
  url: string;
  path: string;
  method: 'GET' | 'POST';
  connections: number;
  durationSec: number;
  /** A file with one secret a line: each request sends a random one as its Bearer token. */
  tokensFile?: string;
  /** Total requests per second across connections (open-ish loop); omitted: as fast as answers come. */
  overallRate?: number;
  body?: string;
  contentType?: string;
  /**
   * POST /v1/verify: the Authorization is this service key and each request's body carries a random secret of
   * tokensFile, as {"token", "endpoint": verifyEndpoint}.
   */
  serviceKey?: string;
  verifyEndpoint?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  /** Count per HTTP status. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

interface Instance extends Promise<{ errors: number; timeouts: number; duration: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
// autocannon ships no type declarations; this is the part used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Instance;

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function main() {
  const options = JSON.parse(process.argv[2]) as LoadOptions;
  const tokens = options.tokensFile ? fs.readFileSync(options.tokensFile, 'utf8').split('\n').filter(Boolean) : [];
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  const request: Record<string, unknown> = { method: options.method, path: options.path, headers };
  if (options.body !== undefined) request.body = options.body;
  if (tokens.length > 0 && options.serviceKey !== undefined) {
    const verifyHeaders = { ...headers, 'content-type': 'application/json', authorization: `Bearer ${options.serviceKey}` };
    request.setupRequest = (req: { headers?: Record<string, string>; body?: string }) => {
      req.headers = verifyHeaders;
      req.body = JSON.stringify({ token: tokens[(Math.random() * tokens.length) | 0], endpoint: options.verifyEndpoint });
      return req;
    };
  } else if (tokens.length > 0) {
    request.setupRequest = (req: { headers?: Record<string, string> }) => {
      req.headers = { ...headers, authorization: `Bearer ${tokens[(Math.random() * tokens.length) | 0]}` };
      return req;
    };
  }
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const statuses: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    requests: [request],
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = ms;
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const out: LoadResult = {
    requests: n,
    seconds: result.duration || seconds,
    rps: n / (result.duration || seconds),
    p50Ms: pct(sorted, 50),
    p90Ms: pct(sorted, 90),
    p99Ms: pct(sorted, 99),
    p999Ms: pct(sorted, 99.9),
    maxMs: n > 0 ? sorted[n - 1] : NaN,
    meanMs: n > 0 ? sum / n : NaN,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  process.stderr.write(`loadgen: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
