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

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

/**
 * How the extension is bundled (the VSIX ships this file alone, so everything but `vscode` is in it). Only what axios
 * documents is relied on: the client asks for the `http` adapter by name and sets `maxRedirects: 0` and
 * `proxy: false`, so four of axios's own dependencies are never reached, and whole packages are aliased to small
 * stand-ins that fail loudly if that ever changes (test/hub/bundledClient.test.ts runs every request of the client
 * from a bundle built with these options against a real hub).
 */
const extensionOptions = {
  ...common,
  external: ['vscode'],
  alias: {
    'form-data': './src/api/shims/formData.js', // multipart bodies: never sent
    'follow-redirects': './src/api/shims/followRedirects.js', // maxRedirects: 0 uses node:http and node:https
    'https-proxy-agent': './src/api/shims/httpsProxyAgent.js', // proxy: false
    'proxy-from-env': './src/api/shims/noEnvironmentProxy.js', // proxy: false
  },
  charset: 'utf8',
};

async function buildBundles() {
  await Promise.all([
    esbuild.build({
      ...extensionOptions,
      entryPoints: ['src/extension/extension.ts'],
      outfile: 'dist/extension.js',
      legalComments: production ? 'none' : 'inline',
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

// buildBundles: for bench/bundleProbe.ts, which requires this file with --production in process.argv.
module.exports = { extensionOptions, buildBundles };

if (require.main === module) {
  (tests ? buildTests() : buildBundles()).catch((error) => {
    console.error(error.message || error);
    process.exit(1);
  });
}
