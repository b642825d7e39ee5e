// The usage index on real files in a temp folder, and the .env removal it leads to.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removeSecretFromEnv } from '../../src/core/env';
import { generateToken } from '../../src/core/token';
import { secretHash, UsageIndex } from '../../src/core/usageIndex';

describe('UsageIndex', () => {
  const a = generateToken('thub_');
  const b = generateToken('thub_');
  let dir: string;
  const write = (relative: string, text: string | Buffer) => {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-usages-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds every place of each secret, with the .env variable, and skips .git, node_modules, binary files and account keys', async () => {
    const files = [
      write('.env', `# comment\nBILLING_TOKEN=${a}\nOTHER="${b}"\n`),
      write('apps/api/.env.local', `export TOKEN='${a}'\n`),
      write('src/app.js', `const x = 1;\nconst y = 2;\nconst key = "${a}";\n`),
      write('node_modules/dep/index.js', `module.exports = "${a}";\n`),
      write('.git/config', `${a}\n`),
      write('blob.bin', Buffer.concat([Buffer.from(`${a}\n`), Buffer.from([0])])),
      write('key.txt', `${generateToken('thak_')}\n`),
    ];
    const index = new UsageIndex();
    const changed: string[] = [];
    index.onDidChange((hashes) => changed.push(...hashes));
    const result = await index.build(files);
    assert.equal(result.usages, 4);
    assert.equal(result.filesWithTokens, 3);
    assert.ok(result.skipped >= 3);
    const places = index.usagesOf(secretHash(a)).map((u) => [path.relative(dir, u.file), u.line, u.variable]);
    assert.deepEqual(places, [
      ['.env', 1, 'BILLING_TOKEN'],
      [path.join('apps', 'api', '.env.local'), 0, 'TOKEN'],
      [path.join('src', 'app.js'), 2, undefined],
    ]);
    assert.deepEqual(index.usagesOf(secretHash(b)).map((u) => u.variable), ['OTHER']);
    assert.equal(index.secretOf(secretHash(a)), a);
    assert.deepEqual(new Set(changed), new Set([secretHash(a), secretHash(b)]));

    // Updates: an edited text, a file changed on disk, a deleted folder.
    changed.length = 0;
    index.updateText(files[2], 'const key = process.env.KEY;\n');
    assert.deepEqual(changed, [secretHash(a)]);
    assert.equal(index.usagesOf(secretHash(a)).length, 2);
    fs.writeFileSync(files[0], `BILLING_TOKEN=${b}\n`);
    await index.updateFile(files[0]);
    assert.equal(index.usagesOf(secretHash(a)).length, 1);
    assert.equal(index.usagesOf(secretHash(b)).length, 1);
    index.remove(path.join(dir, 'apps'));
    assert.deepEqual(index.usagesOf(secretHash(a)), []);
    assert.equal(index.secretOf(secretHash(a)), undefined, 'a secret with no place left is forgotten');
  });

  it('stops when cancelled', async () => {
    const files = Array.from({ length: 200 }, (_, i) => write(`f${i}.txt`, `${a}\n`));
    let read = 0;
    const result = await new UsageIndex().build(files, { concurrency: 1, progress: () => read++, isCancelled: () => read >= 10 });
    assert.equal(result.cancelled, true);
    assert.equal(result.scanned, 10);
  });
});

describe('removeSecretFromEnv', () => {
  const a = generateToken('thub_');
  it('removes the assignment lines holding the secret and keeps every other byte', () => {
    const text = `# top\r\nA=1\r\nTOKEN=${a}\r\nexport B="x" # c\r\nMULTI="${a}"\r\nLAST=${a}`;
    const result = removeSecretFromEnv(text, a);
    assert.equal(result.text, '# top\r\nA=1\r\nexport B="x" # c\r\n');
    assert.deepEqual(result.removed.map((r) => r.name), ['TOKEN', 'MULTI', 'LAST']);
    assert.deepEqual(removeSecretFromEnv('A=1\n', a), { text: 'A=1\n', removed: [] });
  });
});
