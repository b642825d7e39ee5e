// A lock folder between processes that install code-server at once (tests in parallel, npm start): mkdir is atomic;
// a lock whose holder has died is taken over.
import * as fs from 'fs';
import * as path from 'path';
import { processAlive } from './processTree';

/** Takes the lock (waiting up to 15 minutes); returns its release. */
export function acquireLock(lockDir: string, log: (line: string) => void): () => void {
  const deadline = Date.now() + 15 * 60 * 1000;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // being written or removed
    }
    if (holder > 0 && !processAlive(holder)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`code-server install: timed out waiting for the lock ${lockDir}`);
    if (!told) {
      log(`waiting for another code-server install (pid ${holder || '?'}) to finish…`);
      told = true;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}
