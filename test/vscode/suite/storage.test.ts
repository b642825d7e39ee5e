// Token secrets on this machine, inside a real VS Code against a real hub: a SecretStorage that refuses (VS Code with
// no OS keyring; the one stand-in here, since this VS Code always has storage), two windows writing the index at once,
// and secrets exactly as version 0.1 stored them. Prompts are answered by a ScriptedPrompter.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient, HubRequestError } from '../../../src/api/client';
import { Token } from '../../../src/contract/types';
import { isValidToken } from '../../../src/core/token';
import type { TokenHubApi } from '../../../src/extension/extension';
import { connectionIdOf } from '../../../src/extension/services/connections';
import { TokenSecretStore } from '../../../src/extension/services/tokenSecrets';
import { HubProcess, startHub } from '../../support/hub';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { extensionApi } from './helpers/api';
import { signOutEverything, tokenNodes, waitFor } from './helpers/tree';

// The keys version 0.1 wrote, spelled out here rather than imported, so that changing them breaks this test.
const secretKey01 = (connectionId: string, tokenId: string) => `tokenHub.tokenSecret/${connectionId}/${tokenId}`;
const indexKey01 = (connectionId: string) => `tokenHub.tokenIndex/${connectionId}`;

const NO_KEYRING = 'Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.';

/** The real storage, refusing as VS Code does without an OS keyring: every write, or every call at all. */
function refusingStorage(real: vscode.SecretStorage, refuses: 'writes' | 'everything'): vscode.SecretStorage {
  const refuse = () => Promise.reject(new Error(NO_KEYRING));
  return {
    onDidChange: real.onDidChange,
    get: (key) => (refuses === 'everything' ? refuse() : real.get(key)),
    store: () => refuse(),
    delete: (key) => (refuses === 'everything' ? refuse() : real.delete(key)),
  };
}

/**
 * The real storage, where the next `count` reads of `key` are held until all of them have been asked: two windows
 * read the same index before either writes, which is the lost-update race, every time rather than by chance.
 */
function readingTogether(real: vscode.SecretStorage, key: string): vscode.SecretStorage & { arm(count: number): void } {
  let remaining = 0;
  let held: Array<() => void> = [];
  return {
    onDidChange: real.onDidChange,
    arm(count: number) {
      remaining = count;
      held = [];
    },
    async get(asked: string) {
      if (asked === key && remaining > 0) {
        remaining--;
        await new Promise<void>((resolve) => {
          held.push(resolve);
          if (remaining === 0) held.forEach((release) => release());
        });
      }
      return real.get(asked);
    },
    store: (asked, value) => real.store(asked, value),
    delete: (asked) => real.delete(asked),
  };
}

async function storedIndex(api: TokenHubApi, connectionId: string): Promise<string[]> {
  const raw = await api.secretStorage.get(indexKey01(connectionId));
  return raw ? (JSON.parse(raw) as string[]).sort() : [];
}

describe('Token secrets: storage that refuses, two windows, version 0.1', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let accountKey: string;
  let admin: HubClient;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let connectionId: string;
  let envPath: string;

  before(async () => {
    hub = await startHub();
    ({ accountKey } = await hub.init('storage', ['chat-completions', 'embeddings']));
    admin = new HubClient({ baseUrl: hub.url, accountKey });
    connectionId = connectionIdOf(hub.url, (await admin.getWorkspace()).id);
    api = await extensionApi();
    await signOutEverything(api);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test host opened a folder');
    envPath = path.join(folder.uri.fsPath, '.env');
  });

  after(async () => {
    if (api) {
      api.useTokenSecretStorage(undefined);
      await signOutEverything(api);
      api.setPrompter(undefined);
    }
    await hub?.stop();
  });

  beforeEach(() => {
    prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
  });

  afterEach(function () {
    api.useTokenSecretStorage(undefined);
    fs.rmSync(envPath, { force: true });
    if (this.currentTest?.state === 'failed') {
      console.log(`    messages shown: ${JSON.stringify(prompter.messages.map((m) => `${m.options.id}: ${m.text} | ${m.options.detail ?? ''}`))}`);
    }
    if (this.currentTest?.state === 'passed') assert.deepEqual(prompter.pending(), [], 'every scripted answer was used');
  });

  async function nodeOf(tokenId: string) {
    const node = (await tokenNodes(api, connectionId)).find((candidate) => candidate.token.id === tokenId);
    assert.ok(node, `token ${tokenId} is in the tree`);
    return node;
  }

  async function shownAsStored(tokenId: string): Promise<boolean> {
    return /\.stored$/.test(api.services.tree.getTreeItem(await nodeOf(tokenId)).contextValue ?? '');
  }

  /** Creates through the prompts; the show-once dialog is answered with `button`. Returns the token and the dialog. */
  async function create(name: string, button?: string) {
    prompter.answer('name', name).answer('endpoints', ['embeddings']).answer('expiry', '7 days').answer('review', 'Create token');
    if (button) prompter.answer('showOnce', button);
    const token = (await vscode.commands.executeCommand('tokenHub.createToken')) as Token | undefined;
    const shown = prompter.messagesWithId('showOnce').at(-1);
    assert.ok(token && shown?.options.detail, `created ${name} and showed its secret`);
    return { token, shown, secret: shown.options.detail.split('\n')[0] };
  }

  function assertNoErrorShown(): void {
    assert.deepEqual(prompter.messagesWithId('error').map((m) => m.text), [], 'the error boundary did not take over');
  }

  it('reads the secrets version 0.1 stored, and shows their tokens as stored', async () => {
    const { token, secret } = await admin.createToken({ name: 'kept-by-01', endpoints: ['embeddings'] });
    await api.secretStorage.store(secretKey01(connectionId, token.id), secret);
    await api.secretStorage.store(indexKey01(connectionId), JSON.stringify([token.id]));

    prompter.answer('hubUrl', hub.url).answer('accountKey', accountKey);
    const connection = (await vscode.commands.executeCommand('tokenHub.signIn')) as { id: string } | undefined;
    assert.equal(connection?.id, connectionId);
    assert.ok(await shownAsStored(token.id), 'the tree shows the 0.1 secret as stored');
    assert.equal(api.services.secrets.has(connectionId, token.id), true);
    assert.equal(await api.services.secrets.get(connectionId, token.id), secret);

    // A window that starts after the upgrade reads them the same way.
    const fresh = new TokenSecretStore(api.secretStorage, api.services.logger);
    try {
      assert.deepEqual([...(await fresh.loadIndex(connectionId))], [token.id]);
      assert.equal(await fresh.get(connectionId, token.id), secret);
    } finally {
      fresh.dispose();
    }
    await vscode.commands.executeCommand('tokenHub.copyToken', await nodeOf(token.id));
    assert.equal(await vscode.env.clipboard.readText(), secret, 'Copy Token copies the 0.1 secret');
  });

  it('shows a new token\'s secret once and says it could not be kept, when secret storage refuses it', async () => {
    api.useTokenSecretStorage(refusingStorage(api.secretStorage, 'writes'));
    const { token, shown, secret } = await create('unkept', 'Copy');
    assertNoErrorShown();
    assert.ok(isValidToken(secret, 'thub_'), 'the dialog shows the secret');
    assert.match(shown.options.detail ?? '', /could not keep a copy on this machine/);
    assert.match(shown.options.detail ?? '', /Copy it now/);
    assert.equal(await vscode.env.clipboard.readText(), secret, 'Copy in the dialog still works');
    assert.equal((await new HubClient({ baseUrl: hub.url }).invoke('embeddings', secret)).tokenId, token.id);

    assert.equal(api.services.secrets.has(connectionId, token.id), false);
    assert.equal(await api.services.secrets.get(connectionId, token.id), undefined);
    assert.equal(await api.secretStorage.get(secretKey01(connectionId, token.id)), undefined);
    assert.equal(await shownAsStored(token.id), false, 'the tree does not call it stored');
    await vscode.commands.executeCommand('tokenHub.copyToken', await nodeOf(token.id));
    assert.match(prompter.messagesWithId('notStored')[0]?.text ?? '', /not stored on this machine/);
  });

  it('rotates when storage refuses the new secret: shows it once, and Copy Token never hands out the old one', async () => {
    const { token, secret: oldSecret } = await create('rotate-unkept');
    assert.equal(await api.services.secrets.get(connectionId, token.id), oldSecret, 'stored while storage worked');

    api.useTokenSecretStorage(refusingStorage(api.secretStorage, 'writes'));
    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate');
    const rotated = (await vscode.commands.executeCommand('tokenHub.rotateToken', await nodeOf(token.id))) as Token | undefined;
    assertNoErrorShown();
    assert.equal(rotated?.id, token.id);
    const shown = prompter.messagesWithId('showOnce').at(-1)!;
    const newSecret = shown.options.detail!.split('\n')[0];
    assert.notEqual(newSecret, oldSecret);
    assert.match(shown.options.detail ?? '', /could not keep a copy on this machine/);
    const client = new HubClient({ baseUrl: hub.url });
    assert.equal((await client.invoke('embeddings', newSecret)).tokenId, token.id);
    await assert.rejects(client.invoke('embeddings', oldSecret), /401|refused/);

    assert.equal(await api.services.secrets.get(connectionId, token.id), undefined, 'not the old, dead secret');
    assert.equal(api.services.secrets.has(connectionId, token.id), false);
    assert.equal(await shownAsStored(token.id), false);
  });

  it('rotate still updates the .env files that held the old secret when storage refuses the new one', async () => {
    const { token, secret: oldSecret } = await create('rotate-files');
    fs.writeFileSync(envPath, `KEEP=me\nAPP_TOKEN=${oldSecret}\n`);

    api.useTokenSecretStorage(refusingStorage(api.secretStorage, 'writes'));
    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate and Update Files');
    await vscode.commands.executeCommand('tokenHub.rotateToken', await nodeOf(token.id));
    assertNoErrorShown();
    const match = /^KEEP=me\nAPP_TOKEN=(\S+)\n$/.exec(fs.readFileSync(envPath, 'utf8'));
    assert.ok(match && match[1] !== oldSecret, 'the file holds the new secret');
    assert.equal((await new HubClient({ baseUrl: hub.url }).invoke('embeddings', match[1])).tokenId, token.id);
    assert.match(prompter.messagesWithId('rotated')[0]?.text ?? '', /could not keep a copy on this machine/);
    assert.equal(await api.services.secrets.get(connectionId, token.id), undefined);
  });

  it('keeps working when secret storage refuses every read and write', async () => {
    const broken = refusingStorage(api.secretStorage, 'everything');
    const fresh = new TokenSecretStore(broken, api.services.logger);
    try {
      assert.equal((await fresh.loadIndex(connectionId)).size, 0, 'an unreadable index is an empty one');
      assert.equal(await fresh.get(connectionId, 'tok_any'), undefined);
    } finally {
      fresh.dispose();
    }

    api.useTokenSecretStorage(broken);
    await vscode.commands.executeCommand('tokenHub.refresh');
    const kept = (await tokenNodes(api, connectionId)).find((node) => node.token.name === 'kept-by-01');
    assert.ok(kept, 'the tree still lists the tokens');
    await vscode.commands.executeCommand('tokenHub.copyToken', kept);
    assert.match(prompter.messagesWithId('notStored')[0]?.text ?? '', /not stored on this machine/);

    const unkept = (await tokenNodes(api, connectionId)).find((node) => node.token.name === 'unkept');
    assert.ok(unkept);
    prompter.answer('confirmDelete', 'Delete Access Token');
    assert.equal(await vscode.commands.executeCommand('tokenHub.deleteToken', unkept), true);
    await assert.rejects(admin.getToken(unkept.token.id), (error) => error instanceof HubRequestError && error.status === 404);
    assertNoErrorShown();
  });

  it('two windows adding different tokens at once both keep their entry, and a delete removes only its own', async () => {
    const raceId = `http://127.0.0.1:9#ws_race_${Date.now()}`;
    const storage = readingTogether(api.secretStorage, indexKey01(raceId));
    const one = new TokenSecretStore(storage, api.services.logger);
    const two = new TokenSecretStore(storage, api.services.logger);
    try {
      storage.arm(2);
      await Promise.all([one.store(raceId, 'tok_a', 'secret-a'), two.store(raceId, 'tok_b', 'secret-b')]);
      await waitFor(async () => (await storedIndex(api, raceId)).join() === 'tok_a,tok_b');
      await waitFor(() => [one, two].every((window) => window.has(raceId, 'tok_a') && window.has(raceId, 'tok_b')));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the last change events have been followed

      storage.arm(2);
      await Promise.all([one.delete(raceId, 'tok_a'), two.store(raceId, 'tok_c', 'secret-c')]);
      await waitFor(async () => (await storedIndex(api, raceId)).join() === 'tok_b,tok_c');
      await waitFor(() => [one, two].every((window) => !window.has(raceId, 'tok_a') && window.has(raceId, 'tok_b') && window.has(raceId, 'tok_c')));
      assert.equal(await two.get(raceId, 'tok_c'), 'secret-c');
    } finally {
      await one.deleteAll(raceId);
      one.dispose();
      two.dispose();
    }
    assert.equal(await api.secretStorage.get(indexKey01(raceId)), undefined);
  });

  it('follows another window: a secret it stores shows here as stored, and one it deletes stops showing', async () => {
    const { token, secret } = await admin.createToken({ name: 'other-window', endpoints: ['embeddings'] });
    await vscode.commands.executeCommand('tokenHub.refresh');
    assert.equal(await shownAsStored(token.id), false);
    let treeChanges = 0;
    const listening = api.services.tree.onDidChangeTreeData(() => treeChanges++);
    const other = new TokenSecretStore(api.secretStorage, api.services.logger);
    try {
      await other.store(connectionId, token.id, secret);
      await waitFor(() => api.services.secrets.has(connectionId, token.id));
      assert.ok(treeChanges > 0, 'the tree was told');
      assert.equal(await shownAsStored(token.id), true);
      await other.delete(connectionId, token.id);
      await waitFor(() => !api.services.secrets.has(connectionId, token.id));
      assert.equal(await shownAsStored(token.id), false);
    } finally {
      listening.dispose();
      other.dispose();
    }
  });

  it('stops calling a secret stored once its entry is gone', async () => {
    const kept = (await tokenNodes(api, connectionId)).find((node) => node.token.name === 'kept-by-01');
    assert.ok(kept && api.services.secrets.has(connectionId, kept.token.id));
    // What another window's sign-out half done, or a keyring that lost the entry, leaves: an index naming a missing secret.
    await api.secretStorage.delete(secretKey01(connectionId, kept.token.id));
    assert.equal(await api.services.secrets.get(connectionId, kept.token.id), undefined);
    assert.equal(api.services.secrets.has(connectionId, kept.token.id), false);
    assert.ok(!(await storedIndex(api, connectionId)).includes(kept.token.id), 'the stored index forgot it too');
    assert.equal(await shownAsStored(kept.token.id), false);
  });
});
