// Management calls as the extension makes them, one after another over one keep-alive connection: walking the token
// list page by page (limit 200), a search, creating tokens. Measured with 1,000 / 10,000 / 100,000 tokens in the
// store (seeded through the store layer, not HTTP) to show whether the cost stays flat. Baseline: the same client
// against bare node:http answering a body of the same size.
import fs from 'fs';
import path from 'path';
import { load1, median, mkTemp, msSince, percentileOfSorted, progress, round } from '../lib/common';
import { startBenchHub, type BenchHub } from '../lib/hub';
import { json, request } from '../lib/http';
import { startBare, type BareServer } from '../lib/processes';
import { ENDPOINT, seed } from '../lib/seed';

export interface ManageOptions {
  sizes: number[];
  /** Tokens walked page by page (limit 200). */
  walk: number;
  creates: number;
  searches: number;
}

export interface SizeResult {
  tokens: number;
  seedMs: number;
  pages: number;
  perPageMs: number;
  perPageMedianMs: number;
  firstPageMs: number;
  pageBytes: number;
  searchMs: number;
  createPerOpMs: number;
  createP99Ms: number;
  load: number;
}

export interface ManageResult {
  seedMethod: string;
  bySize: SizeResult[];
  barePageMs: number;
  barePostMs: number;
}

interface Page {
  data: Array<{ id: string }>;
  nextCursor: string | null;
}

async function bareBaseline(bare: BareServer, pageBytes: number, reps: number): Promise<{ pageMs: number; postMs: number }> {
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
  return { pageMs: median(page), postMs: median(post) };
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

    // A search that matches about one name in a hundred: LIKE '%…%' cannot use an index.
    const searchTimes: number[] = [];
    for (let i = 0; i < options.searches; i++) {
      const started = process.hrtime.bigint();
      await list(null, 50, `seed-0${String(i % 10)}`);
      searchTimes.push(msSince(started));
    }

    progress(`manage/${tokens}: creating ${options.creates} tokens one after another`);
    const createTimes: number[] = [];
    for (let i = 0; i < options.creates; i++) {
      const started = process.hrtime.bigint();
      await json(`${hub.url}/v1/tokens`, 'POST', auth, { name: `bench-${String(i).padStart(6, '0')}`, endpoints: [ENDPOINT] }, 201);
      createTimes.push(msSince(started));
    }
    const sortedCreates = [...createTimes].sort((a, b) => a - b);
    return {
      tokens,
      seedMs: Math.round(seeded.seedMs),
      pages: pageTimes.length,
      perPageMs: round(pageTimes.reduce((a, b) => a + b, 0) / pageTimes.length, 3),
      perPageMedianMs: round(median(pageTimes), 3),
      firstPageMs: round(median(firstPage), 3),
      pageBytes,
      searchMs: round(median(searchTimes), 3),
      createPerOpMs: round(createTimes.reduce((a, b) => a + b, 0) / createTimes.length, 3),
      createP99Ms: round(percentileOfSorted(sortedCreates, 99), 3),
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
    const { pageMs, postMs } = await bareBaseline(bare, pageBytes, 50);
    return { seedMethod: 'store layer (src/hub/stores/sqlite), no HTTP', bySize, barePageMs: round(pageMs, 3), barePostMs: round(postMs, 3) };
  } finally {
    await bare.close();
  }
}
