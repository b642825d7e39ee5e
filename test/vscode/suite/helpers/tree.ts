// The token tree and the connections as the extension-host suites read them.
import type { TokenHubApi } from '../../../../src/extension/extension';
import type { TreeNode } from '../../../../src/extension/views/tokenTree';

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

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error('Timed out waiting for a condition.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
