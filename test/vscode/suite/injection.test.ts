// "Use in Terminals and Debug Sessions" against a real hub, inside a real VS Code: what a new terminal, a task and a
// debug session of this window really see (each writes the variable into a file of a private temp folder), and that
// turning it off, deleting and rotating the token change it at once.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Token } from '../../../src/contract/types';
import type { TokenHubApi } from '../../../src/extension/extension';
import type { TreeNode } from '../../../src/extension/views/tokenTree';
import { HubProcess, startHub } from '../../support/hub';
import type { ScriptedPrompter } from '../../support/scriptedPrompter';
import { extensionApi, scriptPromptsPerTest, workspaceFolder } from './helpers/api';
import { signOutEverything } from './helpers/tree';
import { setUserSetting } from './helpers/settings';

const UNSET = '(unset)';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for a file the process under test writes (it writes aside and renames, so a file seen is complete). */
async function readWhenWritten(file: string, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${what} did not write ${file} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
  return fs.readFileSync(file, 'utf8');
}

/** A shell command printing $NAME (or UNSET when it is not set at all) into `file`. */
function printVariable(variable: string, file: string): string {
  return `if [ -n "\${${variable}+set}" ]; then printf %s "$${variable}"; else printf %s '${UNSET}'; fi > '${file}.part' && mv '${file}.part' '${file}'`;
}

describe('Use in Terminals and Debug Sessions', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let accountKey: string;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let outputs: string;
  let written = 0;
  let connectionId: string;

  before(async () => {
    hub = await startHub();
    ({ accountKey } = await hub.init('acme', ['chat-completions']));
    api = await extensionApi();
    await signOutEverything(api);
    // Private (0700): the files below hold secrets for a moment.
    outputs = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-injection-'));
    connectionId = (await api.services.connections.signIn(hub.url, accountKey)).id;
  });

  after(async () => {
    if (api) {
      for (const entry of api.services.injection.list()) api.services.injection.remove(entry.connectionId, entry.tokenId);
      await signOutEverything(api);
      api.setPrompter(undefined);
    }
    await setUserSetting('envVariable', undefined);
    await setUserSetting('envVariable', undefined, 'tokenHub', vscode.ConfigurationTarget.Workspace);
    await setUserSetting('persistentSessionReviveProcess', undefined, 'terminal.integrated');
    await hub?.stop();
    if (outputs) fs.rmSync(outputs, { recursive: true, force: true });
  });

  scriptPromptsPerTest(() => api, (next) => (prompter = next));

  async function create(name: string): Promise<{ token: Token; secret: string }> {
    prompter.answer('name', name).answer('endpoints', ['chat-completions']).answer('expiry', '7 days').answer('review', 'Create token');
    const token = (await vscode.commands.executeCommand('tokenHub.createToken')) as Token | undefined;
    assert.ok(token, `created ${name}`);
    const secret = prompter.messagesWithId('showOnce').at(-1)!.options.detail!.split('\n')[0];
    return { token, secret };
  }

  async function tokenNode(tokenId: string): Promise<Extract<TreeNode, { kind: 'token' }>> {
    const [root] = (await api.services.tree.getChildren()).filter((node) => node.kind === 'connection' && node.connection.id === connectionId);
    assert.ok(root, 'the connection is a root of the tree');
    const node = (await api.services.tree.getChildren(root)).find((child) => child.kind === 'token' && child.token.id === tokenId);
    assert.ok(node && node.kind === 'token', `the tree lists token ${tokenId}`);
    return node;
  }

  async function createAndInject(name: string, variable: string): Promise<Token> {
    const { token } = await create(name);
    prompter.answer('injectVariable', variable);
    await vscode.commands.executeCommand('tokenHub.useInTerminals', await tokenNode(token.id));
    assert.equal(api.services.injection.variableOf(connectionId, token.id), variable);
    return token;
  }

  /** What a new integrated terminal of this window sees as $variable. */
  async function inNewTerminal(variable: string): Promise<string> {
    const file = path.join(outputs, `terminal-${++written}`);
    const terminal = vscode.window.createTerminal({ name: 'Token Hub injection test', shellPath: '/bin/sh', shellArgs: ['-c', printVariable(variable, file)] });
    try {
      return await readWhenWritten(file, 'the terminal');
    } finally {
      terminal.dispose();
      fs.rmSync(file, { force: true });
    }
  }

  /** What a task (ShellExecution, so a terminal of its own) sees as $variable. */
  async function inTask(variable: string): Promise<string> {
    const file = path.join(outputs, `task-${++written}`);
    const task = new vscode.Task({ type: 'shell' }, workspaceFolder(), `print ${variable}`, 'tokenhub-test', new vscode.ShellExecution(printVariable(variable, file), { executable: '/bin/sh', shellArgs: ['-c'] }));
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Never };
    const ended = new Promise<void>((resolve) => {
      const listener = vscode.tasks.onDidEndTaskProcess((event) => {
        if (event.execution.task.name === task.name) {
          listener.dispose();
          resolve();
        }
      });
    });
    await vscode.tasks.executeTask(task);
    try {
      const value = await readWhenWritten(file, 'the task');
      await Promise.race([ended, sleep(10_000)]);
      return value;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** What a real Node.js debug session (js-debug, launched through our provider) sees as process.env[variable]. */
  async function inDebugSession(variable: string, env?: Record<string, string>): Promise<string> {
    const file = path.join(outputs, `debug-${++written}`);
    const script = path.join(outputs, `print-${written}.js`);
    fs.writeFileSync(
      script,
      `const fs = require('fs');\nconst value = process.env[${JSON.stringify(variable)}];\n` +
        `fs.writeFileSync(${JSON.stringify(`${file}.part`)}, value === undefined ? ${JSON.stringify(UNSET)} : value, { mode: 0o600 });\n` +
        `fs.renameSync(${JSON.stringify(`${file}.part`)}, ${JSON.stringify(file)});\n`,
    );
    const config: vscode.DebugConfiguration = {
      type: 'node',
      request: 'launch',
      name: 'Token Hub injection test',
      program: script,
      runtimeExecutable: process.execPath,
      console: 'internalConsole',
      ...(env ? { env } : {}),
    };
    const terminated = new Promise<void>((resolve) => {
      const listener = vscode.debug.onDidTerminateDebugSession((session) => {
        if (session.name === config.name) {
          listener.dispose();
          resolve();
        }
      });
    });
    assert.ok(await vscode.debug.startDebugging(workspaceFolder(), config), 'the debug session started');
    try {
      const value = await readWhenWritten(file, 'the debug session', 60_000);
      await Promise.race([terminated, sleep(15_000)]);
      return value;
    } finally {
      fs.rmSync(file, { force: true });
      fs.rmSync(script, { force: true });
    }
  }

  it('offers the user-settings variable, not the repository\'s, and gives the secret to a new terminal, a task and a debug session', async () => {
    await setUserSetting('envVariable', 'OPENAI_KEY');
    await setUserSetting('envVariable', 'FROM_THE_REPO', 'tokenHub', vscode.ConfigurationTarget.Workspace);
    const { token, secret } = await create('openai-dev');
    assert.equal(await inNewTerminal('OPENAI_KEY'), UNSET, 'nothing is injected before the person asks');

    prompter.answer('injectVariable', '1BAD', 'OPENAI_KEY').answer('terminalRevival', 'Turn Off Terminal Revival');
    const injected = await vscode.commands.executeCommand('tokenHub.useInTerminals', await tokenNode(token.id));
    assert.deepEqual(injected, { connectionId, tokenId: token.id, tokenName: 'openai-dev', variable: 'OPENAI_KEY' });
    const question = prompter.asked.find((asked) => asked.id === 'injectVariable')!.question as { value?: string };
    assert.equal(question.value, 'OPENAI_KEY', 'the name offered comes from user settings');
    assert.match(prompter.rejected[0].message, /letters, digits and underscores/);
    const done = prompter.messagesWithId('injected')[0];
    assert.match(done.text, /New terminals and debug sessions of this window get "openai-dev" as OPENAI_KEY; restart open terminals to use it/);
    assert.ok(!done.text.includes(secret));

    // VS Code's own terminal revival would save the terminals' environment on disk at exit: the person turned it off.
    assert.match(prompter.messagesWithId('terminalRevival')[0].text, /saves the environment of open terminals on disk/);
    const revival = () => vscode.workspace.getConfiguration('terminal.integrated').inspect('persistentSessionReviveProcess')?.globalValue;
    for (let waited = 0; revival() !== 'never' && waited < 5000; waited += 100) await sleep(100);
    assert.equal(revival(), 'never');
    assert.equal(prompter.messagesWithId('terminalRevivalOff').length, 1);

    assert.equal(await inNewTerminal('OPENAI_KEY'), secret, 'a new terminal has the secret');
    assert.equal(await inTask('OPENAI_KEY'), secret, 'a task has the secret');
    assert.equal(await inDebugSession('OPENAI_KEY'), secret, 'a Node.js debug session has the secret');
    assert.equal(await inDebugSession('OPENAI_KEY', { OPENAI_KEY: 'from-launch-json' }), 'from-launch-json', 'an explicit launch configuration value wins');
  });

  it('resolves debug configurations of any type with the variables, keeping what the configuration sets', async () => {
    const [entry] = api.services.injection.list();
    const secret = (await api.services.secrets.get(connectionId, entry.tokenId))!;
    const provider = api.services.injection;
    const resolved = await provider.resolveDebugConfiguration(workspaceFolder(), { type: 'python', request: 'launch', name: 'py', env: { OTHER: '1' } });
    assert.deepEqual(resolved?.env, { OTHER: '1', OPENAI_KEY: secret });
    const kept = await provider.resolveDebugConfiguration(undefined, { type: 'node', request: 'launch', name: 'n', env: { OPENAI_KEY: null } });
    assert.deepEqual(kept?.env, { OPENAI_KEY: null }, 'null (unset it) in the configuration wins too');
    const empty = { type: '', request: '', name: '' };
    assert.deepEqual(await provider.resolveDebugConfiguration(undefined, empty), empty, 'a configuration still to be made is left to its debugger');
  });

  it('shows which token is injected and under which name in the tree, without the secret', async () => {
    const [entry] = api.services.injection.list();
    const secret = (await api.services.secrets.get(connectionId, entry.tokenId))!;
    const item = api.services.tree.getTreeItem(await tokenNode(entry.tokenId));
    assert.match(String(item.description), / · \$OPENAI_KEY$/);
    assert.match(String(item.contextValue), /^token\.active\.stored\.injected$/);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip);
    assert.match(tooltip, /New terminals and debug sessions of this window get it as `OPENAI_KEY`/);
    assert.ok(!JSON.stringify({ description: item.description, tooltip, label: item.accessibilityInformation?.label }).includes(secret));
  });

  it('refuses a name another token already uses unless the person replaces it', async () => {
    const [first] = api.services.injection.list();
    const { token: second, secret } = await create('openai-ci');
    // Declined: asked again, and another name is taken.
    prompter.answer('injectVariable', 'OPENAI_KEY', 'CI_KEY').answer('confirmInjectReplace', undefined);
    await vscode.commands.executeCommand('tokenHub.useInTerminals', await tokenNode(second.id));
    assert.match(prompter.messagesWithId('confirmInjectReplace')[0].text, /New terminals already get "openai-dev" as OPENAI_KEY\. Give them "openai-ci" as OPENAI_KEY instead\?/);
    assert.equal(api.services.injection.variableOf(connectionId, first.tokenId), 'OPENAI_KEY');
    assert.equal(api.services.injection.variableOf(connectionId, second.id), 'CI_KEY');
    assert.equal(await inNewTerminal('CI_KEY'), secret);

    // From the palette (token picker of stored tokens), replacing: the first token is no longer given.
    prompter.answer('token', 'openai-ci').answer('injectVariable', 'OPENAI_KEY').answer('confirmInjectReplace', 'Replace');
    await vscode.commands.executeCommand('tokenHub.useInTerminals');
    assert.equal(api.services.injection.variableOf(connectionId, first.tokenId), undefined);
    assert.deepEqual(api.services.injection.list().map((entry) => [entry.tokenName, entry.variable]), [['openai-ci', 'OPENAI_KEY']]);
    assert.equal(await inNewTerminal('OPENAI_KEY'), secret);
    assert.equal(await inNewTerminal('CI_KEY'), UNSET, 'moving a token to another name drops the old one');
  });

  it('gives the new secret after a rotation, at once', async () => {
    const [entry] = api.services.injection.list();
    const oldSecret = (await api.services.secrets.get(connectionId, entry.tokenId))!;
    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate');
    await vscode.commands.executeCommand('tokenHub.rotateToken', await tokenNode(entry.tokenId));
    const newSecret = (await api.services.secrets.get(connectionId, entry.tokenId))!;
    assert.notEqual(newSecret, oldSecret);
    assert.equal(await inNewTerminal('OPENAI_KEY'), newSecret);
    const resolved = await api.services.injection.resolveDebugConfiguration(undefined, { type: 'node', request: 'launch', name: 'n' });
    assert.equal(resolved?.env?.OPENAI_KEY, newSecret);
  });

  it('stops at once when turned off, from the tree or the palette', async () => {
    const [entry] = api.services.injection.list();
    assert.equal(await vscode.commands.executeCommand('tokenHub.stopUsingInTerminals', await tokenNode(entry.tokenId)), true);
    assert.match(prompter.messagesWithId('injectionStopped')[0].text, /New terminals and debug sessions no longer get "openai-ci" as OPENAI_KEY\. Restart open terminals/);
    assert.equal(await inNewTerminal('OPENAI_KEY'), UNSET);
    const resolved = await api.services.injection.resolveDebugConfiguration(undefined, { type: 'node', request: 'launch', name: 'n' });
    assert.equal(resolved?.env, undefined, 'a debug configuration is left as it was');
    assert.ok(!String(api.services.tree.getTreeItem(await tokenNode(entry.tokenId)).description).includes('$'));

    // The palette: nothing to stop is a sentence; then one injected token is picked and stopped.
    await vscode.commands.executeCommand('tokenHub.stopUsingInTerminals');
    assert.match(prompter.messagesWithId('error')[0].text, /No token is given to terminals of this window/);
    prompter.answer('injectVariable', 'OPENAI_KEY');
    await vscode.commands.executeCommand('tokenHub.useInTerminals', await tokenNode(entry.tokenId));
    prompter.answer('injectedToken', 'openai-ci');
    assert.equal(await vscode.commands.executeCommand('tokenHub.stopUsingInTerminals'), true);
    assert.deepEqual(api.services.injection.list(), []);
  });

  it('is gone when the token is deleted, and when its workspace is signed out of', async () => {
    const token = await createAndInject('doomed', 'DOOMED_KEY');
    prompter.answer('confirmDelete', 'Delete Access Token');
    assert.equal(await vscode.commands.executeCommand('tokenHub.deleteToken', await tokenNode(token.id)), true);
    assert.deepEqual(api.services.injection.list(), []);
    assert.equal(await inNewTerminal('DOOMED_KEY'), UNSET);

    const kept = await createAndInject('kept', 'KEPT_KEY');
    prompter.answer('confirmSignOut', 'Sign Out');
    assert.equal(await vscode.commands.executeCommand('tokenHub.signOut', await tokenNode(kept.id)), true);
    assert.deepEqual(api.services.injection.list(), []);
    assert.equal(await inNewTerminal('KEPT_KEY'), UNSET);
  });
});
