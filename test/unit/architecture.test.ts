// docs/architecture.md against the code: its "may import" table is the one lint enforces (eslint.layers.cjs), every
// folder of src/ has a row, and every module its list of concepts names exists.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const doc = fs.readFileSync(path.join(REPO, 'docs', 'architecture.md'), 'utf8');
// eslint.layers.cjs is plain CommonJS beside eslint.config.mjs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LAYERS } = require(path.join(REPO, 'eslint.layers.cjs')) as { LAYERS: Record<string, string[]> };

/** The "may import" column: `src/x` → x, `vscode`, "anything" → '*', "nothing of ours" → none. */
function docLayers(): Record<string, string[]> {
  const rows = [...doc.matchAll(/^\| `src\/([a-z]+)\/` \| .* \| (.*) \|$/gm)];
  return Object.fromEntries(
    rows.map(([, folder, column]) => [
      folder,
      column.trim() === 'anything' ? ['*'] : [...column.matchAll(/`(?:src\/)?([a-z]+)`/g)].map((match) => match[1]),
    ]),
  );
}

describe('docs/architecture.md', () => {
  it('its "may import" table is the layering npm run lint enforces', () => {
    const documented = docLayers();
    const sorted = (table: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(table).map(([folder, allowed]) => [folder, [...allowed].sort()]).sort());
    assert.deepEqual(sorted(documented), sorted(LAYERS));
  });

  it('has a row for every folder of src/', () => {
    const folders = fs.readdirSync(path.join(REPO, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    assert.deepEqual(folders.sort(), Object.keys(docLayers()).sort());
  });

  it('names an existing module for each concept, the ones the house is built around included', () => {
    const section = /\n## Where each concept lives\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
    const concepts = [...section.matchAll(/^- (.+?): (`[^`]+`(?:, `[^`]+`)*)$/gm)].map(([, concept, modules]) => ({
      concept,
      modules: [...modules.matchAll(/`([^`]+)`/g)].map((match) => match[1]),
    }));
    const names = concepts.map((entry) => entry.concept);
    for (const needed of ['token format', 'masking', '.env editing', 'git-ignore answers', 'scanning', 'error wire form', 'store SQLite', 'store PostgreSQL']) {
      assert.ok(names.some((name) => name.startsWith(needed)), `the list names "${needed}"`);
    }
    assert.ok(names.filter((name) => name.startsWith('route family')).length >= 6, 'each route family is listed');
    const missing = concepts.flatMap(({ concept, modules }) => modules.filter((module) => !fs.existsSync(path.join(REPO, module))).map((module) => `${concept}: ${module}`));
    assert.deepEqual(missing, []);
  });
});
