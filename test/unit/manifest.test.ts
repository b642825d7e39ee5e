// The manifest (package.json, package.nls.json) and what the README says of it: one text for each setting.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');

describe('the manifest', () => {
  const manifest = JSON.parse(read('package.json')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown; markdownDescription: string }> } };
  };
  const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
  const properties = Object.entries(manifest.contributes.configuration.properties);

  it("the README's settings table says what the Settings UI says, for every setting, and nothing more", () => {
    const readme = read('README.md');
    const rows = new Map(
      [...readme.matchAll(/^\| `(tokenHub\.[A-Za-z]+)` \| `([^`]*)` \| (.*) \|$/gm)].map((match) => [match[1], { value: match[2], text: match[3] }]),
    );
    assert.deepEqual([...rows.keys()].sort(), properties.map(([key]) => key).sort());
    for (const [key, property] of properties) {
      const description = nls[property.markdownDescription.replace(/^%|%$/g, '')];
      assert.ok(description, `${key} has a description in package.nls.json`);
      assert.equal(rows.get(key)?.text, description, key);
      const shown = typeof property.default === 'string' ? property.default : JSON.stringify(property.default);
      assert.equal(rows.get(key)?.value, shown, `${key}'s default`);
    }
  });
});
