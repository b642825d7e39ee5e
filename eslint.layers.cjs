// The layering of src/ (docs/architecture.md's "may import" column), enforced by `npm run lint`: a file in one folder
// of src/ may import another folder of src/ only when that folder is listed here, and `vscode` only where listed.
// Imports inside one folder are free. test/ and bench/ may import anything.
const path = require('path');

/** folder of src/ → the folders of src/ (and `vscode`) it may import; '*' is anything. */
const LAYERS = {
  contract: [],
  core: ['contract'],
  api: ['contract', 'core'],
  hub: ['contract', 'core'],
  cli: ['contract', 'core', 'api'],
  bin: ['hub', 'cli'],
  extension: ['contract', 'core', 'api', 'vscode'],
  dev: ['*'],
};

const SRC = `${path.sep}src${path.sep}`;

function layerOf(file) {
  const at = file.lastIndexOf(SRC);
  return at < 0 ? undefined : file.slice(at + SRC.length).split(path.sep)[0];
}

const mayImport = {
  meta: {
    type: 'problem',
    docs: { description: "the layering of src/: each folder imports only the folders LAYERS allows" },
    schema: [],
    messages: {
      forbidden: "src/{{from}} may not import {{target}}: it may import {{allowed}} (eslint.layers.cjs, docs/architecture.md). Move the shared code to a folder both may import.",
    },
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    const allowed = LAYERS[from];
    if (!allowed || allowed.includes('*')) return {};
    function check(node) {
      const source = node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined;
      if (source === undefined) return;
      let target;
      if (source === 'vscode') target = 'vscode';
      else if (source.startsWith('.')) {
        const layer = layerOf(path.resolve(path.dirname(file), source) + path.sep);
        if (layer !== undefined && layer !== from) target = layer;
      }
      if (target !== undefined && !allowed.includes(target)) {
        context.report({
          node,
          messageId: 'forbidden',
          data: { from, target: target === 'vscode' ? 'vscode' : `src/${target}`, allowed: allowed.length ? allowed.map((layer) => (layer === 'vscode' ? layer : `src/${layer}`)).join(', ') : 'nothing of ours' },
        });
      }
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportEqualsDeclaration: (node) => check(node.moduleReference?.expression),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node.arguments[0]);
      },
    };
  },
};

module.exports = { LAYERS, layersPlugin: { rules: { 'may-import': mayImport } } };
