// A process killed (SIGKILL) while it writes a .env file. The in-process variant, a crash injected between the
// temporary file and the rename, is test/unit/envAtomicWrite.test.ts ("a crash between writing the temporary file
// and rename leaves the original intact and no temporary file"). Here a real child process rewrites the file in a
// loop with writeFileAtomically, alternating two contents made by the editor (src/core/env.ts), and is killed at a
// random moment, many times: the file must always be exactly one of the two, byte for byte, and parse as such;
// never empty, truncated or a mix. A kill can leave the writer's temporary file behind (nothing can remove it at
// that moment); the next write removes such leftovers once they are stale.
import assert from 'assert';
import { spawn } from 'child_process';
import { parse as dotenvParse } from 'dotenv';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { writeFileAtomically } from '../../src/core/atomicWrite';
import { setEnvVariable } from '../../src/core/env';
import { sleep } from './support';

const WRITER = path.join(__dirname, 'envWriter.js');
const KILLS = 30;

describe('reliability: a process killed while writing a .env file', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-envcrash-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`after ${KILLS} kills at random moments the file is always the old or the new content, whole`, async () => {
    // About 150 KB, CRLF line ends, comments and quoting: large enough that a write takes a while.
    let base = '# settings\r\n';
    for (let i = 0; i < 3000; i++) base += `VAR_${i}="value ${i} with spaces"  # note ${i}\r\n`;
    const old = setEnvVariable(base, 'TOKENHUB_TOKEN', 'old-value-aaaaaaaaaaaaaaaa').text;
    const next = setEnvVariable(old, 'TOKENHUB_TOKEN', 'new-value-bbbbbbbbbbbbbbbb', { replace: true }).text;
    const contentA = path.join(dir, 'a.txt');
    const contentB = path.join(dir, 'b.txt');
    fs.writeFileSync(contentA, old);
    fs.writeFileSync(contentB, next);
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    const target = path.join(project, '.env');
    const expectedA = Buffer.from(old);
    const expectedB = Buffer.from(next);
    const seen = { old: 0, new: 0 };
    let leftovers = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      fs.writeFileSync(target, kill % 2 ? next : old);
      const child = spawn(process.execPath, [WRITER, target, contentA, contentB], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        void exited.then(() => reject(new Error(`the writer exited early: ${stderr}`)));
      });
      await sleep(5 + Math.random() * 60);
      child.kill('SIGKILL');
      assert.strictEqual(await exited, 'SIGKILL', stderr);

      const bytes = fs.readFileSync(target);
      const isOld = bytes.equals(expectedA);
      const isNew = bytes.equals(expectedB);
      assert.ok(isOld || isNew, `kill ${kill}: the file is neither the old nor the new content (${bytes.length} bytes)`);
      seen[isOld ? 'old' : 'new']++;
      const parsed = dotenvParse(bytes);
      assert.strictEqual(parsed.TOKENHUB_TOKEN, isOld ? 'old-value-aaaaaaaaaaaaaaaa' : 'new-value-bbbbbbbbbbbbbbbb');
      assert.strictEqual(Object.keys(parsed).length, 3001);
      // Only the target and, at most, the temporary file of the write that was cut off.
      const others = fs.readdirSync(project).filter((name) => name !== '.env');
      for (const name of others) assert.match(name, /^\.\.env\.[0-9a-f]{16}\.tmp$/);
      leftovers += others.length;
      for (const name of others) fs.rmSync(path.join(project, name));
    }
    console.log(`      ${KILLS} kills: ${seen.old} left the old content, ${seen.new} the new; ${leftovers} left a temporary file`);
    assert.ok(seen.old > 0 && seen.new > 0, 'the kills fell at different moments of the loop');
  });

  it('the next write removes a stale temporary file that a killed writer left behind', async () => {
    const project = path.join(dir, 'stale');
    fs.mkdirSync(project);
    const target = path.join(project, '.env');
    fs.writeFileSync(target, 'A=1\n');
    const stale = path.join(project, '..env.0123456789abcdef.tmp');
    const recent = path.join(project, '..env.fedcba9876543210.tmp');
    const unrelated = path.join(project, '..env.local.tmp');
    for (const file of [stale, recent, unrelated]) fs.writeFileSync(file, 'TOKENHUB_TOKEN=half-writ');
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(stale, hourAgo, hourAgo);
    fs.utimesSync(unrelated, hourAgo, hourAgo);
    await writeFileAtomically(target, 'A=2\n');
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'A=2\n');
    assert.ok(!fs.existsSync(stale), 'the stale temporary file is gone');
    assert.ok(fs.existsSync(recent), 'a recent one may belong to a write in progress elsewhere: kept');
    assert.ok(fs.existsSync(unrelated), 'files of other names are never touched');
  });
});
