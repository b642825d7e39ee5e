// `npm run bench [-- --quick] [-- --only verify,gateway,manage,env,scan,usages,bundle,vscode] [-- --no-postgres] [-- --postgres]
//   [-- --no-vscode] [-- --seconds N] [-- --rounds N] [-- --hub-bin PATH]` (--seconds/--rounds: of each verify run;
//   --hub-bin: another build of dist/hub.js, e.g. of an earlier commit, to compare)
//
// Measures the hub and the extension against their physical limits, side by side: every number comes with a baseline
// measured in the same run on the same machine (bare node:http, one dotenv parse, one regex pass, an empty extension…)
// and the ratio between them. Writes bench/results/latest.json (git-ignored) and prints a table on stdout; progress
// goes to stderr. Load averages are recorded with each measure: on a shared machine, read req/s with them, and
// prefer the CPU time per request, which other processes disturb much less.
//
// --quick: smaller sizes and 2-second runs, no PostgreSQL, no VS Code (under a minute); the table says so.
import fs from 'fs';
import path from 'path';
import { machine, progress, RESULTS_DIR, round, type MachineState } from './lib/common';
import { hubBin } from './lib/hub';
import { benchBundle, type BundleResult } from './sections/bundle';
import { benchGateway, type GatewayResult } from './sections/gateway';
import { benchEnv, benchScan, type EnvResult, type ScanResult } from './sections/local';
import { benchManage, type ManageResult } from './sections/manage';
import { benchUsages, type UsagesResult } from './sections/usages';
import { benchVerify, type VerifyResult } from './sections/verify';
import { benchVsCode, type VsCodeResult } from './sections/vscode';

const SECTIONS = ['verify', 'gateway', 'manage', 'env', 'scan', 'usages', 'bundle', 'vscode'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  seconds?: number;
  rounds?: number;
  only: Set<Section>;
  postgres: boolean;
  vscode: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(SECTIONS), postgres: true, vscode: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--no-postgres') args.postgres = false;
    else if (arg === '--no-vscode') args.vscode = false;
    else if (arg === '--postgres') args.postgres = true;
    else if (arg === '--seconds') args.seconds = Number(argv[++i]);
    else if (arg === '--rounds') args.rounds = Number(argv[++i]);
    else if (arg === '--hub-bin' || arg.startsWith('--hub-bin=')) {
      process.env.TOKENHUB_BENCH_HUB_BIN = path.resolve(arg.includes('=') ? arg.slice(10) : argv[++i]);
    }
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice(7) : argv[++i];
      const wanted = (value ?? '').split(',').map((s) => (s.trim() === 'reject' ? 'verify' : s.trim()));
      for (const w of wanted) if (!(SECTIONS as readonly string[]).includes(w)) throw new Error(`--only: unknown section "${w}" (${SECTIONS.join(', ')})`);
      args.only = new Set(wanted as Section[]);
    } else {
      throw new Error(
        `unknown argument ${arg}\nusage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--no-postgres] [--postgres] ` +
          '[--no-vscode] [--seconds N] [--rounds N] [--hub-bin PATH]',
      );
    }
  }
  if (args.quick) {
    args.postgres = argv.includes('--postgres');
    args.vscode = false;
  }
  return args;
}

interface Results {
  mode: 'full' | 'quick';
  startedAt: string;
  durationSec?: number;
  machine: MachineState;
  machineAtEnd?: MachineState;
  hubBin: string;
  /** The sections this run measured (--only). */
  sections: string[];
  skipped: string[];
  verify: Partial<Record<'sqlite' | 'postgres', VerifyResult['verify']>>;
  reject: Partial<Record<'sqlite' | 'postgres', VerifyResult['reject']>>;
  /** POST /v1/verify with a service key against invoke in the same rounds (ratio: verify API ÷ invoke). */
  verifyApi: Partial<Record<'sqlite' | 'postgres', VerifyResult['verifyApi']>>;
  seed?: Partial<Record<'sqlite' | 'postgres', VerifyResult['seed']>>;
  /** The gateway against a bare node:http proxy to the same upstream (SQLite). */
  gateway?: GatewayResult;
  list?: {
    perPageMs: number;
    barePageMs: number;
    ratio: number;
    /** The hub's CPU time per first page at 10,000 tokens, the bare server's for the same bytes, and their ratio. */
    pageCpuUs: number;
    barePageCpuUs: number;
    cpuRatio: number;
    /** per-page cost with the largest store ÷ with the smallest: 1 is flat. */
    growth: number;
    searchGrowth: number;
    seedMethod: string;
    /** rare-term search at the largest store ÷ at the smallest. */
    rareSearchGrowth: number;
    bySize: Array<{
      tokens: number;
      perPageMs: number;
      firstPageMs: number;
      searchMs: number;
      rareSearchMs: number;
      pages: number;
      pageBytes: number;
      seedMs: number;
      rssMiB: number;
      verify?: { rps: number; cpuUsPerRequest: number; p99Ms: number; hitRate?: number };
      load: number;
    }>;
  };
  create?: {
    perOpMs: number;
    barePostMs: number;
    ratio: number;
    growth: number;
    bySize: Array<{ tokens: number; perOpMs: number; p99Ms: number }>;
  };
  extension?: Partial<BundleResult & VsCodeResult>;
  env?: EnvResult;
  scan?: ScanResult;
  usages?: UsagesResult;
  errors: Record<string, string>;
}

const fmt = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));

function table(results: Results): string {
  const rows: string[][] = [['measure', 'value', 'baseline', 'ratio', 'goal', 'load']];
  const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✓' : ' ✗');
  for (const kind of ['sqlite', 'postgres'] as const) {
    const v = results.verify[kind];
    if (v) {
      rows.push([`verify ${kind} (req/s)`, `${v.rps}`, `${v.bareRps} bare`, fmt(v.ratio), kind === 'sqlite' ? `≥ 0.75${mark(v.ratio >= 0.75)}` : '', fmt(Math.max(...v.loadAverage), 1)]);
      rows.push([`  latency p50 / p99 (ms)`, `${fmt(v.p50Ms)} / ${fmt(v.p99Ms)}`, `${fmt(v.bareP50Ms)} / ${fmt(v.bareP99Ms)}`, fmt(v.p99Ms / v.bareP99Ms), kind === 'sqlite' ? `p99 < 5${mark(v.p99Ms < 5)}` : '', '']);
      if (v.atHalfLoad) {
        const h = v.atHalfLoad;
        rows.push([`  at ${h.rate} req/s: p50 / p99 (ms)`, `${fmt(h.p50Ms)} / ${fmt(h.p99Ms)}`, `${fmt(h.bareP50Ms)} / ${fmt(h.bareP99Ms)}`, fmt(h.p99Ms / h.bareP99Ms), '', '']);
        rows.push([`  at ${h.rate} req/s: CPU µs/request`, fmt(h.cpuUsPerRequest, 1), fmt(h.bareCpuUsPerRequest, 1), fmt(h.bareCpuUsPerRequest / h.cpuUsPerRequest), '', '']);
      }
      rows.push([`  CPU µs/request (saturated)`, fmt(v.cpuUsPerRequest, 1), fmt(v.bareCpuUsPerRequest, 1), fmt(v.cpuRatio), '', '']);
      if (v.tokenCache) rows.push([`  token cache hit rate`, fmt(v.tokenCache.hitRate, 3), `${v.tokenCache.size} of ${v.tokenCache.max} kept`, '', '', '']);
    }
    const a = results.verifyApi[kind];
    if (a) {
      rows.push([`verify API ${kind} (req/s)`, `${a.rps}`, `${a.bareRps} invoke`, fmt(a.ratio), '', fmt(Math.max(...a.loadAverage), 1)]);
      rows.push([`  latency p50 / p99 (ms)`, `${fmt(a.p50Ms)} / ${fmt(a.p99Ms)}`, `${fmt(a.bareP50Ms)} / ${fmt(a.bareP99Ms)}`, fmt(a.p99Ms / a.bareP99Ms), '', '']);
      rows.push([`  CPU µs/request (saturated)`, fmt(a.cpuUsPerRequest, 1), fmt(a.bareCpuUsPerRequest, 1), fmt(a.cpuRatio), '', '']);
    }
    const r = results.reject[kind];
    if (r) {
      rows.push([`reject ${kind} (req/s)`, `${r.rps}`, `${r.bareRps} bare`, fmt(r.ratio), `≥ valid${mark(r.vsValid >= 0.97)} (${fmt(r.vsValid)}×)`, fmt(Math.max(...r.loadAverage), 1)]);
      rows.push([`  latency p50 / p99 (ms)`, `${fmt(r.p50Ms)} / ${fmt(r.p99Ms)}`, `${fmt(r.bareP50Ms)} / ${fmt(r.bareP99Ms)}`, fmt(r.p99Ms / r.bareP99Ms), '', '']);
      rows.push([`  CPU µs/request (saturated)`, fmt(r.cpuUsPerRequest, 1), fmt(r.bareCpuUsPerRequest, 1), fmt(r.cpuRatio), '', '']);
    }
  }
  if (results.gateway) {
    const g = results.gateway;
    rows.push([`gateway sqlite (req/s)`, `${g.rps}`, `${g.bareRps} bare proxy`, fmt(g.ratio), `≥ ${g.goal}${mark(g.ratio >= g.goal)}`, fmt(Math.max(...g.loadAverage), 1)]);
    rows.push([`  latency p50 / p99 (ms)`, `${fmt(g.p50Ms)} / ${fmt(g.p99Ms)}`, `${fmt(g.bareP50Ms)} / ${fmt(g.bareP99Ms)}`, fmt(g.p99Ms / g.bareP99Ms), '', '']);
    if (g.atHalfLoad) {
      const h = g.atHalfLoad;
      rows.push([`  at ${h.rate} req/s: p50 / p99 (ms)`, `${fmt(h.p50Ms)} / ${fmt(h.p99Ms)}`, `${fmt(h.bareP50Ms)} / ${fmt(h.bareP99Ms)}`, fmt(h.p99Ms / h.bareP99Ms), '', '']);
      rows.push([`  at ${h.rate} req/s: CPU µs/request`, fmt(h.cpuUsPerRequest, 1), fmt(h.bareCpuUsPerRequest, 1), fmt(h.bareCpuUsPerRequest / h.cpuUsPerRequest), '', '']);
    }
    rows.push([`  CPU µs/request (saturated)`, fmt(g.cpuUsPerRequest, 1), fmt(g.bareCpuUsPerRequest, 1), fmt(g.cpuRatio), '', '']);
  }
  if (results.list) {
    const l = results.list;
    rows.push([`list page of 200 (ms)`, fmt(l.perPageMs, 3), `${fmt(l.barePageMs, 3)} bare`, fmt(l.ratio), `≤ 2×${mark(l.ratio <= 2)}`, '']);
    rows.push([`  CPU µs per page (same bytes)`, fmt(l.pageCpuUs, 1), `${fmt(l.barePageCpuUs, 1)} bare`, fmt(l.cpuRatio), `≤ 2×${mark(l.cpuRatio <= 2)}`, '']);
    for (const s of l.bySize) {
      rows.push([`  ${s.tokens} tokens: page / search 1 % / search 1 (ms)`, `${fmt(s.perPageMs, 3)} / ${fmt(s.searchMs, 3)} / ${fmt(s.rareSearchMs, 3)}`, '', '', '', fmt(s.load, 1)]);
      if (s.verify) {
        const v = s.verify;
        rows.push([`    verify req/s, CPU µs, hit rate; hub RSS`, `${v.rps}, ${fmt(v.cpuUsPerRequest, 1)}, ${fmt(v.hitRate, 3)}; ${fmt(s.rssMiB, 0)} MiB`, '', '', '', '']);
      }
    }
    const smallest = l.bySize[0];
    const largest = l.bySize[l.bySize.length - 1];
    rows.push([`  growth largest ÷ smallest`, `page ${fmt(l.growth)}×`, '', '', `flat${mark(l.growth < 1.5)}`, '']);
    rows.push([`  search growth (1 % / 1 match)`, `${fmt(l.searchGrowth)}× / ${fmt(l.rareSearchGrowth)}×`, '', '', `≤ 2×${mark(l.searchGrowth <= 2 && l.rareSearchGrowth <= 2)}`, '']);
    if (smallest.verify && largest.verify) {
      const cpu = largest.verify.cpuUsPerRequest / smallest.verify.cpuUsPerRequest;
      rows.push([`  verify CPU growth`, `${fmt(cpu)}×`, `${fmt(smallest.verify.cpuUsPerRequest, 1)} µs at ${smallest.tokens}`, '', '', '']);
    }
  }
  if (results.create) {
    const c = results.create;
    rows.push([`create token (ms/op)`, fmt(c.perOpMs, 3), `${fmt(c.barePostMs, 3)} bare`, fmt(c.ratio), '', '']);
    rows.push([`  growth largest ÷ smallest`, `${fmt(c.growth)}×`, '', '', `flat${mark(c.growth < 1.5)}`, '']);
  }
  const e = results.extension;
  if (e?.bundleBytes !== undefined) {
    rows.push([`bundle dist/extension.js (KiB)`, fmt(e.bundleBytes / 1024, 1), `${fmt((e.bundleGoalBytes ?? 0) / 1024, 0)} goal`, fmt(e.bundleBytes / (e.bundleGoalBytes ?? 1)), `< 150${mark(e.bundleBytes < (e.bundleGoalBytes ?? 0))}`, '']);
    if (e.bundleWithoutBrowserAdaptersBytes !== undefined) {
      rows.push([`  what-if: no axios xhr/fetch`, fmt(e.bundleWithoutBrowserAdaptersBytes / 1024, 1), '', '', '(not applied)', '']);
    }
  }
  if (e?.activationMs !== undefined) {
    rows.push([`activation in VS Code (ms)`, fmt(e.activationMs, 1), `${fmt(e.baselineActivationMs, 1)} empty ext.`, fmt(e.activationRatio), `< 50${mark(e.activationMs < 50)}`, fmt(e.load, 1)]);
    if (e.activationRuns) rows.push([`  each launch (ms)`, e.activationRuns.map((x) => fmt(x, 1)).join(' / '), '', '', '', '']);
    rows.push([`  code loading (ms)`, fmt(e.codeLoadMs, 1), '', '', '', '']);
    const count = e.treeTokens?.toLocaleString('en-US') ?? '?';
    rows.push([`tree: first page of ${count} (ms)`, fmt(e.treeFirstPageMs, 1), `${fmt(e.treeBaselineMs, 1)} listTokens`, fmt(e.treeRatio), `< 50${mark(e.treeFirstPageMs !== undefined && e.treeFirstPageMs < 50)}`, '']);
    rows.push([`tree: Load More (ms)`, fmt(e.treeLoadMoreMs, 1), '', '', `< 50${mark(e.treeLoadMoreMs !== undefined && e.treeLoadMoreMs < 50)}`, '']);
  }
  if (results.env) {
    const v = results.env;
    rows.push([`.env insert, 10k lines (ms)`, fmt(v.insert10kMs, 2), `${fmt(v.parse10kMs, 2)} 1 parse`, fmt(v.ratio), `< 20${mark(v.insert10kMs < 20)}`, fmt(v.load, 1)]);
    rows.push([
      `  ms per 1k lines ${v.bySize.map((s) => `${s.lines / 1000}k`).join(' / ')}`,
      v.bySize.map((s) => fmt(s.perKLineMs, 3)).join(' / '),
      `parse ×${fmt(v.parseLinearity)}`,
      `${fmt(v.linearity)}`,
      `linear${mark(v.linearity < 1.5 || v.linearity <= v.parseLinearity * 1.2)}`,
      '',
    ]);
  }
  if (results.scan) {
    const s = results.scan;
    rows.push([`leak scan 10 MB (ms)`, fmt(s.scanMs, 1), `${fmt(s.baselineMs, 1)} 1 regex`, fmt(s.ratio), '', fmt(s.load, 1)]);
  }
  if (results.usages) {
    const u = results.usages;
    rows.push([`usage index, ${u.files.toLocaleString('en')} files (files/s)`, `${u.filesPerSecond}`, `${u.plainFilesPerSecond} plain read`, fmt(1 / u.ratio), '', fmt(u.load, 1)]);
    rows.push([`  first build / plain read (ms)`, fmt(u.buildMs, 0), fmt(u.plainReadMs, 0), fmt(u.ratio), '', '']);
    rows.push([`  one edit: 2 KB text / from disk / 1 MB text (ms)`, `${fmt(u.editTextMs, 3)} / ${fmt(u.editFileMs, 3)} / ${fmt(u.editLargeTextMs, 2)}`, '', '', '', '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ').trimEnd());
  if (e?.bundleByPackage) {
    const parts = Object.entries(e.bundleByPackage).sort((a, b) => b[1] - a[1]).map(([name, bytes]) => `${name} ${fmt(bytes / 1024, 1)}`);
    lines.push('', `bundle by package (KiB): ${parts.join(', ')}`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const results: Results = {
    mode: args.quick ? 'quick' : 'full',
    startedAt: new Date(started).toISOString(),
    machine: machine(),
    hubBin: hubBin(),
    sections: [...args.only],
    skipped: [],
    verify: {},
    reject: {},
    verifyApi: {},
    errors: {},
  };
  const q = args.quick;
  const attempt = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      results.errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      progress(`${name} FAILED: ${results.errors[name]}`);
    }
  };

  if (args.only.has('verify')) {
    const kinds: Array<'sqlite' | 'postgres'> = args.postgres ? ['sqlite', 'postgres'] : ['sqlite'];
    if (!args.postgres) results.skipped.push('verify.postgres and reject.postgres (--quick or --no-postgres)');
    for (const kind of kinds) {
      await attempt(`verify.${kind}`, async () => {
        const r = await benchVerify(kind, {
          tokens: 10_000,
          connections: 50,
          durationSec: args.seconds ?? (q ? 2 : 6),
          warmupSec: q ? 1 : 2,
          rounds: args.rounds ?? (q ? 1 : 4),
        });
        results.verify[kind] = r.verify;
        results.reject[kind] = r.reject;
        results.verifyApi[kind] = r.verifyApi;
        (results.seed ??= {})[kind] = r.seed;
      });
    }
  }
  if (args.only.has('gateway')) {
    await attempt('gateway', async () => {
      results.gateway = await benchGateway({
        tokens: 10_000,
        connections: 50,
        durationSec: args.seconds ?? (q ? 2 : 6),
        warmupSec: q ? 1 : 2,
        rounds: args.rounds ?? (q ? 1 : 4),
      });
    });
  }
  if (args.only.has('manage')) {
    await attempt('manage', async () => {
      const sizes = q ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
      if (q) results.skipped.push('management with 100,000 and 1,000,000 tokens (--quick)');
      const m: ManageResult = await benchManage({ sizes, walk: 10_000, creates: q ? 200 : 1_000, searches: q ? 10 : 30, verifySec: q ? 2 : 5 });
      const at10k = m.bySize.find((s) => s.tokens === 10_000) ?? m.bySize[m.bySize.length - 1];
      const first = m.bySize[0];
      const last = m.bySize[m.bySize.length - 1];
      results.list = {
        perPageMs: at10k.perPageMs,
        barePageMs: m.barePageMs,
        ratio: round(at10k.perPageMs / m.barePageMs, 2),
        pageCpuUs: at10k.firstPageCpuUs,
        barePageCpuUs: m.barePageCpuUs,
        cpuRatio: round(at10k.firstPageCpuUs / m.barePageCpuUs, 2),
        // The smallest store has only 5 pages of 200: compare the first page, measured the same way at every size.
        growth: round(last.firstPageMs / first.firstPageMs, 2),
        searchGrowth: round(last.searchMs / first.searchMs, 2),
        rareSearchGrowth: round(last.rareSearchMs / first.rareSearchMs, 2),
        seedMethod: m.seedMethod,
        bySize: m.bySize.map((s) => ({
          tokens: s.tokens,
          perPageMs: s.perPageMs,
          firstPageMs: s.firstPageMs,
          searchMs: s.searchMs,
          rareSearchMs: s.rareSearchMs,
          rssMiB: s.rssMiB,
          verify: s.verify,
          pages: s.pages,
          pageBytes: s.pageBytes,
          seedMs: s.seedMs,
          load: s.load,
        })),
      };
      results.create = {
        perOpMs: at10k.createPerOpMs,
        barePostMs: m.barePostMs,
        ratio: round(at10k.createPerOpMs / m.barePostMs, 2),
        growth: round(last.createPerOpMs / first.createPerOpMs, 2),
        bySize: m.bySize.map((s) => ({ tokens: s.tokens, perOpMs: s.createPerOpMs, p99Ms: s.createP99Ms })),
      };
    });
  }
  if (args.only.has('env')) {
    await attempt('env', async () => {
      results.env = await benchEnv([1_000, 10_000, 100_000], q ? 5 : 15);
    });
  }
  if (args.only.has('scan')) {
    await attempt('scan', async () => {
      results.scan = await benchScan(10, q ? 2 : 5);
    });
  }
  if (args.only.has('usages')) {
    await attempt('usages', async () => {
      results.usages = await benchUsages(q ? 5_000 : 50_000, q ? 1 : 3);
    });
  }
  if (args.only.has('bundle')) {
    await attempt('bundle', async () => {
      results.extension = { ...results.extension, ...(await benchBundle()) };
    });
  }
  if (args.only.has('vscode')) {
    if (!args.vscode) results.skipped.push('extension activation and tree in VS Code (--quick or --no-vscode)');
    else {
      await attempt('vscode', async () => {
        results.extension = {
          ...results.extension,
          ...(await benchVsCode({ tokens: 100_000, reps: 10, launches: 3, bundleFile: results.extension?.bundleFile })),
        };
      });
    }
  }

  if (results.extension?.bundleFile) {
    fs.rmSync(path.dirname(results.extension.bundleFile), { recursive: true, force: true });
    delete results.extension.bundleFile;
  }
  results.machineAtEnd = machine();
  results.durationSec = Math.round((Date.now() - started) / 100) / 10;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), text);
  const partial = args.only.size < SECTIONS.length ? '-partial' : '';
  fs.writeFileSync(path.join(RESULTS_DIR, `${results.startedAt.replace(/[:.]/g, '-')}-${results.mode}${partial}.json`), text);

  const m = results.machine;
  console.log(
    `\nToken Hub bench (${results.mode}): ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ` +
      `load average ${m.loadAverage.join(' ')} at start, ${results.machineAtEnd.loadAverage.join(' ')} at end; ${results.durationSec} s` +
      `${process.env.TOKENHUB_BENCH_HUB_BIN ? `\nhub: ${results.hubBin}` : ''}\n`,
  );
  console.log(table(results));
  if (results.skipped.length > 0) console.log(`\nskipped: ${results.skipped.join('; ')}`);
  for (const [name, error] of Object.entries(results.errors)) console.log(`\nFAILED ${name}: ${error.split('\n')[0]}`);
  console.log(`\nresults: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))}`);
  return Object.keys(results.errors).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
