// Choosing what a command acts on: the tree item it was invoked on, or a quick pick when run from the palette.
import { Token } from '../../contract/types';
import { describeLastUsed } from '../../core/dates';
import { BACK } from '../flows/prompter';
import { Connection } from '../services/connections';
import { TreeNode } from '../views/tokenTree';
import { UserFacingError } from './errorBoundary';
import { Services } from './services';

export interface TokenTarget {
  connection: Connection;
  token: Token;
}

function isTreeNode(value: unknown): value is TreeNode {
  return !!value && typeof value === 'object' && 'kind' in value && 'connection' in value;
}

/** The connection a command should use; asks when several are signed in. undefined = cancelled. */
export async function chooseConnection(services: Services, arg: unknown, title: string): Promise<Connection | undefined> {
  if (isTreeNode(arg) && arg.connection.status === 'connected') return arg.connection;
  const connected = services.connections.connected();
  if (connected.length === 0) {
    throw new UserFacingError('Sign in to a Token Hub first: run "Token Hub: Sign In" from the Command Palette.');
  }
  if (connected.length === 1) return connected[0];
  const answer = await services.prompts.current.pickOne<Connection>({
    id: 'connection',
    title,
    placeholder: 'Choose the workspace.',
    items: connected.map((connection) => ({ label: connection.workspaceName, description: connection.url, value: connection })),
  });
  return answer === BACK ? undefined : answer;
}

/** The token a command acts on. `storedOnly`: only tokens whose secret is stored on this machine. */
export async function chooseToken(
  services: Services,
  arg: unknown,
  options: { title: string; storedOnly?: boolean },
): Promise<TokenTarget | undefined> {
  if (isTreeNode(arg) && (arg.kind === 'token' || arg.kind === 'endpoint')) return { connection: arg.connection, token: arg.token };
  const connected = services.connections.connected();
  if (connected.length === 0) {
    throw new UserFacingError('Sign in to a Token Hub first: run "Token Hub: Sign In" from the Command Palette.');
  }
  const candidates: TokenTarget[] = [];
  for (const connection of connected) {
    await services.secrets.loadIndex(connection.id);
    const tokens = await services.connections.clientOf(connection).listAllTokens();
    for (const token of tokens) {
      if (!options.storedOnly || services.secrets.has(connection.id, token.id)) candidates.push({ connection, token });
    }
  }
  if (candidates.length === 0) {
    throw new UserFacingError(
      options.storedOnly
        ? 'No token has its secret stored on this machine. Create a token here, or rotate one to get a new secret.'
        : 'There are no access tokens yet. Create one with "Token Hub: Create Access Token".',
    );
  }
  const several = connected.length > 1;
  const answer = await services.prompts.current.pickOne<TokenTarget>({
    id: 'token',
    title: options.title,
    placeholder: 'Choose a token (type to filter by name).',
    items: candidates.map((target) => ({
      label: target.token.name,
      description: `${target.token.maskedKey} · ${describeLastUsed(target.token.lastUsedAt)}`,
      detail: several ? target.connection.workspaceName : undefined,
      value: target,
    })),
  });
  return answer === BACK ? undefined : answer;
}
