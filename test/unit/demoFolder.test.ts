// npm start's demo folder: its own git repository, so the leak guard and "Add to .gitignore" have something to judge.
import * as assert from 'assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { demoPaths, ensureDemoFolder } from '../../src/dev/start';

describe('npm start: the demo folder', () => {
  let repo: string;
  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-demo-'));
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  const git = (folder: string, ...args: string[]) => execFileSync('git', args, { cwd: folder, encoding: 'utf8' });

  it('is a git repository with app.js, call.js and .gitignore committed and .env ignored; a second run changes nothing', () => {
    const paths = demoPaths(repo);
    assert.match(ensureDemoFolder(paths) ?? '', /created now.*a git repository with \.gitignore, app\.js, call\.js committed/);
    assert.deepEqual(git(paths.folder, 'ls-files').trim().split('\n'), ['.gitignore', 'app.js', 'call.js']);
    assert.equal(git(paths.folder, 'check-ignore', '.env').trim(), '.env');
    assert.equal(fs.statSync(path.join(paths.folder, '.env')).mode & 0o777, 0o600);
    const before = fs.readFileSync(path.join(paths.folder, '.env'), 'utf8');
    assert.equal(ensureDemoFolder(paths), undefined);
    assert.equal(fs.readFileSync(path.join(paths.folder, '.env'), 'utf8'), before);
  });

  it('makes the folder of an older run a repository, leaving what the person wrote alone', () => {
    const paths = demoPaths(repo);
    fs.mkdirSync(paths.folder, { recursive: true });
    fs.writeFileSync(path.join(paths.folder, '.env'), 'MINE=1\n');
    fs.writeFileSync(path.join(paths.folder, '.gitignore'), '.env\n');
    assert.match(ensureDemoFolder(paths) ?? '', /^a git repository with \.gitignore, app\.js, call\.js committed$/);
    assert.equal(fs.readFileSync(path.join(paths.folder, '.env'), 'utf8'), 'MINE=1\n');
    assert.equal(git(paths.folder, 'status', '--porcelain').trim(), '');
  });

  it('adds call.js, committed, to a repository of a run from before it existed', () => {
    const paths = demoPaths(repo);
    ensureDemoFolder(paths);
    git(paths.folder, 'rm', '-q', 'call.js');
    git(paths.folder, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'as before');
    assert.equal(ensureDemoFolder(paths), 'call.js added and committed');
    assert.ok(git(paths.folder, 'ls-files').split('\n').includes('call.js'));
    assert.equal(git(paths.folder, 'status', '--porcelain').trim(), '');
  });
});
