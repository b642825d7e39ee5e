import * as assert from 'assert';
import { referenceFor } from '../../src/core/envReference';

describe('env: referenceFor', () => {
  const table: Array<[string, string, string | undefined]> = [
    ['javascript', 'TOKENHUB_TOKEN', 'process.env.TOKENHUB_TOKEN'],
    ['typescript', 'TOKENHUB_TOKEN', 'process.env.TOKENHUB_TOKEN'],
    ['javascriptreact', 'API_KEY', 'process.env.API_KEY'],
    ['typescriptreact', '_X1', 'process.env._X1'],
    ['typescript', 'my.var-name', 'process.env["my.var-name"]'],
    ['python', 'TOKENHUB_TOKEN', 'os.environ["TOKENHUB_TOKEN"]'],
    ['yaml', 'TOKENHUB_TOKEN', '${TOKENHUB_TOKEN}'],
    ['dockercompose', 'TOKENHUB_TOKEN', '${TOKENHUB_TOKEN}'],
    ['go', 'TOKENHUB_TOKEN', undefined],
    ['shellscript', 'TOKENHUB_TOKEN', undefined],
    ['plaintext', 'TOKENHUB_TOKEN', undefined],
    ['', 'TOKENHUB_TOKEN', undefined],
    ['JavaScript', 'TOKENHUB_TOKEN', undefined],
  ];
  for (const [languageId, name, expected] of table) {
    it(`${languageId || '(empty)'} ${name} → ${expected ?? 'undefined (ask)'}`, () => {
      assert.strictEqual(referenceFor(languageId, name), expected);
    });
  }
});
