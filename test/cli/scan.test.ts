// tokenhub scan: the pre-commit leak guard, run as a real process (`node dist/hub.js scan`) on temporary files and
// git repositories. It lists FILE:LINE:COLUMN with the masked key (never the secret) and exits 1 when anything is
// found, 0 when clean, 2 on bad usage.
import assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { generateToken, maskToken } from '../../src/core/token';
import { withWrongChecksum } from '../support/tokens';
import { cliEnv, runCli, type CliEnv } from './helpers';

const hasGit = spawnSync('git', ['--version']).status === 0;

describe('tokenhub scan', function () {
  this.timeout(60_000);
  let ctx: CliEnv;
  let work: string;
  const token = generateToken('thub_');
  const accountKey = generateToken('thak_');

  beforeEach(() => {
    ctx = cliEnv();
    work = path.join(ctx.dir, 'work');
    fs.mkdirSync(work);
  });
  afterEach(() => ctx.cleanup());

  const write = (relative: string, text: string | Buffer) => {
    const file = path.join(work, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const scan = (...args: string[]) => runCli(['scan', ...args], { env: ctx.env, cwd: work });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, stdio: 'ignore' });
  const neverTheSecret = (output: string) => {
    assert.ok(!output.includes(token), 'the access token is never printed');
    assert.ok(!output.includes(accountKey), 'the account key is never printed');
  };

  it('lists file:line:column and the masked key of each secret, and exits 1', async () => {
    write('src/config.ts', `// settings\nexport const token = "${token}";\n`);
    write('notes.md', `first line\r\nsecond\r\n  key: ${accountKey} and ${token}\n`);
    const result = await scan('src/config.ts', 'notes.md');
    assert.strictEqual(result.code, 1, result.stderr);
    assert.deepStrictEqual(result.stdout.trimEnd().split('\n'), [
      `src/config.ts:2:23: Token Hub access token ${maskToken(token)}`,
      `notes.md:3:8: Token Hub account key ${maskToken(accountKey)}`,
      `notes.md:3:67: Token Hub access token ${maskToken(token)}`,
    ]);
    assert.match(result.stderr, /found 3 Token Hub secrets in 2 files/);
    neverTheSecret(result.stdout + result.stderr);
  });

  it('names a service key as a service key', async () => {
    const serviceKey = generateToken('thsk_');
    write('verify.env', `VERIFY_KEY=${serviceKey}\n`);
    const result = await scan('verify.env');
    assert.strictEqual(result.code, 1, result.stderr);
    assert.deepStrictEqual(result.stdout.trimEnd().split('\n'), [`verify.env:1:12: Token Hub service key ${maskToken(serviceKey)}`]);
    assert.ok(!(result.stdout + result.stderr).includes(serviceKey), 'the service key is never printed');
  });

  it('exits 0 when clean: a wrong checksum, a longer run, and an ignore marker are not findings', async () => {
    write('a.py', `TOKEN = "${withWrongChecksum(token)}"\nLONGER = "${token}x"\n`);
    write('b.yaml', `# tokenhub-ignore\nkey: ${token}\nother: ${token} # tokenhub-ignore\n`);
    const result = await scan('a.py', 'b.yaml');
    assert.strictEqual(result.code, 0, result.stdout + result.stderr);
    assert.strictEqual(result.stdout, '');
    assert.match(result.stderr, /no Token Hub secrets in 2 files/);
  });

  it('walks a folder, skipping node_modules, .git, binary and huge files, and .gitignore\'d files without git', async () => {
    write('pkg/index.js', `module.exports = '${token}';\n`);
    write('pkg/node_modules/dep/index.js', `module.exports = '${token}';\n`);
    write('pkg/.git/config', `${token}\n`);
    write('pkg/image.bin', Buffer.concat([Buffer.from(`${token}\n`), Buffer.from([0, 1, 2])]));
    write('pkg/big.txt', `${token}\n${'x'.repeat(5 * 1024 * 1024)}`);
    write('pkg/.gitignore', 'secret.txt\n');
    write('pkg/secret.txt', `${token}\n`);
    const result = await scan('pkg');
    assert.strictEqual(result.code, 1, result.stderr);
    assert.deepStrictEqual(result.stdout.trimEnd().split('\n'), [`pkg/index.js:1:19: Token Hub access token ${maskToken(token)}`]);
    neverTheSecret(result.stdout + result.stderr);
  });

  (hasGit ? it : it.skip)('without paths scans what git would commit: tracked and untracked files, not ignored ones', async () => {
    git('init', '-q');
    write('.gitignore', '.env\n');
    write('.env', `TOKENHUB_TOKEN=${token}\n`);
    write('tracked.txt', `${token}\n`);
    write('untracked.sh', `export T=${token}\n`);
    write('clean.txt', 'nothing here\n');
    git('add', 'tracked.txt', '.gitignore');
    let result = await scan();
    assert.strictEqual(result.code, 1, result.stderr);
    assert.deepStrictEqual(result.stdout.trimEnd().split('\n').sort(), [
      `tracked.txt:1:1: Token Hub access token ${maskToken(token)}`,
      `untracked.sh:1:10: Token Hub access token ${maskToken(token)}`,
    ]);
    // A .env that was committed despite .gitignore is exposed: tracked files are always scanned.
    git('add', '-f', '.env');
    result = await scan();
    assert.ok(result.stdout.includes(`.env:1:16: Token Hub access token ${maskToken(token)}`), result.stdout);

    fs.rmSync(path.join(work, 'tracked.txt'));
    fs.rmSync(path.join(work, 'untracked.sh'));
    git('rm', '-q', '--cached', '.env');
    result = await scan();
    assert.strictEqual(result.code, 0, result.stdout + result.stderr);
    assert.strictEqual(result.stdout, '');
  });

  (hasGit ? it : it.skip)('walking a folder inside a repository skips what git ignores', async () => {
    git('init', '-q');
    write('.gitignore', 'build/\n*.log\n');
    write('app/build/out.js', `${token}\n`);
    write('app/debug.log', `${token}\n`);
    write('app/main.js', `const t = \`${token}\`;\n`);
    const result = await scan('app');
    assert.strictEqual(result.code, 1);
    assert.deepStrictEqual(result.stdout.trimEnd().split('\n'), [`app/main.js:1:12: Token Hub access token ${maskToken(token)}`]);
  });

  it('exits 2 on bad usage, and prints its help with --help', async () => {
    const unknown = await scan('--frobnicate');
    assert.strictEqual(unknown.code, 2);
    assert.match(unknown.stderr, /tokenhub scan: .*--frobnicate/);
    const missing = await scan('no-such-file.txt');
    assert.strictEqual(missing.code, 2);
    assert.match(missing.stderr, /No such file or folder: no-such-file\.txt/);
    const help = await scan('--help');
    assert.strictEqual(help.code, 0);
    assert.match(help.stdout, /^Usage: tokenhub scan \[PATH…\]/);
    assert.match(help.stdout, /pre-commit/);
    const listed = await runCli(['--help'], { env: ctx.env, cwd: work });
    assert.match(listed.stdout, /\n {2}scan +look for Token Hub secrets/);
  });

  it('takes file names that start with a dash after --', async () => {
    write('-odd.txt', `${token}\n`);
    const result = await scan('--', '-odd.txt');
    assert.strictEqual(result.code, 1, result.stderr);
    assert.strictEqual(result.stdout, `-odd.txt:1:1: Token Hub access token ${maskToken(token)}\n`);
  });

  it('scans 1,000 files of 10 kB and reports the one token among them', async () => {
    for (let i = 0; i < 1000; i++) write(`many/f${String(i).padStart(4, '0')}.txt`, `${'lorem ipsum thub_ dolor '.repeat(400)}\n`);
    write('many/f0500.txt', `x = "${token}"\n`);
    const started = Date.now();
    const result = await scan('many');
    const elapsed = Date.now() - started;
    assert.strictEqual(result.code, 1);
    assert.strictEqual(result.stdout, `many/f0500.txt:1:6: Token Hub access token ${maskToken(token)}\n`);
    // The time is for the log only: the speed goal is `npm run bench -- --only scan`'s, not a test's.
    console.log(`      (1,000 files, ${(1000 * 10_000 / 1e6).toFixed(0)} MB: ${elapsed} ms including process start)`);
  });

  (hasGit ? it : it.skip)('an ignored .env named on the command line is said to be fine where it is, not reported', async () => {
    git('init', '-q');
    write('.gitignore', '.env\n');
    write('.env', `TOKENHUB_TOKEN=${token}\n`);
    write('app.js', `const t = "${token}";\n`);
    const ignored = await scan('.env');
    assert.strictEqual(ignored.code, 0, ignored.stderr);
    assert.strictEqual(ignored.stdout, '');
    assert.match(ignored.stderr, /\.env holds 1 Token Hub secret, and git ignores it, so it stays out of commits: that is where a secret belongs\./);
    assert.doesNotMatch(ignored.stderr, /Move each one/);
    neverTheSecret(ignored.stdout + ignored.stderr);
    // A file git would commit is still reported beside it.
    const both = await scan('.env', 'app.js');
    assert.strictEqual(both.code, 1);
    assert.strictEqual(both.stdout, `app.js:1:12: Token Hub access token ${maskToken(token)}\n`);
  });
});
