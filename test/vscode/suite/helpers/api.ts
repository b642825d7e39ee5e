// The extension's test API (returned by activate() in ExtensionMode.Test only), for the extension-host suites, and
// what those suites share around it: the folder the host opened, a scripted prompter per test.
import * as assert from 'assert/strict';
import * as vscode from 'vscode';
import type { TokenHubApi } from '../../../../src/extension/extension';
import { signOutEverything } from './tree';
import { ScriptedPrompter } from '../../../support/scriptedPrompter';

export async function extensionApi(): Promise<TokenHubApi> {
  const extension = vscode.extensions.getExtension<TokenHubApi | undefined>('tokenhub.token-hub');
  assert.ok(extension, 'the extension is installed in the test host');
  const api = await extension.activate();
  assert.ok(api, 'the extension exports its test API in test mode');
  return api;
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test host opened a folder');
  return folder;
}

/**
 * A fresh ScriptedPrompter for every test of the calling suite, handed to `use`. A failed test prints what was shown
 * and refused; a passed one must have used every scripted answer.
 */
export function scriptPromptsPerTest(api: () => TokenHubApi, use: (prompter: ScriptedPrompter) => void): void {
  let prompter: ScriptedPrompter;
  beforeEach(() => {
    prompter = new ScriptedPrompter();
    api().setPrompter(prompter);
    use(prompter);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`    messages shown: ${JSON.stringify(prompter.messages.map((m) => `${m.options.id}: ${m.text}`))}`);
      console.log(`    answers refused: ${JSON.stringify(prompter.rejected)}`);
    }
    if (this.currentTest?.state === 'passed') {
      assert.deepEqual(prompter.pending(), [], 'every scripted answer was used');
    }
  });
}

/** The test API with every connection forgotten: the start of a suite that signs in itself. */
export async function signedOutApi(): Promise<TokenHubApi> {
  const api = await extensionApi();
  await signOutEverything(api);
  return api;
}

/** The end of such a suite: signed out again, and the real prompter back. */
export async function releaseApi(api: TokenHubApi | undefined): Promise<void> {
  if (!api) return;
  await signOutEverything(api);
  api.setPrompter(undefined);
}
