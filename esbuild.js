// Builds the bundles (dist/) and, with --tests, transpiles src and test one file at a time into out/.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const tests = process.argv.includes('--tests');

function listTs(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Parts of axios the extension never reaches resolve to small stand-ins (src/api/shims) in the extension bundle. */
const AXIOS_INTERNAL_STUBS = {
  'xhr.js': 'browserAdapter.js', // browsers only: the client asks for the http adapter
  'fetch.js': 'browserAdapter.js',
  'shouldBypassProxy.js': 'noEnvironmentProxy.js', // proxy: false
  'estimateDataURLDecodedBytes.js': 'noDataUrls.js', // hub addresses are http(s)
};
const axiosInternalsStubbed = {
  name: 'axios-internals-stubbed',
  setup(build) {
    const axiosLib = `${path.sep}node_modules${path.sep}axios${path.sep}lib${path.sep}`;
    build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const stub = AXIOS_INTERNAL_STUBS[path.basename(args.path)];
      return stub && args.importer.includes(axiosLib) ? { path: path.resolve('src/api/shims', stub) } : undefined;
    });
  },
};

async function buildBundles() {
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };
  await Promise.all([
    // The VSIX ships this file alone, so everything but `vscode` is bundled into it.
    esbuild.build({
      ...common,
      entryPoints: ['src/extension/extension.ts'],
      outfile: 'dist/extension.js',
      external: ['vscode'],
      // Parts of axios the extension never uses, swapped for tiny stand-ins to keep the bundle small.
      alias: {
        'form-data': './src/api/shims/formData.js',
        'follow-redirects': './src/api/shims/followRedirects.js',
        'https-proxy-agent': './src/api/shims/httpsProxyAgent.js',
        'proxy-from-env': './src/api/shims/noEnvironmentProxy.js',
      },
      plugins: [axiosInternalsStubbed],
      legalComments: production ? 'none' : 'inline',
      charset: 'utf8',
      minify: production,
      sourcemap: !production,
      metafile: true,
    }),
    // The hub and the developer tools run from the repository, next to node_modules: keep packages external.
    esbuild.build({
      ...common,
      entryPoints: ['src/bin/tokenhub.ts'],
      outfile: 'dist/hub.js',
      packages: 'external',
      sourcemap: true,
      banner: { js: '#!/usr/bin/env node' },
    }),
    esbuild.build({
      ...common,
      entryPoints: ['src/dev/cli.ts'],
      outfile: 'dist/dev.js',
      packages: 'external',
      sourcemap: true,
    }),
  ]);
  fs.chmodSync('dist/hub.js', 0o755);
}

async function buildTests() {
  const entryPoints = [...listTs('src'), ...listTs('test'), ...listTs('bench')];
  await esbuild.build({
    entryPoints,
    outdir: 'out',
    outbase: '.',
    bundle: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

(tests ? buildTests() : buildBundles()).catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
