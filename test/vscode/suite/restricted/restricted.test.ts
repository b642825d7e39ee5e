// Restricted Mode (its own launch: Workspace Trust on, the test folder not trusted; see launchesFor in common.ts).
// Listing and copying tokens work; writing a secret into the folder is refused with a sentence that says to trust
// the folder and offers "Manage Workspace Trust", before any question is asked.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient } from '../../../../src/api/client';
import type { Token } from '../../../../src/contract/types';
import type { TokenHubApi } from '../../../../src/extension/extension';
import { HubProcess, startHub } from '../../../support/hub';
import { ScriptedPrompter } from '../../../support/scriptedPrompter';
import { afterPromptedTest } from '../helpers/afterTest';
import { extensionApi } from '../helpers/api';

describe('Restricted Mode', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let root: string;
  let connectionId: string;
  let token: Token;
  let secret: string;
  const node = () => ({ kind: 'token', connection: api.services.connections.get(connectionId)!, token });
  const errors = () => prompter.messagesWithId('error');

  before(async () => {
    hub = await startHub({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-vscode-restricted-')) });
    const { accountKey } = await hub.init('acme', ['chat-completions']);
    api = await extensionApi();
    connectionId = (await api.services.connections.signIn(hub.url, accountKey)).id;
    ({ token, secret } = await new HubClient({ baseUrl: hub.url, accountKey }).createToken({ name: 'restricted-svc', endpoints: ['chat-completions'] }));
    await api.services.secrets.store(connectionId, token.id, secret);
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  beforeEach(() => {
    prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
  });

  afterEach(async function () {
    await afterPromptedTest(this.currentTest, prompter, root);
  });

  after(async () => {
    if (api) {
      await api.services.secrets.deleteAll(connectionId);
      await api.services.connections.signOut(connectionId);
      api.setPrompter(undefined);
    }
    await hub?.stop();
  });

  it('runs in an untrusted folder', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('lists the tokens and copies a secret', async () => {
    const [rootNode] = await api.services.tree.getChildren();
    assert.ok(rootNode, 'the connection is shown');
    const children = await api.services.tree.getChildren(rootNode);
    assert.ok(children.some((child) => child.kind === 'token' && child.token.id === token.id), 'the token is listed');
    await vscode.commands.executeCommand('tokenHub.copyToken', node());
    assert.equal(await vscode.env.clipboard.readText(), secret);
    await vscode.env.clipboard.writeText('');
  });

  it('refuses Insert into .env before asking anything, and offers to manage trust', async () => {
    const before = fs.readFileSync(path.join(root, '.env'), 'utf8');
    await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
    assert.deepEqual(prompter.asked.map((q) => q.id), []);
    assert.equal(fs.readFileSync(path.join(root, '.env'), 'utf8'), before);
    const [error] = errors();
    assert.match(error?.text ?? '', /Restricted Mode\)\. Trust the folder with "Manage Workspace Trust", then try again\./);
    assert.ok(error.actions.includes('Manage Workspace Trust'));
  });

  it('refuses Move to .env and leaves the file as it was', async () => {
    const file = path.join(root, 'restricted-config.ts');
    fs.writeFileSync(file, `const token = "${secret}";\n`);
    try {
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand('tokenHub.leakGuard.moveToEnv', uri, new vscode.Range(0, 15, 0, 16));
      assert.ok(!fs.readFileSync(path.join(root, '.env'), 'utf8').includes(secret));
      assert.equal(vscode.window.activeTextEditor?.document.getText(), `const token = "${secret}";\n`);
      assert.match(errors()[0]?.text ?? '', /Restricted Mode/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
