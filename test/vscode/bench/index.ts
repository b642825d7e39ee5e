// Runs INSIDE the VS Code extension host for `npm run bench` (bench/sections/vscode.ts starts it): not a test, a
// measurement. The extension under test is a copy of this repository's with no activation events, so nothing has
// activated it before this runs; an empty extension, also loaded from source, is the baseline.
// TOKENHUB_BENCH_CONFIG names a JSON file: { resultFile, hubUrl, accountKey, reps, tokens }. The measurements go
// to resultFile as JSON (with "error" when something failed).
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import type { TokenHubApi } from '../../../src/extension/extension';
import type { TreeNode } from '../../../src/extension/views/tokenTree';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { COMMAND } from '../../../src/extension/commands/ids';

interface Config {
  resultFile: string;
  hubUrl: string;
  accountKey: string;
  reps: number;
  tokens: number;
  baselineId: string;
}

const EXTENSION_ID = 'tokenhub.token-hub';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed<T>(fn: () => PromiseLike<T> | T): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

export async function run(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.env.TOKENHUB_BENCH_CONFIG!, 'utf8')) as Config;
  const out: Record<string, unknown> = { vscodeVersion: vscode.version };
  try {
    // Let the workbench finish starting (built-in extensions activating on startup) before timing anything.
    await sleep(3000);
    const baseline = vscode.extensions.getExtension(config.baselineId);
    const ext = vscode.extensions.getExtension<TokenHubApi | undefined>(EXTENSION_ID);
    if (!baseline || !ext) {
      const loaded = vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => `${e.id} (${e.extensionPath})`);
      throw new Error(`extensions missing: ${config.baselineId} ${Boolean(baseline)}, ${EXTENSION_ID} ${Boolean(ext)}; loaded: ${loaded.join(', ')}`);
    }
    out.alreadyActive = ext.isActive;

    // Activation: what VS Code does when an activation event fires (load the code, call activate, wait for it).
    const [, baselineMs] = await timed(() => baseline.activate());
    const [api, activationMs] = await timed(() => ext.activate());
    out.baselineActivationMs = baselineMs;
    out.activationMs = activationMs;
    if (!api) throw new Error('the extension did not return its test API (not in ExtensionMode.Test?)');

    // Code loading alone: require() of fresh copies of the bundle (a copy, so the module cache does not answer).
    const main = path.join(ext.extensionPath, ext.packageJSON.main as string);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const copy = path.join(path.dirname(main), `extension-load-${process.pid}-${i}.js`);
      fs.copyFileSync(main, copy);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const [, ms] = await timed(() => require(copy));
      loads.push(ms);
      fs.rmSync(copy, { force: true });
    }
    out.codeLoadMs = median(loads);
    out.codeLoadRuns = loads;

    // The tree against a hub holding `tokens` tokens: sign in, then render the view from nothing — the roots, the
    // connection's children (the first page, loaded from the hub) and a TreeItem for every node — as VS Code does
    // when the view opens. Each repetition drops what was loaded first.
    const prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
    prompter.answer('hubUrl', config.hubUrl).answer('accountKey', config.accountKey);
    const connection = (await vscode.commands.executeCommand(COMMAND.signIn)) as { id: string } | undefined;
    if (!connection) throw new Error(`sign-in failed: ${JSON.stringify(prompter.rejected)} ${JSON.stringify(prompter.messages.map((m) => m.text))}`);
    const tree = api.tree;
    const render = async () => {
      const roots = await tree.getChildren();
      roots.forEach((node) => tree.getTreeItem(node));
      const root = roots.find((node): node is Extract<TreeNode, { kind: 'connection' }> => node.kind === 'connection');
      if (!root) throw new Error('no connection node');
      const children = await tree.getChildren(root);
      children.forEach((node) => tree.getTreeItem(node));
      return children;
    };
    api.services.lists.invalidateAll();
    const [firstChildren, coldMs] = await timed(render);
    out.treeColdMs = coldMs;
    out.treeChildren = firstChildren.length;
    out.treeTokensShown = firstChildren.filter((node) => node.kind === 'token').length;
    const renders: number[] = [];
    for (let i = 0; i < config.reps; i++) {
      api.services.lists.invalidateAll();
      const [, ms] = await timed(render);
      renders.push(ms);
    }
    out.treeFirstPageMs = median(renders);
    out.treeRuns = renders;

    // "Load More" as a click gives it: the next page from the hub, then the connection's children rendered again
    // (every TreeItem, the first page's included), from a fresh first page each time.
    const loadMores: number[] = [];
    for (let i = 0; i < config.reps; i++) {
      api.services.lists.invalidateAll();
      const shown = await render();
      const more = shown.find((node): node is Extract<TreeNode, { kind: 'loadMore' }> => node.kind === 'loadMore');
      if (!more) throw new Error('no Load More node under the first page');
      const [after, ms] = await timed(async () => {
        await api.services.lists.loadMore(more.connection);
        return render();
      });
      if (after.filter((node) => node.kind === 'token').length <= shown.filter((node) => node.kind === 'token').length) {
        throw new Error('Load More showed no more tokens');
      }
      loadMores.push(ms);
    }
    out.treeLoadMoreMs = median(loadMores);
    out.treeLoadMoreRuns = loadMores;

    // Baseline: the same first page (100 tokens) straight from the API client, without the extension around it.
    const client = new HubClient({ baseUrl: config.hubUrl, accountKey: config.accountKey });
    await client.listTokens({ limit: 100 });
    const direct: number[] = [];
    for (let i = 0; i < config.reps; i++) {
      const [, ms] = await timed(() => client.listTokens({ limit: 100 }));
      direct.push(ms);
    }
    out.treeBaselineMs = median(direct);

    for (const c of api.services.connections.list()) {
      await api.services.secrets.deleteAll(c.id);
      await api.services.connections.signOut(c.id);
    }
    api.setPrompter(undefined);
  } catch (error) {
    out.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  const temporary = `${config.resultFile}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(out, null, 2)}\n`);
  fs.renameSync(temporary, config.resultFile);
}
