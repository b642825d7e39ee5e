// Finds Token Hub secrets (valid checksum) in every file under a folder (settings, state databases, logs), and in a
// workbench page's browser storage. Used during and after the extension-host run, where no secret may ever land.
import * as fs from 'fs';
import * as path from 'path';
import { scanText } from '../../src/core/scanner';
import { maskToken } from '../../src/core/token';

export interface SecretSighting {
  file: string;
  maskedKey: string;
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function findSecretsUnder(root: string): SecretSighting[] {
  const sightings: SecretSighting[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && fs.statSync(full).size <= MAX_FILE_BYTES) {
        // latin1 keeps every byte, so secrets inside binary files (SQLite state databases) are found too.
        sightings.push(...findSecretsInText(path.relative(root, full), fs.readFileSync(full).toString('latin1')));
      }
    }
  };
  if (fs.existsSync(root)) walk(root);
  return sightings;
}

export function findSecretsInText(where: string, text: string): SecretSighting[] {
  return scanText(text).map((finding) => ({ file: where, maskedKey: maskToken(finding.token) }));
}

/** What playwright's Page offers that the browser search needs. */
export interface EvaluatingPage {
  evaluate<T>(expression: string): Promise<T>;
}

// Runs in the workbench page: every IndexedDB database, object store and entry, and localStorage, as [where, text]
// pairs. VS Code in the browser (code-server) keeps its workspace and global storage there, not in the user data
// folder: a secret VS Code persisted (a persistent terminal environment collection, say) is only visible here.
const DUMP_BROWSER_STORAGE = `(async () => {
  const found = [];
  const text = (value) => typeof value === 'string' ? value : value instanceof Uint8Array ? new TextDecoder('latin1').decode(value) : JSON.stringify(value);
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => { const request = indexedDB.open(info.name); request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
    try {
      for (const name of Array.from(db.objectStoreNames)) {
        const store = db.transaction(name, 'readonly').objectStore(name);
        const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); })));
        keys.forEach((key, index) => found.push(['indexedDB ' + info.name + '/' + name + '/' + String(key), text(values[index])]));
      }
    } finally {
      db.close();
    }
  }
  for (let index = 0; index < localStorage.length; index++) {
    const key = localStorage.key(index);
    found.push(['localStorage ' + key, localStorage.getItem(key) ?? '']);
  }
  return found;
})()`;

/** Token Hub secrets in the browser's storage of a workbench page (IndexedDB and localStorage). */
export async function findSecretsInBrowserStorage(page: EvaluatingPage): Promise<SecretSighting[]> {
  const entries = await page.evaluate<Array<[string, string]>>(DUMP_BROWSER_STORAGE);
  return entries.flatMap(([where, text]) => findSecretsInText(where, text));
}
