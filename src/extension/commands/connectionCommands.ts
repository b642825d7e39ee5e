// Sign in, sign out, connect from the environment, refresh and filter.
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { accountKeyProblem, hubUrlProblem, runSignIn } from '../flows/signIn';
import { BACK } from '../flows/prompter';
import { Connection } from '../services/connections';
import { TreeNode } from '../views/tokenTree';
import { UserFacingError } from './errorBoundary';
import { Services } from './services';

export async function signInCommand(services: Services, arg?: unknown): Promise<Connection | undefined> {
  const node = arg as TreeNode | undefined;
  const preset = node && typeof node === 'object' && 'connection' in node ? { url: node.connection.url } : {};
  const connection = await runSignIn(services.prompts.current, services.connections, preset);
  if (!connection) return undefined;
  services.lists.invalidate(connection);
  void services.prompts.current.message(
    vscode.l10n.t('Signed in to "{0}" at {1}.', connection.workspaceName, connection.url),
    { id: 'signedIn' },
  );
  return connection;
}

export async function signOutCommand(services: Services, arg?: unknown): Promise<boolean> {
  const node = arg as TreeNode | undefined;
  let connection = node && typeof node === 'object' && 'connection' in node ? node.connection : undefined;
  if (!connection) {
    const all = services.connections.list();
    if (all.length === 0) throw new UserFacingError('You are not signed in to any Token Hub.');
    const picked = all.length === 1 ? all[0] : await services.prompts.current.pickOne<Connection>({
      id: 'connection',
      title: 'Sign out',
      placeholder: 'Choose the workspace to sign out of.',
      items: all.map((candidate) => ({ label: candidate.workspaceName, description: candidate.url, value: candidate })),
    });
    if (picked === undefined || picked === BACK) return false;
    connection = picked;
  }
  const stored = (await services.secrets.loadIndex(connection.id)).size;
  const signOut = vscode.l10n.t('Sign Out');
  const choice = await services.prompts.current.message(
    vscode.l10n.t('Sign out of "{0}" at {1}?', connection.workspaceName, connection.url),
    {
      id: 'confirmSignOut',
      modal: true,
      detail: stored > 0
        ? vscode.l10n.t('Token Hub forgets the account key and the {0} token secret(s) stored on this machine for this workspace. The tokens themselves keep working.', stored)
        : vscode.l10n.t('Token Hub forgets the account key. The tokens themselves keep working.'),
    },
    signOut,
  );
  if (choice !== signOut) return false;
  await services.secrets.deleteAll(connection.id);
  await services.connections.signOut(connection.id);
  services.lists.invalidateAll();
  return true;
}

/** One-click connection from TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY (the demo and CI set them). */
export async function connectFromEnvironmentCommand(services: Services): Promise<Connection | undefined> {
  const url = process.env.TOKENHUB_URL ?? '';
  const key = process.env.TOKENHUB_ACCOUNT_KEY ?? '';
  if (!url || !key) {
    throw new UserFacingError('Set TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY in the environment VS Code starts from, or use "Token Hub: Sign In".');
  }
  const problem = hubUrlProblem(url) ?? accountKeyProblem(key);
  if (problem) throw new UserFacingError(`The environment's Token Hub settings are not usable: ${problem}`);
  let connection: Connection;
  try {
    // For this window only: a dev container's remoteEnv (a file of the repository) can set these variables, so the
    // connection is saved only when the person chooses to keep it.
    connection = await services.connections.signIn(url, key.trim(), { windowOnly: true });
    services.lists.invalidate(connection);
  } catch (error) {
    if (error instanceof HubRequestError) throw error;
    throw new UserFacingError('Token Hub could not connect with TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY. Show the log for details.');
  }
  const keep = vscode.l10n.t('Keep Signed In');
  void services.prompts.current
    .message(
      vscode.l10n.t('Connected to "{0}" at {1} from TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY, for this window only: nothing was saved. Keep signed in to use it in other windows too?', connection.workspaceName, connection.url),
      { id: 'environmentConnected' },
      keep,
    )
    .then((choice) => choice === keep && vscode.commands.executeCommand('tokenHub.keepSignedIn', { kind: 'connection', connection }));
  return connection;
}

/** Saves a window-only connection (made from the environment) like a sign-in. */
export async function keepSignedInCommand(services: Services, arg?: unknown): Promise<Connection | undefined> {
  const node = arg as TreeNode | undefined;
  const candidates = node && typeof node === 'object' && 'connection' in node ? [node.connection] : services.connections.list().filter((c) => c.windowOnly);
  const connection = candidates.find((candidate) => candidate.windowOnly);
  if (!connection) throw new UserFacingError('There is no connection made for this window only. Sign in with "Token Hub: Sign In" to save one.');
  const kept = await services.connections.keep(connection.id);
  if (kept) void services.prompts.current.message(vscode.l10n.t('Token Hub keeps you signed in to "{0}" at {1}.', kept.workspaceName, kept.url), { id: 'kept' });
  return kept;
}

export function hasEnvironmentConnection(): boolean {
  return !!process.env.TOKENHUB_URL && !!process.env.TOKENHUB_ACCOUNT_KEY;
}

export async function filterCommand(services: Services): Promise<void> {
  const answer = await services.prompts.current.askText({
    id: 'filter',
    title: 'Filter tokens',
    prompt: 'Show only tokens whose name contains this text. Leave it empty to show all.',
    value: services.lists.filter ?? '',
    placeholder: 'billing',
  });
  if (answer === undefined || answer === BACK) return;
  setFilter(services, answer.trim());
}

export function setFilter(services: Services, search: string | undefined): void {
  services.lists.setFilter(search);
  void vscode.commands.executeCommand('setContext', 'tokenHub.filtered', !!services.lists.filter);
}
