// The extension, loaded from this repository, is present, activates, and contributes its view and commands.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { COMMAND } from '../../../src/extension/commands/ids';

const EXTENSION_ID = 'tokenhub.token-hub';
// out/test/vscode/suite -> the repository
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

interface Contributes {
  viewsContainers?: { activitybar?: Array<{ id: string }> };
  views?: Record<string, Array<{ id: string }>>;
  commands?: Array<{ command: string }>;
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

describe('Activation', () => {
  it('the extension is loaded from this repository', () => {
    const ext = extension();
    assert.strictEqual(ext.packageJSON.name, 'token-hub');
    assert.strictEqual(path.resolve(ext.extensionUri.fsPath), REPO);
  });

  it('activates', async () => {
    const ext = extension();
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  it('contributes the Token Hub view container and its tokens view', async () => {
    const contributes = extension().packageJSON.contributes as Contributes;
    assert.ok(contributes.viewsContainers?.activitybar?.some((c) => c.id === 'tokenHub'), 'no tokenHub view container');
    assert.ok(contributes.views?.tokenHub?.some((v) => v.id === 'tokenHub.tokens'), 'no tokenHub.tokens view');
    // The workbench made a focus command for the contributed view: it opens the Token Hub side bar.
    await vscode.commands.executeCommand('tokenHub.tokens.focus');
  });

  it('registers every command of the command table', async () => {
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = Object.values(COMMAND).filter((command) => !registered.has(command));
    assert.deepStrictEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });
});
