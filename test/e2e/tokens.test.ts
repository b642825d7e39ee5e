// Journeys 2 to 4 in one VS Code session, in order, as one person's afternoon: create a token through the Command
// Palette and put it into .env from the show-once dialog; use it from a program and see the tree say so; delete it
// from the context menu and see it refused. VS Code starts with TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY (as `npm
// start` does), so the extension connects on its own; signing in by hand is journey 1's.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { maskToken } from '../../src/core/token';
import { HubProcess, startHub } from '../support/hub';
import { ENV_BEFORE, Session, envValue, invokeEndpoint, recordFailure, waitForText, waitGone, waitUntil, waitVisible } from './driver';

const NAME = 'chat-app';
const VARIABLE = 'CHAT_APP_TOKEN';

describe('e2e 2-4: create, use and delete a token', function () {
  this.timeout(180_000);
  // A journey needs the one before it: stop at the first failure.
  this.bail(true);
  let hub: HubProcess;
  let session: Session;
  let envFile: string;
  /** The secret as the show-once dialog showed it. */
  let shownSecret: string;

  before(async () => {
    hub = await startHub();
    const { accountKey } = await hub.init('acme', ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation=Moderation']);
    session = await Session.start({ name: '2-4-create-use-delete', env: { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: accountKey } });
    envFile = path.join(session.folder, '.env');
    await session.openTokenHub();
    await session.resizeSidebar(480);
    // Connected on its own from the environment: the empty workspace's root, saying it has no tokens.
    await session.waitForTreeRow(/No tokens yet\./);
  });

  afterEach(async function () {
    await recordFailure(session, this.currentTest);
  });

  after(async () => {
    await session?.close();
    await hub?.stop();
  });

  describe('2. create', () => {
    it('runs "Token Hub: Create Access Token" from the Command Palette and refuses an invalid name', async () => {
      const { quickInput } = session;
      await session.runCommand('Token Hub: Create Access Token');
      await quickInput.waitForTitle(/^Create an access token in acme \(1\/4\)$/);
      await quickInput.waitForMessage(/Name the token after the program that will use it/);
      await quickInput.type('Bad Name');
      await quickInput.waitForMessage(/^Use only lowercase letters, digits and hyphens in the name: B and N are capital letters \(use lowercase\); it has a space \(use a hyphen\)\.$/);
      await session.screenshot('create-name-invalid');
      await quickInput.press('Enter');
      // Enter with an invalid name does nothing: still step 1.
      await waitForText(quickInput.title, /\(1\/4\)$/);
      await quickInput.type(NAME);
      await quickInput.waitForMessage(/Name the token after the program/);
      await quickInput.press('Enter');
    });

    it('chooses two endpoints, 7 days and reviews', async () => {
      const { quickInput } = session;
      await quickInput.waitForTitle(/^Create an access token in acme \(2\/4\)$/);
      await quickInput.waitForRow('moderation');
      assert.deepEqual(
        await quickInput.rows.evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label'))),
        ['chat-completions, Chat completions', 'embeddings, Embeddings', 'moderation, Moderation'],
      );
      await quickInput.check('chat-completions');
      await quickInput.check('embeddings');
      await waitForText(quickInput.widget.locator('.quick-input-count'), /2 Selected/);
      await session.screenshot('create-endpoints');
      await quickInput.press('Enter');

      await quickInput.waitForTitle(/^Create an access token in acme \(3\/4\)$/);
      await quickInput.waitForRow(/^7 days/);
      await session.screenshot('create-expiry');
      await quickInput.choose(/^7 days/);

      await quickInput.waitForTitle(/^Create an access token in acme \(4\/4\)$/);
      const review = await quickInput.waitForRow('Create token');
      assert.match(await review.innerText(), /expires [\s\S]*Calls chat-completions and embeddings/);
      assert.equal(await quickInput.input.getAttribute('placeholder'), 'Create "chat-app"? Press Enter to create it.');
      await session.screenshot('create-review');
      await review.click();
    });

    it('shows the secret once in a modal with Copy beside Close, then offers Insert into .env', async () => {
      const { dialog } = session;
      await dialog.waitFor(/^Token "chat-app" is ready, and its secret is kept on this machine\.$/);
      const detail = await dialog.detail.innerText();
      const secret = /thub_[0-9A-Za-z]{49}/.exec(detail)?.[0];
      assert.ok(secret, `the dialog shows the secret (it says: ${detail.replace(/thub_\w+/g, 'thub_…')})`);
      shownSecret = secret;
      assert.match(detail, /Copy Token and Insert into \.env find it here later/);
      // One action and the dialog's own Close: the order reads right on every platform.
      const buttons = await dialog.buttons();
      assert.deepEqual([...buttons].sort(), ['Close', 'Copy'], `buttons: ${buttons.join(', ')}`);
      await session.screenshot('show-once-dialog');
      await dialog.click('Copy');
      const copied = await session.waitForNotification(/Copied the secret of "chat-app"/);
      await copied.getByRole('button', { name: 'Insert into .env' }).click();
    });

    it('asks for the file and the variable, and writes the secret into .env keeping its other lines', async () => {
      const { quickInput } = session;
      await quickInput.waitForTitle(/^Insert "chat-app" into .+ \(1\/2\)$/);
      assert.equal(await quickInput.value(), '.env', 'the file box offers the configured .env');
      await quickInput.type('../.env');
      await quickInput.waitForMessage(/Choose a file inside the workspace folder \(no "\.\."\)\./);
      await quickInput.type('.env');
      await quickInput.press('Enter');

      await quickInput.waitForTitle(/^Insert "chat-app" into .+ \(2\/2\)$/);
      assert.equal(await quickInput.value(), 'TOKENHUB_TOKEN', 'the variable box offers the configured name');
      await quickInput.type(VARIABLE);
      await session.screenshot('insert-variable');
      await quickInput.press('Enter');
      await quickInput.waitClosed();
      await session.waitForNotification(`Wrote "chat-app" to .env as ${VARIABLE}.`);

      const text = await waitUntil('the secret in .env on disk', () => {
        const current = fs.readFileSync(envFile, 'utf8');
        return envValue(current, VARIABLE) ? current : undefined;
      });
      assert.equal(envValue(text, VARIABLE), shownSecret, 'the .env holds the secret the dialog showed');
      assert.ok(text.startsWith(ENV_BEFORE), `the other lines are kept as they were:\n${text.replace(/thub_\w+/g, 'thub_…')}`);
      assert.equal(text.split('\n').filter((line) => line.startsWith(`${VARIABLE}=`)).length, 1);
    });

    it('shows the .env in the editor and the token in the tree, masked and never used', async () => {
      // Quick Open leaves .env out (it is git-ignored): open it from the Explorer, as a person would.
      await session.openFromExplorer('.env');
      await waitUntil('the editor to show the variable', async () => (await session.editorText()).includes(`${VARIABLE}=thub_`));
      const shown = await session.editorText();
      assert.match(shown, /APP_NAME=e2e-demo/);
      assert.match(shown, /LOG_LEVEL=debug/);

      const row = await session.waitForTreeRow(NAME);
      // The row keeps to what fits the sidebar: the name and when it was used; the masked key is in its label for a
      // screen reader and in the tooltip.
      assert.equal(await waitForText(row.locator('.label-description'), /never used/), 'never used');
      assert.match(await row.getAttribute('aria-label') ?? '', new RegExp(maskToken(shownSecret).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.ok(!(await row.innerText()).includes(shownSecret), 'the tree never shows the secret');
      await waitVisible(session.treeRows(/^acme/), 'the workspace row');
      await session.screenshot('env-in-editor-and-tree');
    });
  });

  describe('3. use', () => {
    it('a program calls the endpoint with the secret from .env, and Refresh shows the use', async () => {
      const secret = envValue(fs.readFileSync(envFile, 'utf8'), VARIABLE);
      assert.ok(secret, 'the .env on disk holds the token');
      const answer = await invokeEndpoint(hub.url, 'chat-completions', secret);
      assert.equal(answer.status, 200, `invoke answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      assert.equal((answer.body as { endpoint?: string }).endpoint, 'chat-completions');
      const refused = await invokeEndpoint(hub.url, 'moderation', secret);
      assert.equal(refused.status, 403, 'not scoped to moderation');

      await session.clickViewAction('Refresh');
      const row = session.treeRows(NAME);
      await waitForText(row.locator('.label-description'), /used (just now|\d+ \w+ ago)/, 'the row to say it was used');
      await session.screenshot('used-just-now');
    });
  });

  describe('4. delete', () => {
    it('deletes from the context menu after a confirmation, and the secret stops working', async () => {
      const row = await session.waitForTreeRow(NAME);
      await row.click({ button: 'right' });
      const item = await session.contextMenuItem('Delete Access Token');
      await item.hover();
      await session.screenshot('context-menu');
      await item.click();

      const { dialog } = session;
      await dialog.waitFor(/^Delete the token "chat-app"\?$/);
      assert.match(await dialog.detail.innerText(), new RegExp(`Every program using it \\(${maskToken(shownSecret).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) stops working at once`));
      await session.screenshot('delete-confirm');
      await dialog.click('Delete Access Token');

      await waitGone(session.treeRows(NAME), `the row "${NAME}"`);
      await session.waitForTreeRow(/No tokens yet\./);
      await waitVisible(session.treeRows(/^acme/), 'the workspace row, still there without tokens');
      await session.waitForNotification('Deleted "chat-app". Programs that still use it are now refused.');
      await session.screenshot('deleted');

      const secret = envValue(fs.readFileSync(envFile, 'utf8'), VARIABLE)!;
      const answer = await invokeEndpoint(hub.url, 'chat-completions', secret);
      assert.equal(answer.status, 401, `a deleted token is refused (got ${answer.status})`);
    });
  });
});
