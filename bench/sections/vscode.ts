// The extension inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium): activation time,
// and the time to render the first page of a 100,000-token tree and to load the next one. The extension is loaded from a copy of the
// repository's manifest with no activation events (so that nothing activates it before the measurement does), with
// the production bundle; an empty extension
// (installed in code-server's extensions folder: the browser workbench loads only one extension from source) is the
// baseline. The host side is
// test/vscode/bench/index.ts.
import fs from 'fs';
import path from 'path';
import { ensureCodeServer, launchChromium, remoteUri, startCodeServer, type Browser, type RunningCodeServer } from '../../src/dev/codeServer';
import { load1, median, mkTemp, progress, REPO, round, sleep } from '../lib/common';
import { startBenchHub, type BenchHub } from '../lib/hub';
import { seed } from '../lib/seed';

export interface VsCodeResult {
  vscodeVersion: string;
  activationMs: number;
  baselineActivationMs: number;
  activationRatio: number;
  /** Each launch's activation time. */
  activationRuns: number[];
  codeLoadMs: number;
  /** Which bundle was activated. */
  activationBundle: string;
  treeFirstPageMs: number;
  /** Load More (the second page from the hub) and the tree rendered again. */
  treeLoadMoreMs: number;
  treeColdMs: number;
  treeBaselineMs: number;
  treeRatio: number;
  treeTokens: number;
  treeTokensShown: number;
  load: number;
}

const BASELINE_ID = 'tokenhub.tokenhub-bench-baseline';

/** A copy of the extension as the VSIX holds it, minus its activation events. */
function extensionCopy(dir: string, bundle: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  manifest.activationEvents = [];
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const file of fs.readdirSync(REPO).filter((f) => /^package\.nls(\..+)?\.json$/.test(f))) {
    fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  }
  fs.cpSync(path.join(REPO, 'l10n'), path.join(dir, 'l10n'), { recursive: true });
  fs.cpSync(path.join(REPO, 'media'), path.join(dir, 'media'), { recursive: true });
  fs.copyFileSync(bundle, path.join(dir, 'dist', 'extension.js'));
}

function baselineExtension(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'tokenhub-bench-baseline',
      publisher: 'tokenhub',
      version: '0.0.1',
      engines: { vscode: '^1.100.0' },
      main: './extension.js',
      activationEvents: [],
    }),
  );
  fs.writeFileSync(path.join(dir, 'extension.js'), 'exports.activate = () => ({ ok: true });\nexports.deactivate = () => {};\n');
}

type HostResult = Record<string, number | number[] | string | boolean | undefined>;

/** One VS Code (code-server + Chromium) from scratch: a fresh profile, the extension copy, the bench suite. */
async function launch(dir: string, bundle: string, config: Record<string, unknown>): Promise<HostResult> {
  const install = ensureCodeServer();
  const extDir = path.join(dir, 'token-hub');
  // VS Code in the browser loads one extension from source only: the baseline is installed instead, into the
  // extensions folder code-server starts with.
  const extensionsDir = path.join(dir, 'extensions');
  extensionCopy(extDir, bundle);
  baselineExtension(path.join(extensionsDir, 'tokenhub.tokenhub-bench-baseline-0.0.1'));
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, '.env'), 'EXISTING_VARIABLE=keep-me\n');
  const resultFile = path.join(dir, 'result.json');
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...config, resultFile, baselineId: BASELINE_ID }));

  let server: RunningCodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startCodeServer({
      folder: workspace,
      extensionsDir,
      env: { TOKENHUB_BENCH_CONFIG: configFile },
      logFile: path.join(dir, 'code-server.log'),
      install,
    });
    const suite = path.join(REPO, 'out', 'test', 'vscode', 'bench', 'index');
    const payload: Array<[string, string]> = [
      ['extensionDevelopmentPath', remoteUri(server, extDir)],
      ['extensionTestsPath', remoteUri(server, suite)],
    ];
    const params = new URLSearchParams({ folder: workspace, payload: JSON.stringify(payload) });
    browser = await launchChromium(true);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleLog = fs.openSync(path.join(dir, 'browser-console.log'), 'a');
    page.on('console', (message) => fs.writeSync(consoleLog, `[${message.type()}] ${message.text()}\n`));
    await page.goto(`${server.url}/?${params.toString().replace(/\+/g, '%20')}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const deadline = Date.now() + 240_000;
    while (!fs.existsSync(resultFile)) {
      if (Date.now() > deadline) throw new Error(`no result from the extension host within 240 s; see ${path.join(dir, 'code-server.log')}`);
      await sleep(250);
    }
    const r = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as HostResult;
    if (r.error) throw new Error(`in the extension host: ${r.error}`);
    if (r.alreadyActive) throw new Error('the extension was active before the measurement: activation time unknown');
    return r;
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  }
}

/**
 * `launches` fresh VS Codes (activation happens once per VS Code, so each launch gives one activation time; the
 * median is reported, every run is kept), one hub with `tokens` tokens for all of them.
 */
export async function benchVsCode(options: { tokens: number; reps: number; launches: number; bundleFile?: string }): Promise<VsCodeResult> {
  const dir = mkTemp('tokenhub-bench-vscode-');
  let hub: BenchHub | undefined;
  try {
    progress(`vscode: seeding ${options.tokens} tokens through the store layer`);
    const db = path.join(dir, 'hub.db');
    const seeded = await seed(db, 'bench', options.tokens);
    hub = await startBenchHub(db, [], [], dir);
    const bundle = options.bundleFile ?? path.join(REPO, 'dist', 'extension.js');
    const runs: HostResult[] = [];
    for (let i = 0; i < options.launches; i++) {
      progress(`vscode: code-server and Chromium, launch ${i + 1}/${options.launches}`);
      const launchDir = path.join(dir, `launch-${i}`);
      fs.mkdirSync(launchDir);
      runs.push(await launch(launchDir, bundle, { hubUrl: hub.url, accountKey: seeded.accountKey, reps: options.reps, tokens: options.tokens }));
    }
    const med = (key: string) => round(median(runs.map((r) => Number(r[key]))), 2);
    const activationMs = med('activationMs');
    const baselineActivationMs = med('baselineActivationMs');
    const treeFirstPageMs = med('treeFirstPageMs');
    const treeBaselineMs = med('treeBaselineMs');
    return {
      vscodeVersion: String(runs[0].vscodeVersion),
      activationMs,
      baselineActivationMs,
      activationRatio: round(activationMs / baselineActivationMs, 2),
      activationRuns: runs.map((r) => round(Number(r.activationMs), 2)),
      codeLoadMs: med('codeLoadMs'),
      activationBundle: options.bundleFile ? 'production (esbuild.js --production)' : 'development (dist/extension.js as built)',
      treeFirstPageMs,
      treeLoadMoreMs: med('treeLoadMoreMs'),
      treeColdMs: med('treeColdMs'),
      treeBaselineMs,
      treeRatio: round(treeFirstPageMs / treeBaselineMs, 2),
      treeTokens: options.tokens,
      treeTokensShown: Number(runs[0].treeTokensShown),
      load: load1(),
    };
  } finally {
    await hub?.stop();
    if (process.env.TOKENHUB_BENCH_KEEP) progress(`vscode: kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
