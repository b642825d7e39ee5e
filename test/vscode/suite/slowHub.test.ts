// A slow hub: each call a person waits on (sign in, the first list, create, rotate, delete) is held back at a loopback
// proxy in front of the real hub, and the test checks that the wait shows where the person is looking (the quick
// input's busy state while it is open, the view's progress bar otherwise) and that it is gone once the answer came.
import * as assert from 'assert/strict';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import { Token } from '../../../src/contract/types';
import type { TokenHubApi } from '../../../src/extension/extension';
import { HubProcess, startHub } from '../../support/hub';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { SlowProxy, startSlowProxy } from '../../support/slowProxy';
import { extensionApi } from './helpers/api';
import { leaveSignedOut, roots, signOutEverything, tokenNodes } from './helpers/tree';
import { sleep, waitFor } from './helpers/wait';
import { COMMAND } from '../../../src/extension/commands/ids';

/** How long each held answer waits: long enough that a person would notice a still view. */
const HOLD_MS = 2000;

describe('A slow hub shows progress while it is waited on', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let proxy: SlowProxy;
  let accountKey: string;
  let api: TokenHubApi;
  let admin: HubClient;
  let connectionId: string;

  before(async () => {
    hub = await startHub();
    ({ accountKey } = await hub.init('slow', ['embeddings']));
    admin = new HubClient({ baseUrl: hub.url, accountKey });
    proxy = await startSlowProxy(hub.url);
    api = await extensionApi();
    await signOutEverything(api);
  });

  after(async () => {
    await leaveSignedOut(api);
    await proxy?.stop();
    await hub?.stop();
  });

  /** Presses Enter in the open quick input until `done` holds (the first press can come before the input is up). */
  async function acceptUntil(done: () => boolean, what: string): Promise<void> {
    await waitFor(
      async () => {
        if (!done()) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        for (let waited = 0; waited < 3000 && !done(); waited += 50) await sleep(50);
        return done();
      },
      (held) => held,
      what,
      30_000,
    );
  }

  async function whileHeld<T>(method: string, path: RegExp, start: () => Thenable<T> | Promise<T>, title: string): Promise<T> {
    const held = proxy.hold(method, path);
    const action = Promise.resolve(start());
    await held.arrived;
    await waitFor(() => api.progress.active, (active) => active.includes(title), `the view's progress "${title}"`, 10_000);
    await sleep(HOLD_MS);
    assert.ok(api.progress.active.includes(title), `the progress "${title}" lasts while the hub has not answered`);
    held.release();
    const result = await action;
    await waitFor(() => api.progress.active, (active) => !active.includes(title), `the progress "${title}" to end`, 10_000);
    return result;
  }

  it('signs in through the real quick input, which is busy and takes no typing while the hub checks the key', async () => {
    api.setPrompter(undefined);
    const inputs: vscode.InputBox[] = [];
    const listener = api.onDidShowQuickInput((input) => inputs.push(input as vscode.InputBox));
    const held = proxy.hold('GET', /^\/v1\/workspace$/);
    let arrived = false;
    void held.arrived.then(() => (arrived = true));
    try {
      const signingIn = vscode.commands.executeCommand(COMMAND.signIn) as Thenable<{ id: string; workspaceName: string } | undefined>;
      await waitFor(() => inputs.length, (count) => count === 1, 'the hub address input', 20_000);
      inputs[0].value = proxy.url;
      await acceptUntil(() => inputs.length === 2, 'the account key input after Enter');
      const keyInput = inputs[1];
      assert.equal(keyInput.password, true);
      keyInput.value = accountKey;
      await acceptUntil(() => arrived, 'the sign-in check to reach the hub');

      assert.equal(keyInput.busy, true, 'the input shows it is working');
      assert.equal(keyInput.enabled, false, 'the input takes no typing while it waits');
      await sleep(HOLD_MS);
      assert.equal(keyInput.busy, true, 'still busy while the hub has not answered');
      held.release();
      const connection = await signingIn;
      assert.equal(connection?.workspaceName, 'slow');
      assert.equal(keyInput.busy, false, 'not busy once the hub answered');
      connectionId = connection.id;
    } finally {
      held.release();
      listener.dispose();
      api.setPrompter(new ScriptedPrompter());
    }
  });

  it('shows the view\'s progress while the first list of tokens is on its way', async () => {
    assert.ok(connectionId, 'signed in by the test before');
    await admin.createToken({ name: 'listed', endpoints: ['embeddings'] });
    // Refresh forgets what was loaded: the next read of the tree is a first list again.
    const refreshAndRead = async () => {
      await vscode.commands.executeCommand(COMMAND.refresh);
      return tokenNodes(api, connectionId);
    };
    const tokens = await whileHeld('GET', /^\/v1\/tokens\?limit=100(&|$)/, refreshAndRead, 'Loading the tokens of "slow"…');
    assert.deepEqual(tokens.map((node) => node.token.name), ['listed']);
    assert.equal((await roots(api)).length, 1);
  });

  it('shows the view\'s progress while the hub creates, rotates and deletes', async () => {
    const prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
    prompter.answer('name', 'slow-one').answer('endpoints', ['embeddings']).answer('expiry', '7 days').answer('review', 'Create token');
    const created = await whileHeld('POST', /^\/v1\/tokens$/, () => vscode.commands.executeCommand(COMMAND.createToken) as Thenable<Token | undefined>, 'Creating "slow-one"…');
    assert.equal(created?.name, 'slow-one');
    assert.equal(prompter.messagesWithId('showOnce').length, 1, 'the secret is shown once the hub answered');

    const nodeOf = async () => {
      const node = (await tokenNodes(api, connectionId)).find((candidate) => candidate.token.id === created.id);
      assert.ok(node, 'the new token is in the tree');
      return node;
    };
    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate');
    const node = await nodeOf();
    const rotated = await whileHeld('POST', /^\/v1\/tokens\/[^/]+\/rotate$/, () => vscode.commands.executeCommand(COMMAND.rotateToken, node) as Thenable<Token | undefined>, 'Rotating "slow-one"…');
    assert.equal(rotated?.id, created.id);
    assert.equal(prompter.messagesWithId('showOnce').length, 2, 'the new secret is shown once the hub answered');

    prompter.answer('confirmDelete', 'Delete Access Token');
    const again = await nodeOf();
    const deleted = await whileHeld('DELETE', /^\/v1\/tokens\/[^/]+$/, () => vscode.commands.executeCommand(COMMAND.deleteToken, again) as Thenable<boolean>, 'Deleting "slow-one"…');
    assert.equal(deleted, true);
    assert.ok(!(await admin.listAllTokens()).some((token) => token.id === created.id), 'the hub deleted it');
    assert.deepEqual(api.progress.active, [], 'nothing is left waiting');
    assert.deepEqual(prompter.pending(), [], 'every scripted answer was used');
  });
});
