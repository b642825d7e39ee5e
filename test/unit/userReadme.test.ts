// The Marketplace page (the VSIX's README): a user's page made from the marked parts of the repository's README.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { headingAnchor, userReadme } from '../../src/dev/userReadme';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('the Marketplace README', () => {
  const page = userReadme(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'));

  it('has what a person installing the extension needs, and no developer commands', () => {
    assert.match(page, /^# Token Hub\n/);
    for (const heading of ['## Connect to a hub', '## Features', '## Settings', '## How secrets are kept', '## Troubleshooting']) {
      assert.ok(page.includes(`\n${heading}\n`), heading);
    }
    for (const developer of ['npm install', 'npm start', 'npm test', 'Debian', 'apt-get', '.ci/run']) {
      assert.ok(!page.includes(developer), `the page mentions ${developer}`);
    }
    assert.ok(!page.includes('<!--'), 'no marker is left');
  });

  it('every picture it shows ships in the VSIX (media/), and every in-page link has its section', () => {
    const images = [...page.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1]);
    assert.ok(images.length >= 3, `${images.length} pictures`);
    for (const image of images) {
      assert.match(image, /^media\//);
      assert.ok(fs.existsSync(path.join(REPO, image)), image);
    }
    const anchors = new Set([...page.matchAll(/^#{1,6} (.*)$/gm)].map((match) => headingAnchor(match[1])));
    for (const [, anchor] of page.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(anchor), `#${anchor}`);
  });

  it('keeps a link to a kept section and drops one to a left-out section to its text', () => {
    const text = '# T\n<!-- marketplace -->\n## Kept one\nSee [kept](#kept-one) and [gone](#gone).\n<!-- /marketplace -->\n## Gone\n';
    assert.equal(userReadme(text), '# T\n\n## Kept one\nSee [kept](#kept-one) and gone.\n');
  });
});
