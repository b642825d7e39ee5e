// The extension against a real hub, inside a real VS Code extension host: sign in, the tree, create, .env,
// rotate, delete, expiry, 401, hub down, 10,000 tokens. Prompts are answered by a ScriptedPrompter.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import { Token } from '../../../src/contract/types';
import { isValidToken } from '../../../src/core/token';
import type { TokenHubApi } from '../../../src/extension/extension';
import { BACK } from '../../../src/extension/flows/prompter';
import { HubProcess, startHub } from '../../support/hub';
import type { ScriptedPrompter } from '../../support/scriptedPrompter';
import { extensionApi, scriptPromptsPerTest, workspaceFolder } from './helpers/api';
import { setUserSetting } from './helpers/settings';
import { leaveSignedOut, roots, signOutEverything, tokenNodes, waitFor } from './helpers/tree';
import { COMMAND } from '../../../src/extension/commands/ids';

const ENDPOINTS = ['chat-completions', 'embeddings', 'moderation'];

function iconId(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

function tooltipText(item: vscode.TreeItem): string {
  return typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
}

describe('Token Hub against a real hub', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let dataDir: string;
  let accountKey: string;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let admin: HubClient;

  before(async () => {
    // Our own data folder, so the hub can be stopped and started again on the same database and port.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-vscode-'));
    hub = await startHub({ dataDir });
    ({ accountKey } = await hub.init('acme', ENDPOINTS));
    admin = new HubClient({ baseUrl: hub.url, accountKey });
    api = await extensionApi();
    await signOutEverything(api);
  });

  after(async () => {
    await leaveSignedOut(api);
    await hub?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  scriptPromptsPerTest(() => api, (next) => (prompter = next));

  async function signIn(): Promise<string> {
    prompter.answer('hubUrl', hub.url).answer('accountKey', accountKey);
    const connection = (await vscode.commands.executeCommand(COMMAND.signIn)) as { id: string } | undefined;
    assert.ok(connection, 'signed in');
    return connection.id;
  }

  async function createThroughFlow(name: string, endpoints: string[], expiry = '7 days'): Promise<{ token: Token; secret: string }> {
    prompter.answer('name', name).answer('endpoints', endpoints).answer('expiry', expiry).answer('review', 'Create token');
    const token = (await vscode.commands.executeCommand(COMMAND.createToken)) as Token | undefined;
    assert.ok(token, `created ${name}`);
    const shown = prompter.messagesWithId('showOnce').at(-1);
    assert.ok(shown?.options.detail, 'the secret was shown once');
    const secret = shown.options.detail.split('\n')[0];
    return { token, secret };
  }

  it('signs in through the prompts, refusing bad input with sentences, and keeps the key out of settings', async () => {
    const wrongButWellFormed = (await hub.init('elsewhere', ['chat-completions'])).accountKey.replace(/^thak_/, 'thub_');
    prompter
      .answer('hubUrl', 'not a url', hub.url)
      .answer('accountKey', 'thak_short', wrongButWellFormed, accountKey);
    const connection = (await vscode.commands.executeCommand(COMMAND.signIn)) as { id: string; workspaceName: string };
    assert.equal(connection.workspaceName, 'acme');
    const messages = prompter.rejected.map((rejection) => rejection.message);
    assert.match(messages[0], /Start the address with http:\/\/ or https:\/\//);
    assert.match(messages[1], /incomplete or mistyped/);
    assert.match(messages[2], /access token \(thub_…\)/);

    const hubs = vscode.workspace.getConfiguration('tokenHub').inspect('hubs')?.globalValue;
    assert.ok(JSON.stringify(hubs).includes(hub.url), 'the hub URL is in user settings');
    assert.ok(!JSON.stringify(hubs).includes(accountKey), 'the account key is not in settings');
    assert.equal(await api.secretStorage.get(`tokenHub.accountKey/${connection.id}`), accountKey, 'the key is in SecretStorage');

    // A workspace with no tokens keeps its root (workspace and hub), with a row under it that creates one.
    const [root] = await roots(api);
    assert.equal(root?.kind, 'connection');
    assert.equal(api.tree.state, 'empty');
    const [empty] = await api.tree.getChildren(root);
    const emptyItem = api.tree.getTreeItem(empty);
    assert.equal(emptyItem.label, 'No tokens yet.');
    assert.equal(emptyItem.description, 'Create one');
    assert.equal(emptyItem.command?.command, COMMAND.createToken);
  });

  it('refuses an account key the hub does not know, with the hub\'s answer as a sentence', async () => {
    const unknown = (await hub.init('other', ['chat-completions'])).accountKey;
    await admin.getWorkspace();
    // Revoke it so that it is well-formed but refused.
    await hub.cli(['account-key', 'revoke', '--key', unknown]);
    prompter.answer('hubUrl', hub.url).answer('accountKey', unknown, undefined);
    const result = await vscode.commands.executeCommand(COMMAND.signIn);
    assert.equal(result, undefined);
    assert.match(prompter.rejected[0].message, /refused the account key\. Sign in again\./);
  });

  it('creates a token through the multi-step flow with Back, validation and the show-once dialog', async () => {
    const connectionId = api.services.connections.connected()[0]?.id ?? (await signIn());
    prompter
      .answer('name', 'Billing Service', '-billing', 'billing-svc')
      .answer('endpoints', ['chat-completions'], ['chat-completions', 'embeddings'])
      .answer('expiry', BACK, '7 days')
      .answer('review', 'Create token');
    const token = (await vscode.commands.executeCommand(COMMAND.createToken)) as Token;
    assert.ok(token, `created; messages: ${JSON.stringify(prompter.messages)}; asked: ${prompter.asked.map((q) => q.id)}`);
    assert.equal(token.name, 'billing-svc');
    assert.deepEqual(prompter.rejected.map((r) => r.id), ['name', 'name']);
    assert.match(prompter.rejected[0].message, /lowercase/);
    assert.match(prompter.rejected[1].message, /hyphen/);
    assert.deepEqual(
      prompter.asked.map((question) => question.id),
      ['name', 'endpoints', 'expiry', 'endpoints', 'expiry', 'review'],
      'Back returned to the endpoints step',
    );

    const shown = prompter.messagesWithId('showOnce');
    assert.equal(shown.length, 1);
    assert.equal(shown[0].options.modal, true);
    // One message, true as it stands: the secret is kept here, so nothing is urgent; one action beside Close.
    assert.equal(shown[0].text, 'Token "billing-svc" is ready, and its secret is kept on this machine.');
    assert.deepEqual(shown[0].actions, ['Copy']);
    assert.equal(shown[0].options.closeLabel, 'Close');
    const secret = shown[0].options.detail!.split('\n')[0];
    assert.ok(isValidToken(secret, 'thub_'), 'the secret has the contract\'s format');
    assert.equal(await api.services.secrets.get(connectionId, token.id), secret, 'the secret is in SecretStorage');

    const fromHub = await admin.getToken(token.id);
    assert.deepEqual([...fromHub.endpoints].sort(), ['chat-completions', 'embeddings']);
    const days = (Date.parse(fromHub.expiresAt!) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `expires in 7 days (got ${days.toFixed(2)})`);
    assert.deepEqual(await new HubClient({ baseUrl: hub.url }).invoke('embeddings', secret), { endpoint: 'embeddings', tokenId: token.id });

    const [node] = (await tokenNodes(api, connectionId)).filter((candidate) => candidate.token.id === token.id);
    const item = api.tree.getTreeItem(node);
    assert.equal(item.label, 'billing-svc');
    // Only what fits at the default sidebar width: the name and its last use; the masked key is in the tooltip and
    // the accessible label.
    // (It was used above; the list may not know yet: last use is up to a minute stale.)
    assert.match(String(item.description), /^(never used|used just now)$/);
    assert.ok(item.accessibilityInformation?.label.includes(fromHub.maskedKey));
    assert.equal(item.contextValue, 'token.active.stored', 'a fresh 7-day token is not flagged as expiring');
    assert.equal(iconId(item), 'key');
    const tooltip = tooltipText(item);
    for (const expected of ['billing-svc', fromHub.maskedKey, 'chat-completions, embeddings', 'Last used', 'Expires', 'stored on this machine']) {
      assert.ok(tooltip.includes(expected), `tooltip mentions ${expected}`);
    }
    const children = await api.tree.getChildren(node);
    assert.deepEqual(children.map((child) => api.tree.getTreeItem(child).label), fromHub.endpoints);
  });

  it('names an existing token in the message, and cancelling creates nothing', async () => {
    await (api.services.connections.connected()[0] ? Promise.resolve() : signIn());
    const before = (await admin.listAllTokens()).length;
    prompter.answer('name', 'billing-svc', 'fresh-name').answer('endpoints', undefined);
    assert.equal(await vscode.commands.executeCommand(COMMAND.createToken), undefined);
    assert.match(prompter.rejected[0].message, /A token named "billing-svc" already exists in acme/);
    assert.equal((await admin.listAllTokens()).length, before, 'cancelling created nothing');
  });

  it('shows last use and an active token\'s state after the token is used', async () => {
    const connectionId = api.services.connections.connected()[0].id;
    const { token, secret } = await createThroughFlow('reporting', ['moderation'], '60 days');
    let item = api.tree.getTreeItem((await tokenNodes(api, connectionId)).find((n) => n.token.id === token.id)!);
    assert.match(String(item.description), /never used$/);
    assert.equal(item.contextValue, 'token.active.stored');
    assert.equal(iconId(item), 'key');
    await new HubClient({ baseUrl: hub.url }).invoke('moderation', secret);
    await vscode.commands.executeCommand(COMMAND.refresh);
    item = api.tree.getTreeItem((await tokenNodes(api, connectionId)).find((n) => n.token.id === token.id)!);
    assert.match(String(item.description), /used just now$/);
  });

  it('inserts the secret into .env keeping every other line, asks before replacing, and warns when git would commit it', async () => {
    const folder = workspaceFolder();
    const envPath = path.join(folder.uri.fsPath, '.env');
    const original = '# settings for the demo\r\nEXISTING=1\r\nexport OTHER="x y"\r\n\r\n# end';
    fs.writeFileSync(envPath, original);
    fs.writeFileSync(path.join(folder.uri.fsPath, '.gitignore'), 'node_modules/\n');
    const connection = api.services.connections.connected()[0];
    const [node] = (await tokenNodes(api, connection.id)).filter((candidate) => candidate.token.name === 'billing-svc');
    const secret = await api.services.secrets.get(connection.id, node.token.id);

    prompter.answer('envFile', '../outside', '.env').answer('envVariable', '1BAD', 'BILLING_TOKEN').answer('notIgnored', 'Add to .gitignore');
    await vscode.commands.executeCommand(COMMAND.insertIntoEnv, node);
    assert.equal(fs.readFileSync(envPath, 'utf8'), `${original}\r\nBILLING_TOKEN=${secret}\r\n`);
    assert.deepEqual(prompter.rejected.map((r) => r.id), ['envFile', 'envVariable']);
    assert.equal(prompter.messagesWithId('notIgnored').length, 1);
    await waitFor(() => fs.readFileSync(path.join(folder.uri.fsPath, '.gitignore'), 'utf8').includes('/.env'));
    assert.equal(fs.readFileSync(path.join(folder.uri.fsPath, '.gitignore'), 'utf8'), 'node_modules/\n/.env\n');

    // Again: the variable exists, so the person is asked; declining leaves the file as it was.
    prompter.answer('envFile', '.env').answer('envVariable', 'BILLING_TOKEN').answer('confirmReplace', undefined);
    fs.writeFileSync(envPath, `${original}\r\nBILLING_TOKEN=old\r\n`);
    await vscode.commands.executeCommand(COMMAND.insertIntoEnv, node);
    assert.equal(fs.readFileSync(envPath, 'utf8'), `${original}\r\nBILLING_TOKEN=old\r\n`);
    prompter.answer('envFile', '.env').answer('envVariable', 'BILLING_TOKEN').answer('confirmReplace', 'Replace');
    await vscode.commands.executeCommand(COMMAND.insertIntoEnv, node);
    assert.equal(fs.readFileSync(envPath, 'utf8'), `${original}\r\nBILLING_TOKEN=${secret}\r\n`);
    assert.equal(prompter.messagesWithId('notIgnored').length, 1, 'an ignored file raises no warning');
    assert.deepEqual(fs.readdirSync(folder.uri.fsPath).filter((name) => name.includes('.tmp')), [], 'no temporary file is left');
  });

  it('offers Insert into .env once the shown secret is copied, and writes it there', async () => {
    const folder = workspaceFolder();
    const envPath = path.join(folder.uri.fsPath, '.env');
    fs.writeFileSync(envPath, 'A=1\n');
    prompter.answer('showOnce', 'Copy').answer('copied', 'Insert into .env').answer('envFile', '.env').answer('envVariable', 'COPIED_TOKEN');
    const { token, secret } = await createThroughFlow('copy-then-insert', ['embeddings']);
    assert.equal(await vscode.env.clipboard.readText(), secret, 'Copy put the secret on the clipboard');
    assert.deepEqual(prompter.messagesWithId('copied').at(-1)?.actions, ['Insert into .env']);
    await waitFor(() => fs.readFileSync(envPath, 'utf8').includes('COPIED_TOKEN='), 10_000);
    assert.equal(fs.readFileSync(envPath, 'utf8'), `A=1\nCOPIED_TOKEN=${secret}\n`);
    await waitFor(() => prompter.messagesWithId('envWritten').length === 1, 10_000);
    // The later tests count the workspace's tokens.
    await admin.deleteToken(token.id);
  });

  it('writes into the editor buffer when .env has unsaved changes', async () => {
    const folder = workspaceFolder();
    const envUri = vscode.Uri.joinPath(folder.uri, '.env');
    fs.writeFileSync(envUri.fsPath, 'A=1\n');
    const document = await vscode.workspace.openTextDocument(envUri);
    const editor = await vscode.window.showTextDocument(document);
    await editor.edit((edit) => edit.insert(new vscode.Position(1, 0), 'UNSAVED=yes\n'));
    assert.ok(document.isDirty);
    const connection = api.services.connections.connected()[0];
    const [node] = (await tokenNodes(api, connection.id)).filter((candidate) => candidate.token.name === 'billing-svc');
    const secret = await api.services.secrets.get(connection.id, node.token.id);
    prompter.answer('envFile', '.env').answer('envVariable', 'FROM_EDITOR');
    await vscode.commands.executeCommand(COMMAND.insertIntoEnv, node);
    assert.equal(fs.readFileSync(envUri.fsPath, 'utf8'), 'A=1\n', 'the disk is untouched');
    assert.equal(document.getText(), `A=1\nUNSAVED=yes\nFROM_EDITOR=${secret}\n`);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('rotates a token and updates the .env file that held the old secret, after asking', async () => {
    const folder = workspaceFolder();
    const envPath = path.join(folder.uri.fsPath, '.env');
    const connection = api.services.connections.connected()[0];
    const [node] = (await tokenNodes(api, connection.id)).filter((candidate) => candidate.token.name === 'billing-svc');
    const oldSecret = (await api.services.secrets.get(connection.id, node.token.id))!;
    fs.writeFileSync(envPath, `KEEP=me\nBILLING_TOKEN=${oldSecret}\n`);
    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate and Update Files');
    await vscode.commands.executeCommand(COMMAND.rotateToken, node);
    const confirm = prompter.messagesWithId('confirmRotate')[0];
    assert.match(confirm.options.detail ?? '', /\.env/);
    const newSecret = (await api.services.secrets.get(connection.id, node.token.id))!;
    assert.notEqual(newSecret, oldSecret);
    assert.equal(fs.readFileSync(envPath, 'utf8'), `KEEP=me\nBILLING_TOKEN=${newSecret}\n`);
    const client = new HubClient({ baseUrl: hub.url });
    await assert.rejects(client.invoke('embeddings', oldSecret), /401|refused/);
    assert.equal((await client.invoke('embeddings', newSecret)).tokenId, node.token.id);
  });

  it('deletes a token only after the modal confirmation, revokes it and forgets its secret', async () => {
    const connection = api.services.connections.connected()[0];
    const { token, secret } = await createThroughFlow('short-lived', ['chat-completions']);
    const node = (await tokenNodes(api, connection.id)).find((candidate) => candidate.token.id === token.id)!;

    prompter.answer('confirmDelete', undefined);
    assert.equal(await vscode.commands.executeCommand(COMMAND.deleteToken, node), false);
    await admin.getToken(token.id);

    prompter.answer('confirmDelete', 'Delete Access Token');
    assert.equal(await vscode.commands.executeCommand(COMMAND.deleteToken, node), true);
    const confirm = prompter.messagesWithId('confirmDelete')[1];
    assert.equal(confirm.options.modal, true);
    assert.match(confirm.text, /"short-lived"/);
    assert.match(confirm.options.detail ?? '', /stops working at once/);
    await assert.rejects(new HubClient({ baseUrl: hub.url }).invoke('chat-completions', secret), /401|refused/);
    assert.equal(await api.services.secrets.get(connection.id, token.id), undefined);
    assert.ok(!(await tokenNodes(api, connection.id)).some((candidate) => candidate.token.id === token.id));
  });

  it('shows expiring and expired tokens with their own icons, and counts the expiring ones in the status bar', async () => {
    // Tokens made "in the past" by hub processes on the same database whose clocks run behind.
    const DAY = 86_400_000;
    const past = async (daysBehind: number, name: string, expiresAt: number) => {
      const behind = await startHub({ db: hub.db, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(-daysBehind * DAY) } });
      try {
        return (await new HubClient({ baseUrl: behind.url, accountKey }).createToken({ name, endpoints: ['embeddings'], expiresAt: new Date(expiresAt).toISOString() })).token;
      } finally {
        await behind.stop();
      }
    };
    const expiring = await past(5, 'old-job', Date.now() + 2 * DAY);
    const expired = await past(10, 'ancient-job', Date.now() - DAY);
    try {
      await vscode.commands.executeCommand(COMMAND.refresh);
      const connection = api.services.connections.connected()[0];
      const nodes = await tokenNodes(api, connection.id);
      const itemOf = (id: string) => api.tree.getTreeItem(nodes.find((node) => node.token.id === id)!);
      assert.equal(itemOf(expiring.id).contextValue, 'token.expiring');
      assert.equal(iconId(itemOf(expiring.id)), 'warning');
      assert.match(String(itemOf(expiring.id).description), /expires in 2 days$/);
      assert.equal(itemOf(expired.id).contextValue, 'token.expired');
      assert.equal(iconId(itemOf(expired.id)), 'error');
      assert.match(String(itemOf(expired.id).description), /expired 1 day ago$/);
      assert.match(tooltipText(itemOf(expired.id)), /Expired/);

      assert.deepEqual(api.expiry.expiringSoon().map(({ token }) => token.name), ['old-job']);
      assert.match(api.expiry.statusText ?? '', /1 token expires soon/);
      assert.equal(prompter.messagesWithId('expiryNotice').length <= 1, true, 'at most one notification');
      await setUserSetting('expiryWarningDays', 0);
      try {
        assert.equal(api.expiry.statusText, undefined, 'a zero window warns about nothing');
        assert.equal(itemOf(expiring.id).contextValue, 'token.active', 'the tree follows the new window');
      } finally {
        await setUserSetting('expiryWarningDays', undefined);
      }
      assert.equal(itemOf(expiring.id).contextValue, 'token.expiring', 'and the default window again');
    } finally {
      await admin.deleteToken(expiring.id);
      await admin.deleteToken(expired.id);
      await vscode.commands.executeCommand(COMMAND.refresh);
    }
  });

  it('copies a stored secret and clears the clipboard after the configured delay', async () => {
    const connection = api.services.connections.connected()[0];
    const [node] = (await tokenNodes(api, connection.id)).filter((candidate) => candidate.token.name === 'billing-svc');
    const secret = await api.services.secrets.get(connection.id, node.token.id);
    await setUserSetting('clipboardClearSeconds', 1);
    try {
      await vscode.commands.executeCommand(COMMAND.copyToken, node);
      assert.equal(await vscode.env.clipboard.readText(), secret);
      assert.match(prompter.messagesWithId('copied')[0].text, /cleared in 1 seconds?/);
      await waitFor(async () => (await vscode.env.clipboard.readText()) === '', 5000);
    } finally {
      await setUserSetting('clipboardClearSeconds', undefined);
    }
    await vscode.commands.executeCommand(COMMAND.copyMaskedKey, node);
    assert.equal(await vscode.env.clipboard.readText(), node.token.maskedKey);
  });

  it('ignores hub addresses in a cloned repository\'s workspace settings', async () => {
    // What a hostile repository would ship: .vscode/settings.json pointing the account key at its own host.
    const folder = workspaceFolder();
    const settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    const hostile = [{ url: 'http://attacker.invalid', workspaceId: 'ws_evil', workspaceName: 'evil' }];
    fs.writeFileSync(settingsFile, JSON.stringify({ 'tokenHub.hubs': hostile, 'tokenHub.envVariable': 'FROM_WORKSPACE' }));
    try {
      // Wait until VS Code has read the file (a resource setting from it shows), then reload the connections.
      await waitFor(() => vscode.workspace.getConfiguration('tokenHub', folder.uri).get('envVariable') === 'FROM_WORKSPACE', 10_000);
      const before = api.services.connections.list().map((connection) => connection.id);
      await vscode.commands.executeCommand(COMMAND.refresh);
      assert.deepEqual(api.services.connections.list().map((connection) => connection.id), before);
      assert.ok(!api.services.settings.hubs().some((hub) => hub.url.includes('attacker')));
    } finally {
      fs.rmSync(path.dirname(settingsFile), { recursive: true, force: true });
    }
  });

  it('filters the tree by name through the hub', async () => {
    const connection = api.services.connections.connected()[0];
    prompter.answer('filter', 'report');
    await vscode.commands.executeCommand(COMMAND.filter);
    assert.deepEqual((await tokenNodes(api, connection.id)).map((node) => node.token.name), ['reporting']);
    assert.match(api.treeView.message ?? '', /"report"/);
    await vscode.commands.executeCommand(COMMAND.clearFilter);
    assert.equal((await tokenNodes(api, connection.id)).length, 2);
  });

  it('says the hub is unreachable with a Retry item, and Retry recovers once it is back', async () => {
    const connection = api.services.connections.connected()[0];
    await hub.stop();
    await vscode.commands.executeCommand(COMMAND.refresh);
    const root = (await roots(api)).find((node) => node.kind === 'connection')!;
    const [message] = await api.tree.getChildren(root);
    const item = api.tree.getTreeItem(message);
    assert.equal(item.contextValue, 'error');
    assert.equal(item.label, 'Cannot reach the hub.');
    assert.equal(item.description, 'Retry');
    assert.match(tooltipText(item), /Cannot reach the hub at .* \(connection refused\)\. .*Click to retry\./);
    assert.equal(item.command?.command, COMMAND.retry);

    hub = await startHub({ dataDir, db: hub.db, args: ['--port', String(hub.port)] });
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    assert.equal((await tokenNodes(api, connection.id)).length, 2);
  });

  it('marks the connection signed out once when the hub refuses its key', async () => {
    const connection = api.services.connections.connected()[0];
    await hub.cli(['account-key', 'revoke', '--key', accountKey]);
    await vscode.commands.executeCommand(COMMAND.refresh);
    await roots(api);
    await tokenNodes(api, connection.id);
    await vscode.commands.executeCommand(COMMAND.refresh);
    await tokenNodes(api, connection.id);
    assert.equal(prompter.messagesWithId('refused').length, 1, 'said once, not once per request');
    const root = (await roots(api)).find((node) => node.kind === 'connection')!;
    assert.equal(api.tree.getTreeItem(root).contextValue, 'connection.signedOut');
    const [child] = await api.tree.getChildren(root);
    assert.equal(api.tree.getTreeItem(child).command?.command, COMMAND.signIn);
    ({ accountKey } = await hub.init('acme', ENDPOINTS));
    admin = new HubClient({ baseUrl: hub.url, accountKey });
  });

  it('pages through 10,000 tokens on demand', async () => {
    const { accountKey: bigKey } = await hub.init('big', ['chat-completions']);
    const big = new HubClient({ baseUrl: hub.url, accountKey: bigKey });
    const total = 10_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const index = next++;
          await big.createToken({ name: `svc-${String(index).padStart(5, '0')}`, endpoints: ['chat-completions'] });
        }
      }),
    );
    await signOutEverything(api);
    prompter.answer('hubUrl', hub.url).answer('accountKey', bigKey);
    const connection = (await vscode.commands.executeCommand(COMMAND.signIn)) as { id: string };
    const root = (await roots(api)).find((node) => node.kind === 'connection' && node.connection.id === connection.id)!;
    let children = await api.tree.getChildren(root);
    assert.equal(children.filter((node) => node.kind === 'token').length, 100, 'the first page only');
    const loadMore = children.at(-1)!;
    assert.equal(loadMore.kind, 'loadMore');
    const item = api.tree.getTreeItem(loadMore);
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    children = await api.tree.getChildren(root);
    const names = children.filter((node) => node.kind === 'token').map((node) => (node as { token: Token }).token.name);
    assert.equal(names.length, 200);
    assert.equal(new Set(names).size, 200, 'no token twice');
    assert.equal(names[0], (await big.listTokens({ limit: 1 })).data[0].name, 'newest first, as the hub orders them');
  });
});
