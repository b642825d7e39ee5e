// Finds Token Hub secrets (valid checksum) in every file under a folder: settings, state databases, logs.
// Used after the extension-host run on code-server's folders, where no secret may ever land.
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
        for (const finding of scanText(fs.readFileSync(full).toString('latin1'))) {
          sightings.push({ file: path.relative(root, full), maskedKey: maskToken(finding.token) });
        }
      }
    }
  };
  if (fs.existsSync(root)) walk(root);
  return sightings;
}
