// Builds the extension exactly as `node esbuild.js --production` does (the repository's own esbuild.js, unchanged),
// but in a scratch folder so that the dist/ of the checkout (used by tests running meanwhile) is left alone, and
// keeps esbuild's metafile to say where the bytes come from. argv[2]: the scratch folder. Prints one JSON line.
// With argv[3] = "--stub-browser-adapters", a what-if: axios's xhr and fetch adapters (never chosen under Node: the
// default order is xhr, http, fetch and xhr needs XMLHttpRequest) replaced by empty modules, to size that saving.
import fs from 'fs';
import Module from 'module';
import path from 'path';
import zlib from 'zlib';

const REPO = path.resolve(__dirname, '..', '..');

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

function group(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
  if (pkg) {
    // axios is big: show its parts.
    if (pkg[1] === 'axios') return `axios/${pkg[2].split('/').slice(0, 3).join('/')}`;
    return pkg[1];
  }
  const ours = /(?:^|\/)(src\/[^/]+(?:\/[^/]+)?)/.exec(input);
  return ours ? ours[1].replace(/\.ts$/, '') : input;
}

const STUB_PLUGIN = {
  name: 'bench-stub-axios-browser-adapters',
  setup(build: {
    onResolve(o: { filter: RegExp }, f: (a: { path: string; importer: string }) => unknown): void;
    onLoad(o: { filter: RegExp; namespace: string }, f: (a: { path: string }) => unknown): void;
  }) {
    build.onResolve({ filter: /^\.\/(xhr|fetch)\.js$/ }, (args) =>
      /axios[\\/]lib[\\/]adapters[\\/]adapters\.js$/.test(args.importer) ? { path: args.path, namespace: 'bench-stub' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'bench-stub' }, (args) => ({
      contents: args.path.includes('xhr') ? 'export default false;' : 'export const getFetch = () => null;\nexport default null;',
      loader: 'js',
    }));
  },
};

let stubAdapters = false;

async function main() {
  const scratch = path.resolve(process.argv[2]);
  stubAdapters = process.argv[3] === '--stub-browser-adapters';
  fs.mkdirSync(scratch, { recursive: true });
  for (const entry of ['src', 'node_modules', 'package.json', 'tsconfig.json']) {
    const link = path.join(scratch, entry);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(REPO, entry), link);
  }
  const metafiles: Metafile[] = [];
  const pending: Array<Promise<unknown>> = [];
  const realLoad = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  (Module as unknown as { _load: typeof realLoad })._load = function (request: string, ...rest: unknown[]) {
    const loaded = realLoad.call(this, request, ...rest);
    if (request !== 'esbuild') return loaded;
    const esbuild = loaded as { build: (options: unknown) => Promise<{ metafile?: Metafile }> };
    return {
      ...esbuild,
      build: (options: { outfile?: string; plugins?: unknown[] }) => {
        if (stubAdapters && options.outfile?.endsWith('extension.js')) options = { ...options, plugins: [...(options.plugins ?? []), STUB_PLUGIN] };
        const promise = esbuild.build(options).then((result) => {
          if (result.metafile) metafiles.push(result.metafile);
          return result;
        });
        pending.push(promise);
        return promise;
      },
    };
  };
  process.chdir(scratch);
  process.argv = [process.argv[0], path.join(REPO, 'esbuild.js'), '--production'];
  const started = process.hrtime.bigint();
  // Required, esbuild.js builds nothing by itself (require.main is this file): its buildBundles does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildBundles } = require(path.join(REPO, 'esbuild.js')) as { buildBundles: () => Promise<void> };
  await buildBundles();
  await Promise.all(pending);
  const buildMs = Number(process.hrtime.bigint() - started) / 1e6;

  const file = path.join(scratch, 'dist', 'extension.js');
  const bytes = fs.statSync(file).size;
  const code = fs.readFileSync(file);
  const meta = metafiles.find((m) => Object.keys(m.outputs).some((o) => o.endsWith('extension.js')));
  const groups = new Map<string, number>();
  if (meta) {
    const output = Object.entries(meta.outputs).find(([name]) => name.endsWith('extension.js'))![1];
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = group(input);
      groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
    }
  }
  const top = [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([name, size]) => ({ name, bytes: size }));
  const byPackage: Record<string, number> = {};
  for (const [name, size] of groups) {
    const key = name.startsWith('axios/') ? 'axios' : name.startsWith('src/') ? `ours (${name.split('/')[1]})` : name;
    byPackage[key] = (byPackage[key] ?? 0) + size;
  }
  process.stdout.write(
    `${JSON.stringify({ file, bytes, gzipBytes: zlib.gzipSync(code, { level: 9 }).length, buildMs, top, byPackage })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`bundleProbe: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
