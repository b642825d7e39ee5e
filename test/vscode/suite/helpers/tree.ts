// The token tree and the connections as the extension-host suites read them.
import type { TokenHubApi } from '../../../../src/extension/extension';
import type { TreeNode } from '../../../../src/extension/views/tokenTree';
import { waitFor as waitUntilValue } from './wait';

/** Forgets every connection and its stored token secrets, so a suite starts from nothing. */
export async function signOutEverything(api: TokenHubApi): Promise<void> {
  for (const connection of api.services.connections.list()) {
    await api.services.secrets.deleteAll(connection.id);
    await api.services.connections.signOut(connection.id);
  }
  api.services.lists.setFilter(undefined);
}

export async function roots(api: TokenHubApi): Promise<TreeNode[]> {
  return api.services.tree.getChildren();
}

export async function tokenNodes(api: TokenHubApi, connectionId: string): Promise<Array<Extract<TreeNode, { kind: 'token' }>>> {
  const root = (await roots(api)).find((node) => node.kind === 'connection' && node.connection.id === connectionId);
  if (!root) return [];
  const children = await api.services.tree.getChildren(root);
  return children.filter((node): node is Extract<TreeNode, { kind: 'token' }> => node.kind === 'token');
}

/** Until the condition holds (the polling of helpers/wait.ts, for a yes/no condition). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await waitUntilValue(condition, (held) => held, 'a condition', timeoutMs);
}
