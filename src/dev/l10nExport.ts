// The l10n bundle (l10n/bundle.l10n.json) exported from the extension's sources: every `l10n.t('…')` and
// `vscode.l10n.t('…')` call, its English text as key and value. It does what `@vscode/l10n-dev export` does for
// this code (that package is not among the project's dependencies), with the TypeScript compiler the build already
// has: `npm run l10n` writes the bundle, and test/unit/l10nBundle.test.ts fails when the committed one is not fresh.
// Keys are sorted, so the file changes only where a string does.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export const L10N_SOURCES = path.join('src', 'extension');
export const L10N_BUNDLE = path.join('l10n', 'bundle.l10n.json');

type Entry = string | { message: string; comment: string[] };

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function isL10nT(callee: ts.Expression): boolean {
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const owner = callee.expression;
  if (ts.isIdentifier(owner)) return owner.text === 'l10n';
  return ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n' && ts.isIdentifier(owner.expression) && owner.expression.text === 'vscode';
}

function literalText(node: ts.Expression | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** The strings one source file localises; throws where a call's message is not a literal (it could not be exported). */
export function stringsOf(fileName: string, text: string): Array<[string, Entry]> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Array<[string, Entry]> = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && isL10nT(node.expression)) {
      const [first] = node.arguments;
      const message = literalText(first);
      if (message !== undefined) found.push([message, message]);
      else if (first && ts.isObjectLiteralExpression(first)) {
        const property = (name: string) => first.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === name)?.initializer;
        const objectMessage = literalText(property('message'));
        const comments = property('comment');
        const comment = comments && ts.isArrayLiteralExpression(comments) ? comments.elements.map((e) => literalText(e) ?? '') : [literalText(comments) ?? ''];
        if (objectMessage === undefined) throw new Error(`${where(source, node)}: l10n.t's message must be a string literal.`);
        found.push([`${objectMessage}/${comment.join('')}`, { message: objectMessage, comment }]);
      } else {
        throw new Error(`${where(source, node)}: l10n.t's first argument must be a string literal, so the bundle can list it.`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function where(source: ts.SourceFile, node: ts.Node): string {
  const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
  return `${source.fileName}:${line + 1}`;
}

/** The bundle's text for the sources under `root`/src/extension. */
export function exportL10nBundle(root: string): string {
  const entries = new Map<string, Entry>();
  for (const file of listTs(path.join(root, L10N_SOURCES)).sort()) {
    for (const [key, value] of stringsOf(path.relative(root, file), fs.readFileSync(file, 'utf8'))) entries.set(key, value);
  }
  const sorted = Object.fromEntries([...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
