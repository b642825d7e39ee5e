// The extension's test API (returned by activate() in ExtensionMode.Test only), for the extension-host suites.
import * as assert from 'assert/strict';
import * as vscode from 'vscode';
import type { TokenHubApi } from '../../../../src/extension/extension';

export async function extensionApi(): Promise<TokenHubApi> {
  const extension = vscode.extensions.getExtension<TokenHubApi | undefined>('tokenhub.token-hub');
  assert.ok(extension, 'the extension is installed in the test host');
  const api = await extension.activate();
  assert.ok(api, 'the extension exports its test API in test mode');
  return api;
}
