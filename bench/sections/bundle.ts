// The size of dist/extension.js as `node esbuild.js --production` builds it (built in a scratch folder: the checkout's
// dist/ stays as it is), with esbuild's account of where the bytes come from.
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { BENCH_OUT, mkTemp, progress } from '../lib/common';

export const BUNDLE_GOAL_BYTES = 150 * 1024;

export interface BundleResult {
  bundleBytes: number;
  bundleGoalBytes: number;
  bundleGzipBytes: number;
  /** The largest contributors (bytes in the minified output), from esbuild's metafile. */
  bundleTop: Array<{ name: string; bytes: number }>;
  /** Bytes in the minified output per package (ours per src/ folder). */
  bundleByPackage: Record<string, number>;
  /** What-if, not applied: the bundle with axios's browser adapters (xhr, fetch) stubbed out. */
  bundleWithoutBrowserAdaptersBytes: number;
  /** Where the built bundle was left (a scratch folder) for the activation measurement. */
  bundleFile: string;
}

interface Probe {
  file: string;
  bytes: number;
  gzipBytes: number;
  top: Array<{ name: string; bytes: number }>;
  byPackage: Record<string, number>;
}

async function probe(scratch: string, extra: string[] = []): Promise<Probe> {
  const child = spawn(process.execPath, [path.join(BENCH_OUT, 'bundleProbe.js'), scratch, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bundle probe exited with ${code}`);
  return JSON.parse(output.trim().split('\n').pop()!) as Probe;
}

function removeScratch(scratch: string): void {
  // The links first, one by one (never through them), then the scratch folder.
  for (const entry of ['src', 'node_modules', 'package.json', 'tsconfig.json']) {
    const link = path.join(scratch, entry);
    if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

export async function benchBundle(): Promise<BundleResult> {
  progress('bundle: node esbuild.js --production (in a scratch folder)');
  const scratch = mkTemp('tokenhub-bench-bundle-');
  const whatIfScratch = mkTemp('tokenhub-bench-bundle-');
  try {
    const built = await probe(scratch);
    const whatIf = await probe(whatIfScratch, ['--stub-browser-adapters']);
    // Keep the bundle itself for the VS Code measurement.
    const kept = path.join(mkTemp('tokenhub-bench-dist-'), 'extension.js');
    fs.copyFileSync(built.file, kept);
    return {
      bundleBytes: built.bytes,
      bundleGoalBytes: BUNDLE_GOAL_BYTES,
      bundleGzipBytes: built.gzipBytes,
      bundleTop: built.top.slice(0, 25),
      bundleByPackage: built.byPackage,
      bundleWithoutBrowserAdaptersBytes: whatIf.bytes,
      bundleFile: kept,
    };
  } finally {
    removeScratch(scratch);
    removeScratch(whatIfScratch);
  }
}
