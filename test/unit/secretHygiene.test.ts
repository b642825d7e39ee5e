import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateToken, maskToken } from '../../src/core/token';
import { findSecretsUnder } from '../support/secretHygiene';
import { withWrongChecksum } from '../support/tokens';

describe('the secret hygiene check', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-hygiene-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds a secret in a nested text file and inside binary bytes, reporting it masked', () => {
    const token = generateToken('thub_');
    const key = generateToken('thak_');
    fs.mkdirSync(path.join(root, 'User', 'globalStorage'), { recursive: true });
    fs.writeFileSync(path.join(root, 'User', 'settings.json'), JSON.stringify({ leaked: token }));
    fs.writeFileSync(path.join(root, 'User', 'globalStorage', 'state.vscdb'), Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.from(key), Buffer.from([0])]));
    const found = findSecretsUnder(root).sort((a, b) => a.file.localeCompare(b.file));
    assert.deepEqual(found, [
      { file: path.join('User', 'globalStorage', 'state.vscdb'), maskedKey: maskToken(key) },
      { file: path.join('User', 'settings.json'), maskedKey: maskToken(token) },
    ]);
  });

  it('finds nothing in clean files or in a token with a wrong checksum', () => {
    const token = generateToken('thub_');
    fs.writeFileSync(path.join(root, 'log.txt'), `masked ${maskToken(token)} and broken ${withWrongChecksum(token)}`);
    assert.deepEqual(findSecretsUnder(root), []);
  });
});
