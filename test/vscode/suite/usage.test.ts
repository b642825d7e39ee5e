// A token's usage in the editor, against a real hub: the tooltip's usage and history lines (fetched when the
// tooltip is resolved), and the Show Usage view, whose table numbers equal the hub's usage API, before and after a
// refresh.
import * as assert from 'assert/strict';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import type { TokenUsage } from '../../../src/contract/types';
import type { TokenHubApi } from '../../../src/extension/extension';
import { HubProcess, startHub } from '../../support/hub';
import type { ScriptedPrompter } from '../../support/scriptedPrompter';
import { releaseApi, scriptPromptsPerTest, signedOutApi } from './helpers/api';
import { tokenNodes } from './helpers/tree';
import { waitFor } from './helpers/wait';
import { COMMAND } from '../../../src/extension/commands/ids';

/** The view's tables as numbers: endpoint → date → [accepted, refused]. */
function tablesOf(html: string): Record<string, Record<string, [number, number]>> {
  const tables: Record<string, Record<string, [number, number]>> = {};
  for (const table of html.matchAll(/<table data-endpoint="([^"]+)">(.*?)<\/table>/gs)) {
    const rows: Record<string, [number, number]> = {};
    for (const row of table[2].matchAll(/<tr><th scope="row">([0-9-]+)<\/th><td>([0-9,]+)<\/td><td>([0-9,]+)<\/td><\/tr>/g)) {
      rows[row[1]] = [Number(row[2].replace(/,/g, '')), Number(row[3].replace(/,/g, ''))];
    }
    tables[table[1]] = rows;
  }
  return tables;
}

/** The same numbers from the hub's answer, for the token's endpoints. */
function tablesFromApi(usage: TokenUsage, endpoints: string[]): Record<string, Record<string, [number, number]>> {
  return Object.fromEntries(
    endpoints.map((id) => [id, Object.fromEntries(usage.days.map((day) => [day.date, [day.byEndpoint[id]?.accepted ?? 0, day.byEndpoint[id]?.refused ?? 0]]))]),
  );
}

describe('token usage in the editor', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let alice: string;
  let admin: HubClient;

  before(async () => {
    hub = await startHub();
    await hub.init('acme', ['chat-completions', 'embeddings']);
    const made = await hub.cli(['account-key', 'create', '--workspace', 'acme', '--label', 'alice']);
    assert.equal(made.code, 0, made.stderr);
    alice = JSON.parse(made.stdout.trim()).accountKey;
    admin = new HubClient({ baseUrl: hub.url, accountKey: alice });
    api = await signedOutApi();
  });

  after(async () => {
    await releaseApi(api);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await hub?.stop();
  });

  scriptPromptsPerTest(() => api, (next) => (prompter = next));

  const call = (endpoint: string, secret: string) =>
    fetch(`${hub.url}/v1/endpoints/${endpoint}/invoke`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'user-agent': 'python-requests/2.32' } });

  it('the tooltip says how often and from where the token was called, and who made it; Show Usage\'s tables equal the hub\'s numbers, after a refresh too', async () => {
    const { token, secret } = await admin.createToken({ name: 'billing-prod', endpoints: ['chat-completions', 'embeddings'] });
    for (let i = 0; i < 4; i++) assert.equal((await call('chat-completions', secret)).status, 200);
    assert.equal((await call('embeddings', secret)).status, 200);
    assert.equal((await call('moderation', secret)).status, 403);

    prompter.answer('hubUrl', hub.url).answer('accountKey', alice);
    const connection = (await vscode.commands.executeCommand('tokenHub.signIn')) as { id: string } | undefined;
    assert.ok(connection, 'signed in');
    const node = await waitFor(async () => (await tokenNodes(api, connection.id)).find((n) => n.token.id === token.id), Boolean, 'the token in the tree', 10_000);
    assert.ok(node);

    const item = await api.tree.resolveTreeItem(api.tree.getTreeItem(node), node);
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\(.)/g, '$1');
    assert.match(tooltip, /6 calls in 30 days · last from 127\.0\.0\.1 \(python-requests\/2\.32\)/);
    assert.match(tooltip, /created by alice (less than a minute|just now|1 minute) ago|created by alice just now/);

    await vscode.commands.executeCommand(COMMAND.showUsage, node);
    const shown = api.usagePanels.rendered(token.id);
    assert.ok(shown, 'the view is open');
    const expected = await admin.getTokenUsage(token.id, 30);
    assert.deepEqual(tablesOf(shown.html), { ...tablesFromApi(expected, ['chat-completions', 'embeddings']), ...tablesFromApi(expected, ['moderation']) });
    assert.equal(Object.keys(tablesOf(shown.html)['chat-completions']).length, 30, 'every day of the window');
    // Strict Content-Security-Policy, nothing remote, no script; the table is labelled for screen readers.
    assert.match(shown.html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-[A-Za-z0-9+/=]+';">/);
    assert.doesNotMatch(shown.html, /<script|https?:\/\/|style="/);
    assert.match(shown.html, /<caption>Calls to chat-completions per UTC day: 4 accepted, 0 refused<\/caption>/);

    // More calls, then a refresh: the open view shows the new numbers.
    for (let i = 0; i < 3; i++) await call('chat-completions', secret);
    await vscode.commands.executeCommand('tokenHub.refresh');
    const after = await admin.getTokenUsage(token.id, 30);
    const fresh = await waitFor(
      () => api.usagePanels.rendered(token.id),
      (rendered) => rendered !== undefined && rendered.model.summary.startsWith('9 calls'),
      'the view to show the refreshed numbers',
      10_000,
    );
    assert.deepEqual(tablesOf(fresh!.html)['chat-completions'], tablesFromApi(after, ['chat-completions'])['chat-completions']);
  });
});
