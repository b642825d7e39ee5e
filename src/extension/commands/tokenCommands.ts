// Create, delete, rotate, copy: each a command handler composed from the flows and services.
import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { HubRequestError } from '../../api/client';
import { Token, TokenWithSecret } from '../../contract/types';
import { askForNewToken, createToken, CreateTokenDraft } from '../flows/createToken';
import { BACK } from '../flows/prompter';
import { Connection } from '../services/connections';
import { chooseConnection, chooseToken, TokenTarget } from './pickers';
import { reportError } from './errorBoundary';
import { insertIntoEnv } from './envCommands';
import { listPlaces, placesOfToken, removeFromPlaces } from './placeEdits';
import { usageLabel } from '../views/tokenTree';
import { Services } from './services';
import { COMMAND } from './ids';

/** Read when asked (not at load), so they come in the window's language. */
const graceChoices = () => [
  { label: vscode.l10n.t('No grace period'), description: vscode.l10n.t('The current secret stops working at once.'), seconds: 0 },
  { label: vscode.l10n.t('1 hour'), description: vscode.l10n.t('The current secret keeps working for one hour.'), seconds: 3600 },
  { label: vscode.l10n.t('24 hours'), description: vscode.l10n.t('The current secret keeps working for a day.'), seconds: 86400 },
];

export async function createTokenCommand(services: Services, arg?: unknown): Promise<Token | undefined> {
  const { connections, prompter } = services;
  const connection = await chooseConnection(services, arg, vscode.l10n.t('Create an access token'));
  if (!connection) return undefined;
  const client = connections.clientOf(connection);
  const [workspace, endpoints] = await services.progress.run(vscode.l10n.t('Reading the endpoints of "{0}"…', connection.workspaceName), () =>
    Promise.all([connections.workspaceOf(connection), client.listEndpoints()]),
  );
  let initial: Partial<CreateTokenDraft> = {};
  for (;;) {
    const draft = await askForNewToken({ prompter, client, workspace, endpoints }, initial);
    if (!draft) return undefined;
    let created: TokenWithSecret;
    try {
      created = await services.progress.run(vscode.l10n.t('Creating "{0}"…', draft.name), () => createToken(client, draft, randomUUID()));
    } catch (error) {
      if (error instanceof HubRequestError && error.code === 'idempotency_replayed' && error.tokenId) {
        await offerToDeleteOrphan(services, connection, draft.name, error.tokenId);
        return undefined;
      }
      if (error instanceof HubRequestError && error.status === 409 || error instanceof HubRequestError && error.status === 422) {
        // The hub disagreed with a choice (a name taken meanwhile, an expiry past the policy): say so, ask again.
        await prompter.message(error.message, { id: 'createRefused', severity: 'warning' });
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

/**
 * The one time a secret is shown: a modal with one action, Copy, beside the dialog's own Close, so the buttons read
 * right on every platform (VS Code orders a cancel button by each one's convention; a second action would put it in
 * the middle on Linux). Insert into .env is offered once the secret is copied. One message: kept on this machine
 * (nothing is urgent), or not kept (copy it now, or it is gone).
 */
async function showSecretOnce(services: Services, connection: Connection, result: TokenWithSecret, what: 'created' | 'rotated', kept: boolean): Promise<void> {
  const copy = vscode.l10n.t('Copy');
  const name = result.token.name;
  const text = kept
    ? what === 'created'
      ? vscode.l10n.t('Token "{0}" is ready, and its secret is kept on this machine.', name)
      : vscode.l10n.t('Token "{0}" has a new secret, kept on this machine.', name)
    : what === 'created'
      ? vscode.l10n.t('Token "{0}" is ready. Copy its secret now: this is the only time it is shown.', name)
      : vscode.l10n.t('Token "{0}" has a new secret. Copy it now: this is the only time it is shown.', name);
  const note = kept ? vscode.l10n.t('Copy it to use it elsewhere; Copy Token and Insert into .env find it here later.') : notKeptText();
  const choice = await services.prompter.message(
    text,
    { id: 'showOnce', modal: true, severity: kept ? undefined : 'warning', closeLabel: vscode.l10n.t('Close'), detail: `${result.secret}\n\n${note}` },
    copy,
  );
  if (choice === copy) await copySecret(services, name, result.secret, { connection, token: result.token, secret: result.secret });
}

async function offerToDeleteOrphan(services: Services, connection: Connection, name: string, tokenId: string): Promise<void> {
  const remove = vscode.l10n.t('Delete It');
  const choice = await services.prompter.message(
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
  const target = await chooseToken(services, arg, { title: vscode.l10n.t('Delete an access token') });
  if (!target) return false;
  const { connection, token } = target;
  const confirm = vscode.l10n.t('Delete Access Token');
  const confirmAndRemove = vscode.l10n.t('Delete and Remove from Files');
  // Where its secret is in this workspace's files: listed, and removed if the person agrees.
  const places = await placesOfToken(services, connection, token);
  const detail = vscode.l10n.t('Every program using it ({0}) stops working at once. This cannot be undone.', token.maskedKey);
  const choice = await services.prompter.message(
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
    void services.prompter.message(parts.join(' '), { id: 'deleted' });
    return true;
  }
  const still = places.length > 0 ? ` ${vscode.l10n.t('Its secret is still in {0}: the leak guard marks it there for removal.', places.length === 1 ? usageLabel(places[0].usage) : vscode.l10n.t('{0} places', places.length))}` : '';
  void services.prompter.message(vscode.l10n.t('Deleted "{0}". Programs that still use it are now refused.', token.name) + still, { id: 'deleted' });
  return true;
}

/** Deletes through the hub (revoking it everywhere), forgets the stored secret and refreshes the list. */
export async function revokeToken(services: Services, connection: Connection, token: Pick<Token, 'id' | 'name'>): Promise<void> {
  try {
    await services.progress.run(vscode.l10n.t('Deleting "{0}"…', token.name), () => services.connections.clientOf(connection).deleteToken(token.id));
  } catch (error) {
    if (!(error instanceof HubRequestError && error.status === 404)) throw error;
    // Already gone (deleted elsewhere): forgetting it here is still right.
  }
  services.injection.remove(connection.id, token.id);
  await services.secrets.delete(connection.id, token.id);
  services.lists.invalidate(connection);
}

export async function rotateTokenCommand(services: Services, arg?: unknown): Promise<Token | undefined> {
  const target = await chooseToken(services, arg, { title: vscode.l10n.t('Rotate an access token') });
  if (!target) return undefined;
  const { connection, token } = target;
  const prompter = services.prompter;
  const grace = await prompter.pickOne<number>({
    id: 'grace',
    title: vscode.l10n.t('Rotate "{0}"', token.name),
    placeholder: vscode.l10n.t('How long should the current secret keep working?'),
    items: graceChoices().map((choice, index) => ({ label: choice.label, description: choice.description, value: choice.seconds, picked: index === 0 })),
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
  const graceText = grace === 0 ? vscode.l10n.t('The current secret stops working at once.') : vscode.l10n.t('The current secret keeps working for {0}.', graceChoices().find((c) => c.seconds === grace)?.label ?? vscode.l10n.t('{0} s', grace));
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

  const result = await services.progress.run(vscode.l10n.t('Rotating "{0}"…', token.name), () =>
    services.connections.clientOf(connection).rotateToken(token.id, { graceSeconds: grace }, { idempotencyKey: randomUUID() }),
  );
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

/** Copies a secret; `insertable`: the copied message also offers Insert into .env for it (after the show-once dialog). */
export async function copySecret(services: Services, name: string, secret: string, insertable?: TokenTarget & { secret: string }): Promise<void> {
  const { clipboardClearSeconds } = services.settings.read();
  await services.clipboard.copySecret(secret, clipboardClearSeconds);
  const text = clipboardClearSeconds > 0
    ? vscode.l10n.t('Copied the secret of "{0}". The clipboard is cleared in {1} seconds.', name, clipboardClearSeconds)
    : vscode.l10n.t('Copied the secret of "{0}" to the clipboard.', name);
  const insert = vscode.l10n.t('Insert into .env');
  const actions = insertable && (vscode.workspace.workspaceFolders ?? []).length > 0 ? [insert] : [];
  const shown = services.prompter.message(text, { id: 'copied' }, ...actions);
  if (!insertable) return;
  // Not awaited: the notification stays until dismissed, and the command is over once the secret is copied.
  void shown.then(async (choice) => {
    if (choice !== insert) return;
    try {
      await insertIntoEnv(services, undefined, insertable);
    } catch (error) {
      reportError(services, COMMAND.insertIntoEnv, error);
    }
  });
}

export async function copyTokenCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await chooseToken(services, arg, { title: vscode.l10n.t('Copy a token'), storedOnly: true });
  if (!target) return;
  const secret = await services.secrets.get(target.connection.id, target.token.id);
  if (!secret) {
    void services.prompter.message(
      vscode.l10n.t('The secret of "{0}" is not stored on this machine. Rotate the token to get a new one.', target.token.name),
      { id: 'notStored', severity: 'warning' },
    );
    return;
  }
  await copySecret(services, target.token.name, secret);
}

export async function copyMaskedKeyCommand(services: Services, arg?: unknown): Promise<void> {
  const target = await chooseToken(services, arg, { title: vscode.l10n.t('Copy a masked key') });
  if (!target) return;
  await vscode.env.clipboard.writeText(target.token.maskedKey);
  void services.prompter.message(vscode.l10n.t('Copied {0}.', target.token.maskedKey), { id: 'copiedMasked' });
}
