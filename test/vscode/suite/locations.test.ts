// Where each token lives, against a real hub inside a real extension host: a found secret is tied to its token by
// the secret (never by its public mask, which a forged look-alike shares), the usage index finds and ties every
// place and follows edits, the tree shows the places, Delete and Rotate edit the files they hold, a dead secret is
// flagged with its own code, and Insert into .env notices a token already in the file.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { HubClient } from '../../../src/api/client';
import { CHECKSUM_LENGTH, CRC_TABLE, checksumOf, isValidToken, maskCandidates, maskToken, TOKEN_LENGTH } from '../../../src/core/token';
import type { TokenHubApi } from '../../../src/extension/extension';
import { HubProcess, startHub } from '../../support/hub';
import { ScriptedPrompter } from '../../support/scriptedPrompter';
import { extensionApi } from './helpers/api';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

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

const diagnosticsOf = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Token Hub');
const ours = (action: vscode.CodeAction) => action.kind?.value === 'quickfix' && !!action.command?.command.startsWith('tokenHub.leakGuard.');
const titles = (actions: vscode.CodeAction[]) => actions.filter(ours).map((a) => a.title);

async function codeActions(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  return waitFor(
    async () => (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range)) ?? [],
    (actions) => actions.some(ours),
    'the leak guard\'s quick fixes',
  );
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

  const write = (relative: string, text: string) => {
    const target = path.join(dir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    return vscode.Uri.file(target);
  };

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
    assert.ok(!titles(actions).includes('Revoke this token'), `no Revoke for a look-alike: ${JSON.stringify(titles(actions))}`);

    // Invoked anyway (a stale light bulb, a keybinding): it refuses with a sentence, and the victim's token lives.
    const revoked = await vscode.commands.executeCommand('tokenHub.leakGuard.revoke', uri, diagnostic.range);
    assert.notEqual(revoked, true);
    assert.equal(prompter.messagesWithId('confirmRevoke').length, 0, 'never asked to confirm');
    assert.match(prompter.messagesWithId('error')[0]?.text ?? '', /found no token/);
    assert.equal((await admin.getToken(victim.token.id)).id, victim.token.id, 'the victim\'s token still exists');
    await admin.invoke('chat-completions', victim.secret);
  });
});
