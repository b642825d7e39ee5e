// The committed l10n bundle is what the sources localise: a string added to the code and not to the bundle fails here
// (run `npm run l10n`), and so does a leftover one.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { exportL10nBundle, L10N_BUNDLE, stringsOf } from '../../src/dev/l10nExport';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('the l10n bundle', () => {
  it('equals a fresh export of the extension\'s sources (run "npm run l10n" to refresh it)', () => {
    const committed = fs.readFileSync(path.join(REPO, L10N_BUNDLE), 'utf8');
    assert.equal(committed, exportL10nBundle(REPO));
    assert.ok(Object.keys(JSON.parse(committed)).length > 100, 'the flows and commands are localised');
  });

  it('finds vscode.l10n.t and l10n.t calls, and refuses a message that is not a literal', () => {
    const strings = stringsOf('x.ts', "vscode.l10n.t('Sign in to \"{0}\".', name); l10n.t(`Two`); other.t('no'); l10n.t({ message: 'Three', comment: ['why'] });");
    assert.deepEqual(strings, [
      ['Sign in to "{0}".', 'Sign in to "{0}".'],
      ['Two', 'Two'],
      ['Three/why', { message: 'Three', comment: ['why'] }],
    ]);
    assert.throws(() => stringsOf('y.ts', 'l10n.t(`Hello ${name}`);'), /y\.ts:1: l10n\.t's first argument must be a string literal/);
  });
});
