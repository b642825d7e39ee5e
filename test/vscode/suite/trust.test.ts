// The trust boundary inside a real extension host against a real hub: a cloned repository's settings and files must
// not steer a secret. A workspace tokenHub.envFile pointing out of the folder, a committed .env or .gitignore that is
// a symlink to a file elsewhere, a workspace clipboardClearSeconds of 0, files created world-readable, and a
// connection made by itself from TOKENHUB_URL that would otherwise be saved for good.
import * as assert from 'assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import type { Token } from '../../../src/contract/types';
import type { TokenHubApi } from '../../../src/extension/extension';
import { HubProcess, startHub } from '../../support/hub';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { afterPromptedTest } from './helpers/afterTest';
import { extensionApi } from './helpers/api';
import { waitFor } from './helpers/wait';

const isWindows = process.platform === 'win32';
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('Trust boundary', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let dataDir: string;
  let accountKey: string;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let root: string;
  let outside: string;
  let originalEnv: string;
  let originalGitignore: string;
  let connectionId: string;
  let token: Token;
  let secret: string;

  const config = () => vscode.workspace.getConfiguration('tokenHub');
  const node = () => ({ kind: 'token', connection: api.services.connections.get(connectionId)!, token });
  const errors = () => prompter.messagesWithId('error').map((m) => m.text);

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-vscode-trust-'));
    hub = await startHub({ dataDir });
    ({ accountKey } = await hub.init('acme', ['chat-completions']));
    api = await extensionApi();
    for (const connection of api.services.connections.list()) await api.services.connections.signOut(connection.id);
    const connection = await api.services.connections.signIn(hub.url, accountKey);
    connectionId = connection.id;
    const created = await new HubClient({ baseUrl: hub.url, accountKey }).createToken({ name: 'trust-svc', endpoints: ['chat-completions'] });
    ({ token, secret } = created);
    await api.services.secrets.store(connectionId, token.id, secret);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test host opened a folder');
    root = folder.uri.fsPath;
    originalEnv = fs.readFileSync(path.join(root, '.env'), 'utf8');
    originalGitignore = fs.readFileSync(path.join(root, '.gitignore'), 'utf8');
  });

  beforeEach(() => {
    prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-outside-'));
  });

  afterEach(async function () {
    // Keep nothing of this test: unsaved edits reverted, editors closed (afterPromptedTest), the files go.
    await afterPromptedTest(this.currentTest, prompter, root);
    for (const key of ['envFile', 'envVariable', 'clipboardClearSeconds']) {
      if (config().inspect(key)?.workspaceValue !== undefined) await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    fs.rmSync(path.join(root, 'trust'), { recursive: true, force: true });
    for (const name of ['.env', '.gitignore']) {
      const file = path.join(root, name);
      if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) fs.rmSync(file);
    }
    fs.writeFileSync(path.join(root, '.env'), originalEnv);
    fs.writeFileSync(path.join(root, '.gitignore'), originalGitignore);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  after(async () => {
    if (api) {
      for (const connection of api.services.connections.list()) {
        await api.services.secrets.deleteAll(connection.id);
        await api.services.connections.signOut(connection.id);
      }
      api.setPrompter(undefined);
    }
    await hub?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('Move to .env refuses a workspace tokenHub.envFile that points out of the folder, and writes nothing there', async () => {
    const stolen = path.join(outside, 'stolen.env');
    const relative = path.relative(root, stolen);
    assert.ok(relative.startsWith('..'), 'the target lies outside the folder');
    await config().update('envFile', relative, vscode.ConfigurationTarget.Workspace);
    await waitFor(() => config().inspect('envFile')?.workspaceValue, (value) => value === relative, 'the workspace setting to apply');
    const file = path.join(root, 'trust', 'config.ts');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `const token = "${secret}";\n`);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);

    await vscode.commands.executeCommand('tokenHub.leakGuard.moveToEnv', uri, new vscode.Range(0, 15, 0, 16));
    assert.deepEqual(prompter.asked.map((q) => q.id), [], 'refused before any question');
    assert.ok(!fs.existsSync(stolen), 'nothing was written outside the workspace folder');
    assert.ok(!fs.readFileSync(path.join(root, '.env'), 'utf8').includes(secret), 'nor into the folder\'s own .env without asking');
    const [error] = errors();
    assert.match(error ?? '', /(inside|outside) the workspace folder/, 'a sentence says why nothing was written');
    assert.ok(!error.includes(secret));
  });

  it('Insert into .env refuses a .env that is a symlink to a file outside the folder', async function () {
    if (isWindows) this.skip();
    const target = path.join(outside, 'elsewhere.env');
    fs.writeFileSync(target, 'OTHER=1\n');
    fs.rmSync(path.join(root, '.env'));
    fs.symlinkSync(target, path.join(root, '.env'));
    prompter.answer('envFile', '.env').answer('envVariable', 'TRUST_TOKEN');
    await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
    assert.equal(fs.readFileSync(target, 'utf8'), 'OTHER=1\n', 'the file the link points to is unchanged');
    assert.ok(fs.lstatSync(path.join(root, '.env')).isSymbolicLink(), 'the link is left as it was');
    assert.match(errors()[0] ?? '', /\.env.*outside the workspace folder/);
  });

  it('Insert into .env refuses a file under a symlinked folder that leads out of the workspace', async function () {
    if (isWindows) this.skip();
    fs.mkdirSync(path.join(root, 'trust'));
    fs.symlinkSync(outside, path.join(root, 'trust', 'config'));
    prompter.answer('envFile', 'trust/config/.env').answer('envVariable', 'TRUST_TOKEN');
    await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing was created outside the folder');
    assert.match(errors()[0] ?? '', /outside the workspace folder/);
  });

  it('Insert into .env writes through a symlink that stays inside the folder', async function () {
    if (isWindows) this.skip();
    fs.mkdirSync(path.join(root, 'trust'));
    fs.writeFileSync(path.join(root, 'trust', 'real.env'), 'A=1\n');
    fs.symlinkSync(path.join(root, 'trust', 'real.env'), path.join(root, 'trust', '.env'));
    prompter.answer('envFile', 'trust/.env').answer('envVariable', 'TRUST_TOKEN');
    await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
    assert.deepEqual(errors(), []);
    assert.equal(fs.readFileSync(path.join(root, 'trust', 'real.env'), 'utf8'), `A=1\nTRUST_TOKEN=${secret}\n`);
    assert.ok(fs.lstatSync(path.join(root, 'trust', '.env')).isSymbolicLink(), 'the link is kept');
  });

  it('Add to .gitignore does not append to a .gitignore that is a symlink out of the folder', async function () {
    if (isWindows) this.skip();
    const gitconfig = path.join(outside, '.gitconfig');
    fs.writeFileSync(gitconfig, '[user]\n\tname = Someone\n');
    fs.rmSync(path.join(root, '.gitignore'));
    fs.symlinkSync(gitconfig, path.join(root, '.gitignore'));
    fs.mkdirSync(path.join(root, 'trust'));
    const envLocal = path.join(root, 'trust', '.env.local');
    fs.writeFileSync(envLocal, 'A=1\n');
    await vscode.commands.executeCommand('tokenHub.leakGuard.addToGitignore', vscode.Uri.file(envLocal));
    assert.equal(fs.readFileSync(gitconfig, 'utf8'), '[user]\n\tname = Someone\n', 'the file the link points to is unchanged');
    assert.match(errors()[0] ?? '', /\.gitignore.*outside the workspace folder/);
  });

  it('rotate does not update a .env file that is a symlink out of the folder', async function () {
    if (isWindows) this.skip();
    const target = path.join(outside, 'rotate.env');
    fs.writeFileSync(target, `TRUST_TOKEN=${secret}\n`);
    fs.rmSync(path.join(root, '.env'));
    fs.symlinkSync(target, path.join(root, '.env'));
    // Before the fix the file was offered ("Rotate and Update Files") and written; now it is named as refused.
    prompter.answer('grace', '1 hour').answer('confirmRotate', 'Rotate');
    const rotated = (await vscode.commands.executeCommand('tokenHub.rotateToken', node())) as Token | undefined;
    assert.equal(fs.readFileSync(target, 'utf8'), `TRUST_TOKEN=${secret}\n`, 'the file outside the folder is unchanged');
    assert.ok(rotated, 'the token was rotated');
    assert.deepEqual(prompter.messagesWithId('confirmRotate').map((m) => m.actions), [['Rotate']], 'the file is not offered for update');
    assert.match(prompter.messagesWithId('filesRefused')[0]?.text ?? '', /\.env .*outside the workspace folder/);
    secret = (await api.services.secrets.get(connectionId, token.id))!;
  });

  it('never writes a secret into a file git tracks', async function () {
    if (spawnSync('git', ['--version']).status !== 0) this.skip();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    fs.mkdirSync(path.join(root, 'trust'));
    fs.writeFileSync(path.join(root, 'trust', 'committed.env'), 'A=1\n');
    try {
      git('init', '-q');
      git('add', '-f', 'trust/committed.env');
      prompter.answer('envFile', 'trust/committed.env').answer('envVariable', 'TRUST_TOKEN');
      await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
      assert.equal(fs.readFileSync(path.join(root, 'trust', 'committed.env'), 'utf8'), 'A=1\n');
      assert.match(errors()[0] ?? '', /git tracks trust\/committed\.env, so a secret written there would be committed/);
    } finally {
      fs.rmSync(path.join(root, '.git'), { recursive: true, force: true });
    }
  });

  it('Move to .env into a new file named by the workspace settings only after the person agrees to ignore it', async () => {
    await config().update('envFile', 'trust/secrets.env', vscode.ConfigurationTarget.Workspace);
    await waitFor(() => api.services.settings.read().envFile, (value) => value === 'trust/secrets.env', 'the workspace setting to apply');
    // A file name of its own: VS Code may still hold the first test's config.ts, with the secret before rotation.
    const file = path.join(root, 'trust', 'agree.ts');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `const token = "${secret}";\n`);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    prompter.answer('confirmWorkspaceEnvFile', undefined);
    await vscode.commands.executeCommand('tokenHub.leakGuard.moveToEnv', uri, new vscode.Range(0, 15, 0, 16));
    assert.ok(!fs.existsSync(path.join(root, 'trust', 'secrets.env')), 'declined: nothing written');

    prompter.answer('confirmWorkspaceEnvFile', 'Add to .gitignore and Move').answer('envVariable', 'TRUST_TOKEN');
    await vscode.commands.executeCommand('tokenHub.leakGuard.moveToEnv', uri, new vscode.Range(0, 15, 0, 16));
    assert.deepEqual(errors(), []);
    assert.equal(fs.readFileSync(path.join(root, 'trust', 'secrets.env'), 'utf8'), `TRUST_TOKEN=${secret}\n`);
    assert.match(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), /^\/trust\/secrets\.env$/m);
  });

  it('reads tokenHub.clipboardClearSeconds from user settings only: a workspace 0 does not keep the secret on the clipboard', async () => {
    await config().update('clipboardClearSeconds', 0, vscode.ConfigurationTarget.Workspace);
    await waitFor(() => config().get('clipboardClearSeconds'), (value) => value === 0, 'the workspace setting to apply');
    assert.equal(api.services.settings.read().clipboardClearSeconds, 60, 'the workspace value is ignored');
    await vscode.commands.executeCommand('tokenHub.copyToken', node());
    assert.match(prompter.messagesWithId('copied')[0]?.text ?? '', /cleared in 60 seconds/);
    await vscode.env.clipboard.writeText('');
  });

  it('creates a new file holding a secret readable by its owner only, and narrows an existing one', async function () {
    if (isWindows) this.skip();
    const fresh = path.join(root, 'trust', 'new', '.env');
    prompter.answer('envFile', 'trust/new/.env').answer('envVariable', 'TRUST_TOKEN');
    await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node());
    assert.deepEqual(errors(), []);
    assert.equal(fs.readFileSync(fresh, 'utf8'), `TRUST_TOKEN=${secret}\n`);
    assert.equal(modeOf(fresh).toString(8), '600', 'a new file is created 0600');

    const existing = path.join(root, '.env');
    fs.chmodSync(existing, 0o644);
    prompter.answer('envFile', '.env').answer('envVariable', 'TRUST_TOKEN');
    const result = (await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node())) as { action: string } | undefined;
    assert.equal(result?.action, 'appended');
    assert.equal(modeOf(existing).toString(8), '600', 'group and others lose their read bits');

    // .gitignore holds no secret: it keeps its mode.
    const gitignore = path.join(root, '.gitignore');
    fs.chmodSync(gitignore, 0o644);
    fs.writeFileSync(path.join(root, 'trust', '.env.local'), 'A=1\n', { mode: 0o600 });
    await vscode.commands.executeCommand('tokenHub.leakGuard.addToGitignore', vscode.Uri.file(path.join(root, 'trust', '.env.local')));
    assert.equal(modeOf(gitignore).toString(8), '644');

    // Written into an open editor with unsaved changes: the file on disk loses its group and other bits too.
    const edited = path.join(root, 'trust', 'edited.env');
    fs.writeFileSync(edited, 'A=1\n');
    fs.chmodSync(edited, 0o644);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(edited));
    await editor.edit((edit) => edit.insert(new vscode.Position(1, 0), 'UNSAVED=yes\n'));
    prompter.answer('envFile', 'trust/edited.env').answer('envVariable', 'TRUST_TOKEN');
    const inEditor = (await vscode.commands.executeCommand('tokenHub.insertIntoEnv', node())) as { action: string } | undefined;
    assert.equal(inEditor?.action, 'appended');
    assert.equal(editor.document.getText(), `A=1\nUNSAVED=yes\nTRUST_TOKEN=${secret}\n`);
    assert.equal(modeOf(edited).toString(8), '600');
  });

  it('connects from TOKENHUB_URL for this window only, saving nothing unless the person keeps it', async () => {
    const saved = { url: process.env.TOKENHUB_URL, key: process.env.TOKENHUB_ACCOUNT_KEY };
    const second = await hub.init('from-env', ['chat-completions']);
    process.env.TOKENHUB_URL = hub.url;
    process.env.TOKENHUB_ACCOUNT_KEY = second.accountKey;
    try {
      prompter.answer('environmentConnected', undefined);
      const connection = (await vscode.commands.executeCommand('tokenHub.connectFromEnvironment')) as { id: string; workspaceName: string } | undefined;
      assert.equal(connection?.workspaceName, 'from-env');
      assert.ok(api.services.connections.connected().some((c) => c.id === connection.id), 'connected in this window');
      const hubs = () => JSON.stringify(config().inspect('hubs')?.globalValue ?? []);
      assert.ok(!hubs().includes('from-env'), 'not saved to user settings');
      assert.equal(await api.secretStorage.get(`tokenHub.accountKey/${connection.id}`), undefined, 'the key is not in SecretStorage');
      const notice = prompter.messagesWithId('environmentConnected')[0];
      assert.ok(notice?.actions.includes('Keep Signed In'), 'the person is offered to keep it');
      const contextOf = async () => {
        const rootNode = (await api.services.tree.getChildren()).find((n) => n.kind === 'connection' && n.connection.id === connection.id);
        return rootNode && api.services.tree.getTreeItem(rootNode).contextValue;
      };
      assert.equal(await contextOf(), 'connection.windowOnly', 'its root offers Keep Signed In on the context menu');

      // A reload of the saved hubs keeps it in this window.
      await api.services.connections.load();
      assert.ok(api.services.connections.connected().some((c) => c.id === connection.id), 'still connected after a reload of settings');

      // Keeping it saves it like a sign-in.
      await vscode.commands.executeCommand('tokenHub.keepSignedIn', { kind: 'connection', connection: api.services.connections.get(connection.id) });
      await waitFor(hubs, (text) => text.includes('from-env'), 'the hub to be saved');
      assert.equal(await api.secretStorage.get(`tokenHub.accountKey/${connection.id}`), second.accountKey);
      assert.equal(await contextOf(), 'connection');
      await api.services.connections.signOut(connection.id);
    } finally {
      if (saved.url === undefined) delete process.env.TOKENHUB_URL;
      else process.env.TOKENHUB_URL = saved.url;
      if (saved.key === undefined) delete process.env.TOKENHUB_ACCOUNT_KEY;
      else process.env.TOKENHUB_ACCOUNT_KEY = saved.key;
    }
  });
});
