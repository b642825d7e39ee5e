// realTargetOf / isInsideFolder on real files and links, and writeFileAtomically's `secret` mode: where a write lands
// once links are followed (an existing file, a file not created yet, a dangling link, a link loop), and that a secret's
// file is its owner's only whatever the umask.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomically } from '../../src/core/atomicWrite';
import { isInsideFolder, realTargetOf } from '../../src/core/realTarget';

const posix = process.platform !== 'win32';

describe('realTargetOf and secret writes', () => {
  let dir: string;
  let outside: string;
  beforeEach(function () {
    if (!posix) this.skip();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-real-')));
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-real-out-')));
  });
  afterEach(() => {
    if (!posix) return;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('a plain file, existing or not yet created, is its own real target', () => {
    fs.writeFileSync(path.join(dir, 'a.env'), '');
    assert.strictEqual(realTargetOf(path.join(dir, 'a.env')), path.join(dir, 'a.env'));
    assert.strictEqual(realTargetOf(path.join(dir, 'new', 'deeper', '.env')), path.join(dir, 'new', 'deeper', '.env'));
  });

  it('follows a link to a file, a linked folder above a file not created yet, and a dangling link', () => {
    fs.writeFileSync(path.join(outside, 'x.env'), '');
    fs.symlinkSync(path.join(outside, 'x.env'), path.join(dir, 'file-link'));
    fs.symlinkSync(outside, path.join(dir, 'folder-link'));
    fs.symlinkSync(path.join(outside, 'not-yet.env'), path.join(dir, 'dangling'));
    assert.strictEqual(realTargetOf(path.join(dir, 'file-link')), path.join(outside, 'x.env'));
    assert.strictEqual(realTargetOf(path.join(dir, 'folder-link', 'sub', '.env')), path.join(outside, 'sub', '.env'));
    assert.strictEqual(realTargetOf(path.join(dir, 'dangling')), path.join(outside, 'not-yet.env'));
    fs.symlinkSync('relative-dangling', path.join(dir, 'rel'));
    assert.strictEqual(realTargetOf(path.join(dir, 'rel')), path.join(dir, 'relative-dangling'));
  });

  it('refuses a loop of dangling links rather than spinning', () => {
    fs.symlinkSync(path.join(dir, 'b'), path.join(dir, 'a'));
    fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    assert.throws(() => realTargetOf(path.join(dir, 'a')), /ELOOP|Too many symbolic links/);
  });

  it('isInsideFolder: the folder itself and below it, not a sibling sharing its prefix', () => {
    assert.ok(isInsideFolder(dir, dir));
    assert.ok(isInsideFolder(path.join(dir, 'a', 'b'), dir));
    assert.ok(!isInsideFolder(`${dir}-other/x`, dir));
    assert.ok(!isInsideFolder(path.dirname(dir), dir));
  });

  it('writeFileAtomically with secret: a new file 0600 under umask 022, an existing 0644 narrowed and reported, 0600 left alone', async () => {
    const umask = process.umask(0o022);
    try {
      const fresh = path.join(dir, 'fresh.env');
      const created = await writeFileAtomically(fresh, 'A=1\n', {}, { secret: true });
      assert.strictEqual(fs.statSync(fresh).mode & 0o777, 0o600);
      assert.deepStrictEqual(created, { path: fresh, created: true });

      const shared = path.join(dir, 'shared.env');
      fs.writeFileSync(shared, 'A=1\n');
      fs.chmodSync(shared, 0o664);
      const narrowed = await writeFileAtomically(shared, 'A=2\n', {}, { secret: true });
      assert.strictEqual(fs.statSync(shared).mode & 0o777, 0o600);
      assert.strictEqual(narrowed.narrowedFrom, 0o664);

      const again = await writeFileAtomically(shared, 'A=3\n', {}, { secret: true });
      assert.strictEqual(again.narrowedFrom, undefined);
      const plain = path.join(dir, 'plain.txt');
      await writeFileAtomically(plain, 'x\n');
      assert.strictEqual(fs.statSync(plain).mode & 0o777, 0o644, 'without secret, the umask decides as before');
    } finally {
      process.umask(umask);
    }
  });
});
