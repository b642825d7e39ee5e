// writeFileAtomically on real temporary files, including a simulated crash between the temporary file and rename.
import * as assert from 'assert';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AtomicWriteFs, writeFileAtomically } from '../../src/core/atomicWrite';
import { setEnvVariable, verifyEnvEdit } from '../../src/core/env';

const posix = process.platform !== 'win32';

describe('env: writeFileAtomically', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tokenhub-atomic-'));
  });

  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const listing = async (): Promise<string[]> => (await fsp.readdir(dir)).sort();

  it('creates a new file and leaves nothing else behind', async () => {
    const target = path.join(dir, '.env');
    await writeFileAtomically(target, 'A=1\n');
    assert.strictEqual(await fsp.readFile(target, 'utf8'), 'A=1\n');
    assert.deepStrictEqual(await listing(), ['.env']);
  });

  it('replaces an existing file byte for byte (bytes given as a Uint8Array too)', async () => {
    const target = path.join(dir, '.env');
    await fsp.writeFile(target, 'OLD=1\n');
    const bytes = Buffer.from('\uFEFFA=1\r\nB=é\r\n', 'utf8');
    await writeFileAtomically(target, bytes);
    assert.deepStrictEqual(await fsp.readFile(target), bytes);
    assert.deepStrictEqual(await listing(), ['.env']);
  });

  it('keeps the permission bits of the original', async function () {
    if (!posix) this.skip();
    const target = path.join(dir, '.env');
    for (const mode of [0o600, 0o640, 0o664]) {
      await fsp.writeFile(target, 'A=1\n');
      await fsp.chmod(target, mode);
      await writeFileAtomically(target, `MODE=${mode.toString(8)}\n`);
      assert.strictEqual((await fsp.stat(target)).mode & 0o777, mode);
      assert.strictEqual(await fsp.readFile(target, 'utf8'), `MODE=${mode.toString(8)}\n`);
    }
  });

  it('writes the temporary file in the same folder under a random name', async () => {
    const target = path.join(dir, '.env');
    await fsp.writeFile(target, 'A=1\n');
    const temps: string[] = [];
    const rename: AtomicWriteFs['rename'] = async (from, to) => {
      temps.push(from);
      await fsp.rename(from, to);
    };
    await writeFileAtomically(target, 'A=2\n', { rename });
    await writeFileAtomically(target, 'A=3\n', { rename });
    assert.strictEqual(temps.length, 2);
    assert.notStrictEqual(temps[0], temps[1]);
    for (const temp of temps) {
      assert.strictEqual(path.dirname(temp), dir);
      assert.match(path.basename(temp), /^\.\.env\.[0-9a-f]{16}\.tmp$/);
    }
  });

  it('a crash between writing the temporary file and rename leaves the original intact and no temporary file', async () => {
    const target = path.join(dir, '.env');
    const original = 'KEEP=me\r\nTOKEN=old\r\n';
    await fsp.writeFile(target, original);
    let tempSeen: string | undefined;
    const crash = new Error('simulated crash before rename');
    await assert.rejects(
      writeFileAtomically(target, 'TOKEN=new\r\n', {
        rename: async (from) => {
          // The new content is complete and synced in the temporary file at this point.
          tempSeen = from;
          assert.strictEqual(await fsp.readFile(from, 'utf8'), 'TOKEN=new\r\n');
          throw crash;
        },
      }),
      (error) => error === crash,
    );
    assert.ok(tempSeen);
    assert.strictEqual(await fsp.readFile(target, 'utf8'), original);
    assert.deepStrictEqual(await listing(), ['.env']);
  });

  it('a failure while writing the temporary file leaves the original intact and no temporary file', async () => {
    const target = path.join(dir, '.env');
    await fsp.writeFile(target, 'A=1\n');
    const open: AtomicWriteFs['open'] = async (file, flags, mode) => {
      const handle = await fsp.open(file, flags, mode);
      return {
        writeFile: async (data) => {
          await handle.writeFile(typeof data === 'string' ? data.slice(0, 2) : data);
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        },
        chmod: (m) => handle.chmod(m),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    };
    await assert.rejects(writeFileAtomically(target, 'A=2\n', { open }), /ENOSPC/);
    assert.strictEqual(await fsp.readFile(target, 'utf8'), 'A=1\n');
    assert.deepStrictEqual(await listing(), ['.env']);
  });

  it('a failing fsync leaves the original intact and no temporary file', async () => {
    const target = path.join(dir, '.env');
    await fsp.writeFile(target, 'A=1\n');
    const open: AtomicWriteFs['open'] = async (file, flags, mode) => {
      const handle = await fsp.open(file, flags, mode);
      return {
        writeFile: (data) => handle.writeFile(data),
        chmod: (m) => handle.chmod(m),
        sync: async () => {
          throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        },
        close: () => handle.close(),
      };
    };
    await assert.rejects(writeFileAtomically(target, 'A=2\n', { open }), /EIO/);
    assert.strictEqual(await fsp.readFile(target, 'utf8'), 'A=1\n');
    assert.deepStrictEqual(await listing(), ['.env']);
  });

  it('fails without creating anything when the folder does not exist', async () => {
    await assert.rejects(writeFileAtomically(path.join(dir, 'missing', '.env'), 'A=1\n'), /ENOENT/);
    assert.deepStrictEqual(await listing(), []);
  });

  it('through a symbolic link, replaces the file it points to and keeps the link', async function () {
    if (!posix) this.skip();
    const real = path.join(dir, 'real.env');
    const link = path.join(dir, '.env');
    await fsp.writeFile(real, 'A=1\n');
    await fsp.symlink('real.env', link);
    await writeFileAtomically(link, 'A=2\n');
    assert.ok((await fsp.lstat(link)).isSymbolicLink());
    assert.strictEqual(await fsp.readFile(real, 'utf8'), 'A=2\n');
    assert.deepStrictEqual(await listing(), ['.env', 'real.env']);
  });

  it('end to end: read, set, verify, write', async () => {
    const target = path.join(dir, '.env');
    const before = '# app\r\nexport DB=postgres://x\r\nTOKENHUB_TOKEN=thub_old # rotated monthly\r\n';
    await fsp.writeFile(target, before);
    const text = await fsp.readFile(target, 'utf8');
    const edit = setEnvVariable(text, 'TOKENHUB_TOKEN', 'thub_new', { replace: true });
    assert.ok(verifyEnvEdit(text, edit.text, 'TOKENHUB_TOKEN', 'thub_new').ok);
    await writeFileAtomically(target, edit.text);
    assert.strictEqual(
      await fsp.readFile(target, 'utf8'),
      '# app\r\nexport DB=postgres://x\r\nTOKENHUB_TOKEN=thub_new # rotated monthly\r\n',
    );
  });
});
