// Management calls as the extension makes them, one after another over one keep-alive connection: walking the token
// list page by page (limit 200), a search, creating tokens; then verify under load and the hub's memory. Measured
// with 1,000 up to 1,000,000 tokens in one workspace (seeded through the store layer in batches, not HTTP) to show
// whether the cost stays flat. Baselines: the same client against bare node:http answering a body of the same size,
// and for verify the same hub's figure at the smallest size.
import fs from 'fs';
import path from 'path';
import { cpuMicros, load1, median, mkTemp, msSince, percentileOfSorted, progress, round } from '../lib/common';
import { startBenchHub, type BenchHub } from '../lib/hub';
import { json, request } from '../lib/http';
import { runLoad, startBare, type BareServer } from '../lib/processes';
import { ENDPOINT, seed, seedWord } from '../lib/seed';

/** The searches' limit: the first term's matches among 1,000 tokens. */
const SEARCH_LIMIT = 10;

export interface ManageOptions {
  sizes: number[];
  /** Tokens walked page by page (limit 200). */
  walk: number;
  creates: number;
  searches: number;
  /** Seconds of verify load per size (0: none). */
  verifySec: number;
}

export interface SizeResult {
  tokens: number;
  seedMs: number;
  pages: number;
  perPageMs: number;
  perPageMedianMs: number;
  firstPageMs: number;
  /** The hub's CPU time per first page (200 tokens), over PAGE_CPU_REPS sequential requests (µs). */
  firstPageCpuUs: number;
  pageBytes: number;
  /** A 3-character term matching 1 % of the names ("z07"), limit SEARCH_LIMIT. */
  searchMs: number;
  /** A 6-letter word matching one name (or very few), limit SEARCH_LIMIT: the trigram index's case. */
  rareSearchMs: number;
  createPerOpMs: number;
  createP99Ms: number;
  /** invoke, 50 connections, random tokens among 20,000 of the seeded ones spread over the table. */
  verify?: { rps: number; cpuUsPerRequest: number; p99Ms: number; hitRate?: number };
  /** The hub's resident memory after everything above (MiB). */
  rssMiB: number;
  load: number;
}

export interface ManageResult {
  seedMethod: string;
  bySize: SizeResult[];
  barePageMs: number;
  barePostMs: number;
  /** The bare server's CPU time per page of the same bytes, over PAGE_CPU_REPS requests. */
  barePageCpuUs: number;
}

/**
 * Requests behind each CPU-per-page figure: /proc counts CPU time in 10 ms ticks, so a figure needs a second or so
 * of the server's work to be steady (the latency of one request on this machine varies by half from run to run).
 */
const PAGE_CPU_REPS = 300;

/** The CPU time a server spends per request over `reps` sequential requests (µs). */
async function cpuPerRequest(pid: number, reps: number, send: () => Promise<unknown>): Promise<number> {
  const before = cpuMicros(pid);
  for (let i = 0; i < reps; i++) await send();
  return (cpuMicros(pid) - before) / reps;
}

interface Page {
  data: Array<{ id: string }>;
  nextCursor: string | null;
}

async function bareBaseline(bare: BareServer, pageBytes: number, reps: number): Promise<{ pageMs: number; postMs: number; pageCpuUs: number }> {
  const page: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < reps + 5; i++) {
    let started = process.hrtime.bigint();
    await request(`${bare.url}/size/${pageBytes}`, 'GET');
    if (i >= 5) page.push(msSince(started));
    started = process.hrtime.bigint();
    await request(`${bare.url}/v1/tokens`, 'POST', {}, JSON.stringify({ name: `x-${i}`, endpoints: [ENDPOINT] }));
    if (i >= 5) post.push(msSince(started));
  }
  const pageCpuUs = await cpuPerRequest(bare.pid, PAGE_CPU_REPS, () => request(`${bare.url}/size/${pageBytes}`, 'GET'));
  return { pageMs: median(page), postMs: median(post), pageCpuUs };
}

/** VmRSS of a process, MiB. */
function residentMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? round(Number(match[1]) / 1024, 1) : NaN;
}

async function measureSize(tokens: number, options: ManageOptions): Promise<SizeResult> {
  const dir = mkTemp('tokenhub-bench-manage-');
  let hub: BenchHub | undefined;
  try {
    const db = path.join(dir, 'hub.db');
    progress(`manage: seeding ${tokens} tokens through the store layer`);
    const seeded = await seed(db, 'bench', tokens);
    hub = await startBenchHub(db, [], [], dir);
    const auth = { authorization: `Bearer ${seeded.accountKey}` };
    const list = (cursor: string | null, limit = 200, search?: string) =>
      json<Page>(
        `${hub!.url}/v1/tokens?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}${search ? `&search=${encodeURIComponent(search)}` : ''}`,
        'GET',
        auth,
      );
    // Warm up: a few pages.
    for (let i = 0; i < 5; i++) await list(null);

    progress(`manage/${tokens}: walking ${Math.min(tokens, options.walk)} tokens, 200 a page`);
    const pageTimes: number[] = [];
    let cursor: string | null = null;
    let seen = 0;
    let pageBytes = 0;
    do {
      const started = process.hrtime.bigint();
      const answer = await request(
        `${hub.url}/v1/tokens?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        'GET',
        auth,
      );
      pageTimes.push(msSince(started));
      if (answer.status !== 200) throw new Error(`list: ${answer.status}`);
      const page = JSON.parse(answer.body) as Page;
      pageBytes = Math.max(pageBytes, Buffer.byteLength(answer.body));
      seen += page.data.length;
      cursor = page.nextCursor;
    } while (cursor && seen < options.walk);

    const firstPage: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = process.hrtime.bigint();
      await list(null);
      firstPage.push(msSince(started));
    }
    const firstPageCpuUs = await cpuPerRequest(hub.pid, PAGE_CPU_REPS, () => list(null));

    // A 3-character term matching one name in a hundred, spread evenly (seedName's tag), and a term matching one.
    // The limit is what 1,000 tokens hold of the first term, so every size answers the same number of tokens and
    // only the table grows (with 50, the 1,000-token answer was a fifth of the others' bytes).
    const searchTimes: number[] = [];
    const rareTimes: number[] = [];
    for (let i = 0; i < options.searches; i++) {
      let started = process.hrtime.bigint();
      const common = await list(null, SEARCH_LIMIT, `z0${String(i % 10)}`);
      searchTimes.push(msSince(started));
      if (common.data.length !== Math.min(SEARCH_LIMIT, Math.floor(tokens / 100))) throw new Error(`search z0${i % 10}: ${common.data.length} tokens`);
      const rare = seedWord(Math.floor(((i + 0.5) / options.searches) * tokens));
      started = process.hrtime.bigint();
      const one = await list(null, SEARCH_LIMIT, rare);
      rareTimes.push(msSince(started));
      if (one.data.length < 1 || one.data.length > 5) throw new Error(`search ${rare}: ${one.data.length} tokens`);
    }

    progress(`manage/${tokens}: creating ${options.creates} tokens one after another`);
    const createTimes: number[] = [];
    for (let i = 0; i < options.creates; i++) {
      const started = process.hrtime.bigint();
      await json(`${hub.url}/v1/tokens`, 'POST', auth, { name: `bench-${String(i).padStart(6, '0')}`, endpoints: [ENDPOINT] }, 201);
      createTimes.push(msSince(started));
    }
    const sortedCreates = [...createTimes].sort((a, b) => a - b);

    let verify: SizeResult['verify'];
    if (options.verifySec > 0) {
      progress(`manage/${tokens}: verify for ${options.verifySec} s`);
      const tokensFile = path.join(dir, 'valid.txt');
      const step = Math.max(1, Math.floor(seeded.secrets.length / 20_000));
      fs.writeFileSync(tokensFile, seeded.secrets.filter((_, i) => i % step === 0).join('\n'));
      const base = { url: hub.url, path: `/v1/endpoints/${ENDPOINT}/invoke`, method: 'POST' as const, connections: 50, tokensFile };
      await runLoad({ ...base, durationSec: 1 }, hub.pid); // warm-up
      const run = await runLoad({ ...base, durationSec: options.verifySec }, hub.pid);
      if ((run.statuses['200'] ?? 0) !== run.requests) throw new Error(`verify: ${JSON.stringify(run.statuses)}`);
      verify = { rps: Math.round(run.rps), cpuUsPerRequest: round(run.serverCpuUsPerRequest, 1), p99Ms: round(run.p99Ms, 2) };
    }
    const rssMiB = residentMiB(hub.pid);
    await hub.stop();
    if (verify) verify.hitRate = hub.tokenCache()?.hitRate;
    return {
      tokens,
      seedMs: Math.round(seeded.seedMs),
      pages: pageTimes.length,
      perPageMs: round(pageTimes.reduce((a, b) => a + b, 0) / pageTimes.length, 3),
      perPageMedianMs: round(median(pageTimes), 3),
      firstPageMs: round(median(firstPage), 3),
      firstPageCpuUs: round(firstPageCpuUs, 1),
      pageBytes,
      searchMs: round(median(searchTimes), 3),
      rareSearchMs: round(median(rareTimes), 3),
      createPerOpMs: round(createTimes.reduce((a, b) => a + b, 0) / createTimes.length, 3),
      createP99Ms: round(percentileOfSorted(sortedCreates, 99), 3),
      verify,
      rssMiB,
      load: load1(),
    };
  } finally {
    await hub?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchManage(options: ManageOptions): Promise<ManageResult> {
  const bySize: SizeResult[] = [];
  for (const size of options.sizes) bySize.push(await measureSize(size, options));
  const bare = await startBare();
  try {
    const pageBytes = Math.max(...bySize.map((s) => s.pageBytes));
    const { pageMs, postMs, pageCpuUs } = await bareBaseline(bare, pageBytes, 50);
    return {
      seedMethod: 'store layer (src/hub/stores/sqlite), no HTTP',
      bySize,
      barePageMs: round(pageMs, 3),
      barePostMs: round(postMs, 3),
      barePageCpuUs: round(pageCpuUs, 1),
    };
  } finally {
    await bare.close();
  }
}
