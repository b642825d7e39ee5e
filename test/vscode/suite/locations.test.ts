// Where each token lives, against a real hub inside a real extension host: a found secret is tied to its token by
// the secret (never by its public mask, which a forged look-alike shares), the usage index finds and ties every
// place and follows edits, the tree shows the places, Delete and Rotate edit the files they hold, a dead secret is
// flagged with its own code, and Insert into .env notices a token already in the file.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import { CHECKSUM_LENGTH, CRC_TABLE, checksumOf, generateToken, isValidToken, maskCandidates, maskToken, TOKEN_LENGTH } from '../../../src/core/token';
import type { TokenHubApi } from '../../../src/extension/extension';
import type { TreeNode } from '../../../src/extension/views/tokenTree';
import { HubProcess, startHub } from '../../support/hub';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { extensionApi } from './helpers/api';
import { waitFor as waitUntil } from './helpers/wait';
import { COMMAND } from '../../../src/extension/commands/ids';
import { codeActions, diagnosticsOf, fixTitles, writeUnder } from './helpers/leaks';

/** helpers/wait's waitFor with this suite's longer limit: the usage index follows file events, which come late. */
const waitFor = <T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, what: string) => waitUntil(probe, ok, what, 10_000);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A different secret with a valid checksum and every mask of the victim's (whatever the mask form: the first and
 * last four characters of the random part kept, and characters in the middle searched until the checksum's last
 * four characters are the victim's too). CRC-32 is updated incrementally, so the search takes well under a second.
 */
export function forgeLookAlike(victim: string): string {
  const body = victim.slice(0, TOKEN_LENGTH - CHECKSUM_LENGTH);
  const wanted = checksumOf(body).slice(-4);
  const modulo = 62 ** 4;
  const wantedRest = [...wanted].reduce((value, c) => value * 62 + BASE62.indexOf(c), 0);
  // Vary 5 characters ending 4 before the body's end (so the random part's last 4 stay), everything else kept.
  const varyAt = body.length - 4 - 5;
  const step = (crc: number, code: number) => CRC_TABLE[(crc ^ code) & 0xff] ^ (crc >>> 8);
  let prefixCrc = 0xffffffff;
  for (let i = 0; i < varyAt; i++) prefixCrc = step(prefixCrc, body.charCodeAt(i));
  const tail = body.slice(varyAt + 5);
  const codes = [...BASE62].map((c) => c.charCodeAt(0));
  for (const a of codes) {
    const ca = step(prefixCrc, a);
    for (const b of codes) {
      const cb = step(ca, b);
      for (const c of codes) {
        const cc = step(cb, c);
        for (const d of codes) {
          const cd = step(cc, d);
          for (const e of codes) {
            let crc = step(cd, e);
            for (let i = 0; i < tail.length; i++) crc = step(crc, tail.charCodeAt(i));
            if (((crc ^ 0xffffffff) >>> 0) % modulo !== wantedRest) continue;
            const forgedBody = body.slice(0, varyAt) + String.fromCharCode(a, b, c, d, e) + tail;
            if (forgedBody === body) continue;
            return forgedBody + checksumOf(forgedBody);
          }
        }
      }
    }
  }
  throw new Error('no look-alike found');
}


describe('Where each token lives', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let admin: HubClient;
  let api: TokenHubApi;
  let prompter: ScriptedPrompter;
  let connectionId: string;
  let root: string;
  let dir: string;
  let originalEnv: string;
  let originalGitignore: string;

  const write = (relative: string, text: string | Buffer) => writeUnder(dir, relative, text);

  before(async () => {
    api = await extensionApi();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test host opened a folder');
    root = folder.uri.fsPath;
    dir = path.join(root, 'locations');
    originalEnv = fs.readFileSync(path.join(root, '.env'), 'utf8');
    originalGitignore = fs.readFileSync(path.join(root, '.gitignore'), 'utf8');
    hub = await startHub();
    const { accountKey } = await hub.init('places', ['chat-completions']);
    admin = new HubClient({ baseUrl: hub.url, accountKey });
    for (const connection of api.services.connections.list()) await api.services.connections.signOut(connection.id);
    connectionId = (await api.services.connections.signIn(hub.url, accountKey)).id;
  });

  after(async () => {
    if (api) {
      for (const connection of api.services.connections.list()) {
        await api.services.secrets.deleteAll(connection.id);
        await api.services.connections.signOut(connection.id);
      }
      api.setPrompter(undefined);
    }
    await hub?.stop();
  });

  beforeEach(() => {
    prompter = new ScriptedPrompter();
    api.setPrompter(prompter);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`    messages shown: ${JSON.stringify(prompter.messages.map((m) => `${m.options.id}: ${m.text}`))}`);
    }
    if (this.currentTest?.state === 'passed') assert.deepEqual(prompter.pending(), [], 'every scripted answer was used');
    for (const document of vscode.workspace.textDocuments) {
      if (!document.isDirty || !document.uri.fsPath.startsWith(root)) continue;
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
    const restore = (name: string, text: string) => fs.readFileSync(path.join(root, name), 'utf8') !== text && fs.writeFileSync(path.join(root, name), text);
    restore('.env', originalEnv);
    restore('.gitignore', originalGitignore);
    api.leakGuard.forgetIgnores();
  });

  it('does not offer to revoke, and refuses to revoke, the real token a forged look-alike (same mask, valid checksum) imitates', async () => {
    const victim = await admin.createToken({ name: 'victim', endpoints: ['chat-completions'] });
    // The person's own token, stored here and shown in the tree: the look-alike must not reach it either way.
    await api.services.secrets.store(connectionId, victim.token.id, victim.secret);
    const connection = api.services.connections.get(connectionId);
    assert.ok(connection);
    api.services.lists.invalidate(connection);
    await api.services.lists.ensureLoaded(connection);

    const forged = forgeLookAlike(victim.secret);
    assert.ok(isValidToken(forged, 'thub_'), 'the look-alike has a valid checksum');
    assert.notEqual(forged, victim.secret);
    assert.deepEqual(maskCandidates(forged), maskCandidates(victim.secret), 'every mask form is the same');
    assert.equal(maskToken(forged), maskToken(victim.secret));
    assert.ok(maskCandidates(forged).includes(victim.token.maskedKey), 'the hub shows the victim under the look-alike\'s mask');

    const uri = write('forged.js', `const key = "${forged}";\n`);
    await vscode.window.showTextDocument(uri);
    const [diagnostic] = await waitFor(() => diagnosticsOf(uri), (d) => d.length === 1, 'the diagnostic');
    const actions = await codeActions(uri, diagnostic.range);
    assert.ok(!fixTitles(actions).includes('Revoke this token'), `no Revoke for a look-alike: ${JSON.stringify(fixTitles(actions))}`);

    // Invoked anyway (a stale light bulb, a keybinding): it refuses with a sentence, and the victim's token lives.
    const revoked = await vscode.commands.executeCommand(COMMAND.revokeExposed, uri, diagnostic.range);
    assert.notEqual(revoked, true);
    assert.equal(prompter.messagesWithId('confirmRevoke').length, 0, 'never asked to confirm');
    assert.match(prompter.messagesWithId('error')[0]?.text ?? '', /found no token/);
    assert.equal((await admin.getToken(victim.token.id)).id, victim.token.id, 'the victim\'s token still exists');
    await admin.invoke('chat-completions', victim.secret);
  });

  async function tokenNode(tokenId: string): Promise<Extract<TreeNode, { kind: 'token' }>> {
    const connection = api.services.connections.get(connectionId);
    assert.ok(connection);
    // Reloaded only when the token is new to the list (a reload makes every found secret be tied again).
    const list = await api.services.lists.ensureLoaded(connection);
    if (!list.tokens.some((token) => token.id === tokenId)) {
      api.services.lists.invalidate(connection);
      await api.services.lists.ensureLoaded(connection);
    }
    const roots = await api.tree.getChildren();
    const root = roots.find((node) => node.kind === 'connection' && node.connection.id === connectionId);
    assert.ok(root, 'the connection is in the tree');
    const node = (await api.tree.getChildren(root)).find((candidate) => candidate.kind === 'token' && candidate.token.id === tokenId);
    assert.ok(node && node.kind === 'token', 'the token is in the tree');
    return node;
  }

  async function placeLabels(tokenId: string): Promise<string[]> {
    await api.usages.settled();
    const node = await tokenNode(tokenId);
    const children = await api.tree.getChildren(node);
    return children.filter((child) => child.kind === 'usage').map((child) => String(api.tree.getTreeItem(child).label));
  }

  const tooltipOf = async (tokenId: string) => {
    const tooltip = api.tree.getTreeItem(await tokenNode(tokenId)).tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  };

  it('indexes every place holding a token (ignored .env, committed .env.local, source), ties it by secret, shows it in the tree and follows edits', async () => {
    // Not stored on this machine: tied through the hub's lookup, after the hub listed its mask.
    const created = await admin.createToken({ name: 'billing', endpoints: ['chat-completions'] });
    const secret = created.secret;
    const stranger = generateToken('thub_');
    write('.env', `# billing\nBILLING_TOKEN=${secret}\nSTRANGER=${stranger}\n`);
    write('apps/api/.env.local', `TOKEN=${secret}\n`);
    const app = write('src/app.js', `const a = 1;\nconst b = 2;\nconst key = "${secret}";\n`);
    write('node_modules/dep/index.js', `module.exports = "${secret}";\n`);

    const expected = ['locations/.env as BILLING_TOKEN', 'locations/apps/api/.env.local as TOKEN', 'locations/src/app.js line 3'];
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.length === 3, 'three places in the tree');
    assert.deepEqual(await placeLabels(created.token.id), expected);
    assert.match(await tooltipOf(created.token.id), /in 3 places/);
    const node = await tokenNode(created.token.id);
    const children = await api.tree.getChildren(node);
    assert.deepEqual(children.filter((child) => child.kind === 'endpoint').map((child) => child.kind === 'endpoint' && child.endpointId), ['chat-completions'], 'the endpoints stay');

    // Each place opens its file at the line.
    const usage = children.find((child) => child.kind === 'usage' && child.usage.file === app.fsPath);
    assert.ok(usage);
    const command = api.tree.getTreeItem(usage).command;
    assert.ok(command);
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    const editor = await waitFor(() => vscode.window.activeTextEditor, (e) => e?.document.uri.fsPath === app.fsPath, 'app.js to open');
    assert.equal(editor?.selection.start.line, 2);

    // Typing (unsaved) takes the place away; the stranger is "not live" and tied to nothing.
    await editor!.edit((edit) => edit.replace(new vscode.Range(2, 0, 3, 0), 'const key = process.env.BILLING_TOKEN;\n'));
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.length === 2, 'the edited place to go');
    const strangerHash = api.usages.index.hashes().find((hash) => api.usages.index.secretOf(hash) === stranger);
    assert.ok(strangerHash, 'the stranger is indexed');
    assert.equal(api.usages.identityOf(strangerHash)?.state, 'notLive');
    // A new file on disk is picked up from the file events.
    write('deploy/run.sh', `export TOKEN=${secret}\n`);
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.includes('locations/deploy/run.sh line 1'), 'the new file');

    // files.exclude applies, to a rebuild and to file events; a build can be stopped.
    const settings = vscode.workspace.getConfiguration('files');
    await settings.update('exclude', { '**/excluded': true }, vscode.ConfigurationTarget.Workspace);
    try {
      write('excluded/a.js', `const k = "${secret}";\n`);
      const stopped = api.usages.rebuild();
      api.usages.cancel();
      const result = await stopped;
      assert.ok(!result || result.cancelled, 'the build stopped');
      const rebuilt = await api.usages.rebuild();
      assert.ok(rebuilt && !rebuilt.cancelled && rebuilt.files > 0);
      const labels = await waitFor(() => placeLabels(created.token.id), (found) => found.includes('locations/deploy/run.sh line 1'), 'the rebuild to find what the events found');
      assert.ok(!labels.some((label) => label.includes('excluded')), `an excluded folder is not indexed: ${JSON.stringify(labels)}`);
    } finally {
      await settings.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('deletes a token and, if asked, removes its secret from an ignored .env (other lines kept) and, as an undoable edit, from a source file', async () => {
    const created = await admin.createToken({ name: 'short-lived', endpoints: ['chat-completions'] });
    const secret = created.secret;
    const env = write('.env', `KEEP=me\r\nDEAD_TOKEN=${secret}\r\n# end\r\n`);
    const source = write('src/client.py', `KEY = "${secret}"\n`);
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.length === 2, 'two places');

    prompter.answer('confirmDelete', 'Delete and Remove from Files');
    assert.equal(await vscode.commands.executeCommand(COMMAND.deleteToken, await tokenNode(created.token.id)), true);
    const [confirm] = prompter.messagesWithId('confirmDelete');
    assert.match(confirm.options.detail ?? '', /locations\/\.env as DEAD_TOKEN/);
    assert.match(confirm.options.detail ?? '', /locations\/src\/client\.py line 1/);
    assert.ok(!(confirm.options.detail ?? '').includes(secret));
    await assert.rejects(admin.getToken(created.token.id), (error: { status?: number }) => error.status === 404);
    assert.equal(fs.readFileSync(env.fsPath, 'utf8'), 'KEEP=me\r\n# end\r\n', 'the line went, every other byte stayed');
    // The tracked file is edited in its document, not on disk: the person reviews, saves or undoes.
    assert.equal(fs.readFileSync(source.fsPath, 'utf8'), `KEY = "${secret}"\n`);
    const document = vscode.workspace.textDocuments.find((doc) => doc.uri.fsPath === source.fsPath);
    assert.ok(document?.isDirty);
    assert.equal(document.getText(), 'KEY = ""\n');
    assert.match(prompter.messagesWithId('deleted')[0].text, /Removed it from locations\/\.env \(DEAD_TOKEN\)\. Took it out of locations\/src\/client\.py: review and save\./);
  });

  it('after Delete without removal, flags the dead secret in the ignored .env with its own code and removes it with the quick fix', async () => {
    const created = await admin.createToken({ name: 'left-behind', endpoints: ['chat-completions'] });
    await api.services.secrets.store(connectionId, created.token.id, created.secret);
    const env = write('.env', `A=1\nLEFT=${created.secret}\n`);
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.length === 1, 'the place');
    prompter.answer('confirmDelete', 'Delete Access Token');
    assert.equal(await vscode.commands.executeCommand(COMMAND.deleteToken, await tokenNode(created.token.id)), true);
    assert.match(prompter.messagesWithId('deleted')[0].text, /still in locations\/\.env as LEFT/);
    assert.equal(fs.readFileSync(env.fsPath, 'utf8'), `A=1\nLEFT=${created.secret}\n`);

    await vscode.window.showTextDocument(env);
    const [diagnostic] = await waitFor(() => diagnosticsOf(env), (d) => d.length === 1, 'the not-live diagnostic in the ignored .env');
    assert.equal(diagnostic.code, 'not-live-token');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Information);
    assert.equal(diagnostic.message, `This Token Hub token (${maskToken(created.secret)}) is not live in any workspace you are signed in to; remove it from the file.`);
    const actions = await codeActions(env, diagnostic.range);
    assert.deepEqual(fixTitles(actions), ['Remove this token', 'Ignore here']);
    const remove = actions.find((a) => a.title === 'Remove this token');
    await vscode.commands.executeCommand(remove!.command!.command, ...(remove!.command!.arguments ?? []));
    const document = await vscode.workspace.openTextDocument(env);
    assert.equal(document.getText(), 'A=1\n');
    assert.ok(document.isDirty, 'an undoable edit, not a disk write');
    await waitFor(() => diagnosticsOf(env), (d) => d.length === 0, 'the diagnostic to go');
  });

  it('flags an unknown secret in a committed file as not live (not as exposed), and refuses to remove a live one', async () => {
    const unknown = generateToken('thub_');
    const live = await admin.createToken({ name: 'in-use', endpoints: ['chat-completions'] });
    const uri = write('config.ts', `export const A = "${unknown}";\nexport const B = "${live.secret}";\n`);
    await vscode.window.showTextDocument(uri);
    const diagnostics = await waitFor(() => diagnosticsOf(uri), (d) => d.length === 2 && d[0].code === 'not-live-token', 'two diagnostics');
    assert.equal(diagnostics[1].code, 'exposed-token', 'the live one is exposed');
    assert.equal(diagnostics[0].severity, vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(fixTitles(await codeActions(uri, diagnostics[0].range)), ['Remove this token', 'Ignore here']);
    assert.ok(!fixTitles(await codeActions(uri, diagnostics[1].range)).includes('Remove this token'));
    await vscode.commands.executeCommand(COMMAND.removeExposed, uri, diagnostics[1].range);
    assert.match(prompter.messagesWithId('error')[0]?.text ?? '', /is live in places/);
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText().includes(live.secret), true);
  });

  it('names a service key in a committed file as a service key, and never asks a hub whether it is live', async () => {
    // Taken for an access token, it was sent to every signed-in hub's lookup and flagged "not live" (remove it).
    const serviceKey = generateToken('thsk_');
    const uri = write('verify.ts', `export const KEY = "${serviceKey}";\n`);
    await vscode.window.showTextDocument(uri);
    const [diagnostic, ...rest] = await waitFor(() => diagnosticsOf(uri), (d) => d.length > 0, 'the diagnostic');
    assert.equal(rest.length, 0);
    assert.equal(diagnostic.code, 'exposed-token');
    assert.equal(
      diagnostic.message,
      `This file contains the Token Hub service key ${maskToken(serviceKey)}. Move it to .env, or revoke it (tokenhub service-key revoke) if it was shared.`,
    );
  });

  it('rotates a token and updates an ignored .env the extension never wrote; the old secret left in a committed file is then flagged as not live', async () => {
    const created = await admin.createToken({ name: 'rotating', endpoints: ['chat-completions'] });
    const oldSecret = created.secret;
    // Written by hand (not by the extension), and the secret is not stored here: found by the index only.
    const env = write('deploy/.env', `export ROTATING=${oldSecret} # keep this comment\n`);
    const committed = write('docs/example.md', `Call with \`${oldSecret}\`.\n`);
    await waitFor(() => placeLabels(created.token.id), (labels) => labels.length === 2, 'two places');

    prompter.answer('grace', 'No grace period').answer('confirmRotate', 'Rotate and Update Files');
    const rotated = await vscode.commands.executeCommand(COMMAND.rotateToken, await tokenNode(created.token.id));
    assert.ok(rotated);
    const [confirm] = prompter.messagesWithId('confirmRotate');
    assert.match(confirm.options.detail ?? '', /locations\/deploy\/\.env/);
    assert.match(confirm.options.detail ?? '', /Not updated, because git may commit them[\s\S]*locations\/docs\/example\.md line 1/);
    const newSecret = (await api.services.secrets.get(connectionId, created.token.id))!;
    assert.ok(newSecret && newSecret !== oldSecret);
    assert.equal(fs.readFileSync(env.fsPath, 'utf8'), `export ROTATING=${newSecret} # keep this comment\n`);
    assert.equal(fs.readFileSync(committed.fsPath, 'utf8'), `Call with \`${oldSecret}\`.\n`, 'a committed file never gets the live secret');
    await admin.invoke('chat-completions', newSecret);

    await vscode.window.showTextDocument(committed);
    const [diagnostic] = await waitFor(() => diagnosticsOf(committed), (d) => d.length === 1 && d[0].code === 'not-live-token', 'the old secret flagged as not live');
    assert.match(diagnostic.message, /is not live in any workspace you are signed in to/);
  });

  it('Insert into .env notices the token already in the file under another name, offers to reuse it, and opens .env at the line', async () => {
    const created = await admin.createToken({ name: 'reused', endpoints: ['chat-completions'] });
    await api.services.secrets.store(connectionId, created.token.id, created.secret);
    // locations/.env, not the root one: an editor opened on the root .env would go stale for the suites that follow.
    const env = write('.env', `# app\nA=1\nOLD_NAME=${created.secret}\n`);
    prompter.answer('envFile', 'locations/.env').answer('envVariable', 'NEW_NAME').answer('confirmReuse', 'Use OLD_NAME').answer('envWritten', 'Open .env');
    const result = (await vscode.commands.executeCommand(COMMAND.insertIntoEnv, await tokenNode(created.token.id))) as { variable: string; action: string };
    assert.deepEqual([result.variable, result.action], ['OLD_NAME', 'unchanged']);
    assert.equal(fs.readFileSync(env.fsPath, 'utf8'), `# app\nA=1\nOLD_NAME=${created.secret}\n`, 'nothing written');
    assert.match(prompter.messagesWithId('confirmReuse')[0].text, /already in locations\/\.env as OLD_NAME \(line 3\)/);
    const editor = await waitFor(() => vscode.window.activeTextEditor, (e) => e?.document.uri.fsPath === env.fsPath, '.env to open');
    assert.equal(editor?.selection.start.line, 2);

    // Adding it under a new name anyway: written, and the message offers to open the file there too.
    prompter.answer('envFile', 'locations/.env').answer('envVariable', 'NEW_NAME').answer('confirmReuse', 'Add NEW_NAME Too');
    await vscode.commands.executeCommand(COMMAND.insertIntoEnv, await tokenNode(created.token.id));
    assert.equal(fs.readFileSync(env.fsPath, 'utf8'), `# app\nA=1\nOLD_NAME=${created.secret}\nNEW_NAME=${created.secret}\n`);
    assert.deepEqual(prompter.messagesWithId('envWritten').at(-1)?.actions, ['Open .env']);
  });
});
