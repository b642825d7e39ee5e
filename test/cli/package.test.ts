// The npm package of the tokenhub binary: `npm pack` of this repository, unpacked in a folder outside it, and run
// from there, as `npm install -g ./token-hub-*.tgz` would. The install itself is not run: it needs the registry (the
// dependencies are not all in npm's cache here, and better-sqlite3 builds natively), so the unpacked package gets
// the dependencies npm would install by a link to this repository's node_modules, and the test checks that every
// package the binary loads is one of package.json's dependencies.
import assert from 'assert/strict';
import { execFileSync } from 'child_process';
import fs from 'fs';
import { builtinModules } from 'module';
import os from 'os';
import path from 'path';
import { generateToken } from '../../src/core/token';
import { cliEnv, type CliEnv } from './helpers';

const REPO = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

describe('the npm package of tokenhub, run from a folder outside the repository', function () {
  this.timeout(120_000);
  let scratch: string;
  let installed: string;
  let cli: CliEnv;
  const run = (args: string[]) =>
    execFileSync(process.execPath, [path.join(installed, manifest.bin.tokenhub), ...args], { cwd: cli.dir, env: cli.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-pack-'));
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: REPO, encoding: 'utf8' })) as Array<{ filename: string }>;
    execFileSync('tar', ['-xzf', path.join(scratch, packed.filename), '-C', scratch]);
    installed = path.join(scratch, 'package');
    cli = cliEnv();
  });
  after(() => {
    cli?.cleanup();
    const link = path.join(installed ?? '', 'node_modules');
    if (installed && fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('holds the binary and its documents, and nothing of the extension or the sources', () => {
    assert.deepEqual(listFiles(installed).sort(), ['LICENSE', 'README.md', 'dist/hub.js', 'dist/hub.js.map', 'docs/cli.md', 'package.json']);
    assert.match(fs.readFileSync(path.join(installed, manifest.bin.tokenhub), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('loads only packages that package.json lists as dependencies', () => {
    const bundle = fs.readFileSync(path.join(installed, 'dist', 'hub.js'), 'utf8');
    const required = new Set([...bundle.matchAll(/require\("([^".][^"]*)"\)/g)].map((match) => match[1]));
    const packages = [...required]
      .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name.split('/')[0]) && !builtinModules.includes(name))
      .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]));
    const undeclared = [...new Set(packages)].filter((name) => !Object.hasOwn(manifest.dependencies, name));
    assert.deepEqual(undeclared, []);
    assert.ok(packages.includes('fastify') && packages.includes('better-sqlite3'), 'the bundle loads its dependencies by name');
  });

  it('runs: help, init into the folder it is run in, and scan of a file there', () => {
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(installed, 'node_modules'));
    assert.match(run(['--help']), /^Usage: tokenhub <command>/);
    const created = JSON.parse(run(['init', '--workspace', 'packed', '--endpoint', 'chat-completions'])) as { accountKey: string };
    assert.match(created.accountKey, /^thak_/);
    assert.ok(fs.existsSync(path.join(cli.dir, '.tokenhub', 'hub.db')), 'the database is made where the command runs');
    fs.writeFileSync(path.join(cli.dir, 'clean.txt'), 'nothing here\n');
    assert.equal(run(['scan', 'clean.txt']), '');
    fs.writeFileSync(path.join(cli.dir, 'leak.txt'), `KEY=${generateToken('thub_')}\n`);
    assert.throws(() => run(['scan', 'leak.txt']), (error: { status?: number; stdout?: string }) => error.status === 1 && /leak\.txt:1:5: Token Hub access token/.test(error.stdout ?? ''));
  });
});
