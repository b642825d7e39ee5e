// Create, delete, rotate, copy: each a command handler composed from the flows and services.
import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { Token, TokenWithSecret } from '../../contract/types';
import { askForNewToken, createToken, CreateTokenDraft } from '../flows/createToken';
import { BACK } from '../flows/prompter';
import { Connection } from '../services/connections';
import { chooseConnection, chooseToken } from './pickers';
import { insertIntoEnv } from './envCommands';
import { listPlaces, placesOfToken, removeFromPlaces } from './placeEdits';
import { usageLabel } from '../views/tokenTree';
import { Services } from './services';

const GRACE_CHOICES = [
  { label: 'No grace period', description: 'The current secret stops working at once.', seconds: 0 },
  { label: '1 hour', description: 'The current secret keeps working for one hour.', seconds: 3600 },
  { label: '24 hours', description: 'The current secret keeps working for a day.', seconds: 86400 },
];

export async function createTokenCommand(services: Services, arg?: unknown): Promise<Token | undefined> {
  const { connections, prompts } = services;
  const connection = await chooseConnection(services, arg, 'Create an access token');
  if (!connection) return undefined;
  const client = connections.clientOf(connection);
  const [workspace, endpoints] = await Promise.all([connections.workspaceOf(connection), client.listEndpoints()]);
  let initial: Partial<CreateTokenDraft> = {};
  for (;;) {
    const draft = await askForNewToken({ prompter: prompts.current, client, workspace, endpoints }, initial);
    if (!draft) return undefined;
    let created: TokenWithSecret;
    try {
      created = await createToken(client, draft, randomUUID());
    } catch (error) {
      if (error instanceof HubRequestError && error.code === 'idempotency_replayed' && error.tokenId) {
        await offerToDeleteOrphan(services, connection, draft.name, error.tokenId);
        return undefined;
      }
      if (error instanceof HubRequestError && error.status === 409 || error instanceof HubRequestError && error.status === 422) {
        // The hub disagreed with a choice (a name taken meanwhile, an expiry past the policy): say so, ask again.
        await prompts.current.message(error.message, { id: 'createRefused', severity: 'warning' });
        initial = { ...draft };
        continue;
      }
      throw error;
    }
    const kept = await keepSecret(services, connection, created);
    services.lists.invalidate(connection);
    services.logger.info(`Created token "${created.token.name}" (${created.token.maskedKey}) in "${connection.workspaceName}".`);
    await showSecretOnce(services, connection, created, 'created', kept);
    return created.token;
  }
}

/**
 * Keeps a new secret in SecretStorage for Copy Token and Insert into .env. False when this machine cannot (no OS
 * keyring, and VS Code refuses to store): the secret is then shown once all the same, and only the person has it.
 */
async function keepSecret(services: Services, connection: Connection, result: TokenWithSecret): Promise<boolean> {
  try {
    await services.secrets.store(connection.id, result.token.id, result.secret);
    return true;
  } catch (error) {
    services.logger.error(`VS Code's secret storage refused the secret of "${result.token.name}" (${result.token.maskedKey}); it is shown once and not kept on this machine`, error);
    return false;
  }
}

function notKeptText(): string {
  return vscode.l10n.t('VS Code could not keep a copy on this machine (its secret storage refused it), so Copy Token and Insert into .env cannot find this secret later.');
}

/** The one time a secret is shown: a modal with Copy and Insert into .env. */
async function showSecretOnce(services: Services, connection: Connection, result: TokenWithSecret, what: 'created' | 'rotated', kept: boolean): Promise<void> {
  const copy = vscode.l10n.t('Copy');
  const insert = vscode.l10n.t('Insert into .env');
  const headline = what === 'created'
    ? vscode.l10n.t('Token "{0}" is ready. Copy its secret now: the hub will not show it again.', result.token.name)
    : vscode.l10n.t('Token "{0}" has a new secret. Copy it now: the hub will not show it again.', result.token.name);
  const choice = await services.prompts.current.message(
    headline,
    {
      id: 'showOnce',
      modal: true,
      severity: kept ? undefined : 'warning',
      closeLabel: vscode.l10n.t('Close'),
      detail: `${result.secret}\n\n${kept
        ? vscode.l10n.t('A copy is kept in VS Code\'s secret storage on this machine only, for Copy Token and Insert into .env.')
        : `${notKeptText()} ${vscode.l10n.t('Copy it now.')}`}`,
    },
    copy,
    insert,
  );
  if (choice === copy) await copySecret(services, result.token.name, result.secret);
  else if (choice === insert) await insertIntoEnv(services, undefined, { connection, token: result.token, secret: result.secret });
}

async function offerToDeleteOrphan(services: Services, connection: Connection, name: string, tokenId: string): Promise<void> {
  const remove = vscode.l10n.t('Delete It');
  const choice = await services.prompts.current.message(
    vscode.l10n.t('The hub created "{0}", but its answer was lost on the way, so its secret cannot be shown.', name),
    { id: 'orphan', modal: true, severity: 'warning', detail: vscode.l10n.t('Delete that token now, then create it again.') },
    remove,
  );
  if (choice === remove) {
    await services.connections.clientOf(connection).deleteToken(tokenId);
    services.lists.invalidate(connection);
  }
}

export async function deleteTokenCommand(services: Services, arg?: unknown): Promise<boolean> {
  const target = await chooseToken(services, arg, { title: 'Delete an access token' });
  if (!target) return false;
  const { connection, token } = target;
  const confirm = vscode.l10n.t('Delete Access Token');
  const confirmAndRemove = vscode.l10n.t('Delete and Remove from Files');
  // Where its secret is in this workspace's files: listed, and removed if the person agrees.
  const places = await placesOfToken(services, connection, token);
  const detail = vscode.l10n.t('Every program using it ({0}) stops working at once. This cannot be undone.', token.maskedKey);
  const choice = await services.prompts.current.message(
    vscode.l10n.t('Delete the token "{0}"?', token.name),
    {
      id: 'confirmDelete',
      modal: true,
      severity: 'warning',
      detail: places.length === 0
        ? detail
        : `${detail}\n\n${vscode.l10n.t('Its secret is in these files:')}\n${listPlaces(places)}\n\n${vscode.l10n.t('"Delete and Remove from Files" takes it out of them: git-ignored .env files are saved, other files are edited for you to review and save.')}`,
    },
    ...(places.length > 0 ? [confirmAndRemove, confirm] : [confirm]),
  );
  if (choice !== confirm && choice !== confirmAndRemove) return false;
  await revokeToken(services, connection, token);
  services.logger.info(`Deleted token "${token.name}" (${token.maskedKey}) in "${connection.workspaceName}".`);
  if (choice === confirmAndRemove) {
    const { removed, edited } = await removeFromPlaces(services, places);
    const parts = [vscode.l10n.t('Deleted "{0}".', token.name)];
    if (removed.length > 0) parts.push(vscode.l10n.t('Removed it from {0}.', removed.join(', ')));
    if (edited.length > 0) parts.push(vscode.l10n.t('Took it out of {0}: review and save.', edited.join(', ')));
    void services.prompts.current.message(parts.join(' '), { id: 'deleted' });
    return true;
  }
  const still = places.length > 0 ? ` ${vscode.l10n.t('Its secret is still in {0}: the leak guard marks it there for removal.', places.length === 1 ? usageLabel(places[0].usage) : vscode.l10n.t('{0} places', places.length))}` : '';
  void services.prompts.current.message(vscode.l10n.t('Deleted "{0}". Programs that still use it are now refused.', token.name) + still, { id: 'deleted' });
  return true;
}

/** Deletes through the hub (revoking it everywhere), forgets the stored secret and refreshes the list. */
export async function revokeToken(services: Services, connection: Connection, token: Pick<Token, 'id'>): Promise<void> {
  try {
    await services.connections.clientOf(connection).deleteToken(token.id);
  } catch (error) {
    if (!(error instanceof HubRequestError && error.status === 404)) throw error;
    // Already gone (deleted elsewhere): forgetting it here is still right.
  }
  services.injection.remove(connection.id, token.id);
  await services.secrets.delete(connection.id, token.id);
  services.lists.invalidate(connection);
}

export async function rotateTokenCommand(services: Services, arg?: unknown): Promise<Token | undefined> {
  const target = await chooseToken(services, arg, { title: 'Rotate an access token' });
  if (!target) return undefined;
  const { connection, token } = target;
  const prompter = services.prompts.current;
  const grace = await prompter.pickOne<number>({
    id: 'grace',
    title: vscode.l10n.t('Rotate "{0}"', token.name),
    placeholder: 'How long should the current secret keep working?',
    items: GRACE_CHOICES.map((choice, index) => ({ label: choice.label, description: choice.description, value: choice.seconds, picked: index === 0 })),
  });
  if (grace === undefined || grace === BACK) return undefined;

  const oldSecret = await services.secrets.get(connection.id, token.id);
  const settings = services.settings.read();
  // Every git-ignored .env file holding a secret of this token: those it wrote and those the usage index found.
  // Other files holding it are never given the new secret: there the leak guard offers Move to .env.
  const places = await placesOfToken(services, connection, token);
  const candidates: Array<{ uri: vscode.Uri; secret: string }> = [];
  const addCandidate = (uri: vscode.Uri, secret: string) => {
    if (!candidates.some((update) => update.uri.toString() === uri.toString() && update.secret === secret)) candidates.push({ uri, secret });
  };
  for (const place of places) if (place.ignoredEnv) addCandidate(place.uri, place.secret);
  const untouched = places.filter((place) => !place.ignoredEnv);
  if (oldSecret) {
    for (const uri of await services.envFiles.filesHoldingSecret(oldSecret, settings.envFile)) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder && (await services.envFiles.isIgnored({ folder, relativePath: vscode.workspace.asRelativePath(uri, false) }))) addCandidate(uri, oldSecret);
    }
  }
  // Only files Token Hub may write a secret into are offered (the one write check: symlinks, trust); the others are
  // named with the reason.
  const updates: typeof candidates = [];
  const refused: string[] = [];
  for (const candidate of candidates) {
    const problem = await services.envFiles.assertWritable(candidate.uri, 'secret').then(() => undefined, (error: Error) => error.message);
    if (problem === undefined) updates.push(candidate);
    else if (!refused.includes(problem)) refused.push(problem);
  }
  if (refused.length > 0) {
    void prompter.message(
      vscode.l10n.t('Token Hub will not update {0} file(s) holding the current secret of "{1}": {2}', refused.length, token.name, refused.join(' ')),
      { id: 'filesRefused', severity: 'warning' },
    );
  }
  const files = [...new Map(updates.map((update) => [update.uri.toString(), update.uri])).values()];
  const untouchedNote = untouched.length === 0
    ? ''
    : `\n\n${vscode.l10n.t('Not updated, because git may commit them. To have them follow the new secret, cancel, use the leak guard\'s "Move to .env" in each, then rotate:')}\n${listPlaces(untouched)}`;
  const graceText = grace === 0 ? vscode.l10n.t('The current secret stops working at once.') : vscode.l10n.t('The current secret keeps working for {0}.', GRACE_CHOICES.find((c) => c.seconds === grace)?.label ?? `${grace} s`);
  let updateFiles = false;
  if (files.length > 0) {
    const update = vscode.l10n.t('Rotate and Update Files');
    const only = vscode.l10n.t('Rotate Only');
    const list = files.map((uri) => `• ${vscode.workspace.asRelativePath(uri)}`).join('\n');
    const choice = await prompter.message(
      vscode.l10n.t('Rotate "{0}" and update the {1} file(s) that hold its current secret?', token.name, files.length),
      { id: 'confirmRotate', modal: true, severity: 'warning', detail: `${list}\n\n${graceText}${untouchedNote}` },
      update,
      only,
    );
    if (!choice) return undefined;
    updateFiles = choice === update;
  } else {
    const rotate = vscode.l10n.t('Rotate');
    const note = (oldSecret || places.length > 0 ? '' : `\n\n${vscode.l10n.t('Its current secret is not stored on this machine, so Token Hub cannot find files that use it.')}`) + untouchedNote;
    const choice = await prompter.message(vscode.l10n.t('Rotate "{0}"?', token.name), { id: 'confirmRotate', modal: true, severity: 'warning', detail: graceText + note }, rotate);
    if (choice !== rotate) return undefined;
  }

  const result = await services.connections.clientOf(connection).rotateToken(token.id, { graceSeconds: grace }, { idempotencyKey: randomUUID() });
  services.injection.replaceSecret(connection.id, token.id, result.secret);
  const kept = await keepSecret(services, connection, result);
  services.lists.invalidate(connection);
  services.logger.info(`Rotated token "${token.name}" in "${connection.workspaceName}" (grace ${grace} s).`);
  if (updateFiles) {
    const updated: string[] = [];
    for (const { uri, secret } of updates) {
      const names = await services.envFiles.replaceSecret(uri, secret, result.secret);
      if (names.length > 0) updated.push(`${vscode.workspace.asRelativePath(uri)} (${names.join(', ')})`);
    }
    // Not kept and in no file: the dialog below is then the only place the new secret is ever seen.
    if (kept || updated.length > 0) {
      const text = vscode.l10n.t('Rotated "{0}" and updated {1}.', token.name, updated.join(', '));
      void prompter.message(kept ? text : `${text} ${notKeptText()}`, { id: 'rotated', severity: kept ? undefined : 'warning' });
      return result.token;
    }
  }
  await showSecretOnce(services, connection, result, 'rotated', kept);
  return result.token;
}

export async function copySecret(services: Services, name: string, secret: string): Promise<void> {
  const { clipboardClearSeconds } = services.settings.read();
  await services.clipboard.copySecret(secret, clipboardClearSeconds);
  const text = clipboardClearSeconds > 0
    ? vscode.l10n.t('Copied the secret of "{0}". The clipboard is cleared in {1} seconds.', name, clipboardClearSeconds)
    : vscode.l10n.t('Copied the secret of "{0}" to the clipboard.', name);
  void services.prompts.current.message(text, { id: 'copied' });
}

export async function copyTokenCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await chooseToken(services, arg, { title: 'Copy a token', storedOnly: true });
  if (!target) return;
  const secret = await services.secrets.get(target.connection.id, target.token.id);
  if (!secret) {
    void services.prompts.current.message(
      vscode.l10n.t('The secret of "{0}" is not stored on this machine. Rotate the token to get a new one.', target.token.name),
      { id: 'notStored', severity: 'warning' },
    );
    return;
  }
  await copySecret(services, target.token.name, secret);
}

export async function copyMaskedKeyCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await chooseToken(services, arg, { title: 'Copy a masked key' });
  if (!target) return;
  await vscode.env.clipboard.writeText(target.token.maskedKey);
  void services.prompts.current.message(vscode.l10n.t('Copied {0}.', target.token.maskedKey), { id: 'copiedMasked' });
}
