// A person gives a token to this window's terminals without a file: create it, choose "Use in Terminals and Debug
// Sessions" from its context menu, open a terminal and use the variable there; then stop it from the same menu.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HubProcess, startHub } from '../support/hub';
import { Session, recordFailure, waitForText, waitUntil } from './driver';

const NAME = 'chat-app';
const VARIABLE = 'CHAT_KEY';

describe('e2e: a token in terminals, with no file', function () {
  this.timeout(180_000);
  this.bail(true);
  let hub: HubProcess;
  let session: Session;
  let outputs: string;
  let shownSecret: string;
  let typed = 0;

  before(async () => {
    hub = await startHub();
    const { accountKey } = await hub.init('acme', ['chat-completions']);
    session = await Session.start({ name: 'injection', env: { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: accountKey } });
    outputs = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-e2e-injection-'));
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
    if (outputs) fs.rmSync(outputs, { recursive: true, force: true });
  });

  /** Opens a new terminal as a person would and types a command that writes $VARIABLE into a file; its content. */
  async function variableInNewTerminal(): Promise<string> {
    const file = path.join(outputs, `terminal-${++typed}`);
    await session.runCommand('Terminal: Create New Terminal');
    await session.page.locator('.terminal-wrapper.active .xterm').first().waitFor({ state: 'visible' });
    await session.page.keyboard.type(`printf '[%s]' "$${VARIABLE}" > '${file}.part' && mv '${file}.part' '${file}'\n`);
    return waitUntil(`the terminal to write ${file}`, () => fs.existsSync(file) && fs.readFileSync(file, 'utf8'));
  }

  async function chooseFromMenu(name: string): Promise<void> {
    const item = await session.contextMenuItem(name);
    await item.hover(); // the menu takes a click only once it has settled under the pointer
    await item.click();
  }

  it('creates a token whose secret is stored here', async () => {
    const { quickInput, dialog } = session;
    await session.runCommand('Token Hub: Create Access Token');
    await quickInput.waitForTitle(/\(1\/4\)$/);
    await quickInput.type(NAME);
    await quickInput.press('Enter');
    await quickInput.waitForTitle(/\(2\/4\)$/);
    await quickInput.check('chat-completions');
    await quickInput.press('Enter');
    await quickInput.waitForTitle(/\(3\/4\)$/);
    await quickInput.choose(/^7 days/);
    await quickInput.waitForTitle(/\(4\/4\)$/);
    await (await quickInput.waitForRow('Create token')).click();
    await dialog.waitFor(/^Token "chat-app" is ready/);
    shownSecret = /thub_[0-9A-Za-z]{49}/.exec(await dialog.detail.innerText())?.[0] ?? '';
    assert.ok(shownSecret, 'the dialog shows the secret');
    await dialog.click('Close');
  });

  it('uses it in terminals from the context menu: asks the name, says what happens, marks the row', async () => {
    const row = await session.waitForTreeRow(NAME);
    await row.click({ button: 'right' });
    await chooseFromMenu('Use in Terminals and Debug Sessions');
    const { quickInput } = session;
    await quickInput.waitForTitle(/^Use "chat-app" in terminals and debug sessions$/);
    assert.equal(await quickInput.value(), 'TOKENHUB_TOKEN', 'the name box offers the configured variable');
    await quickInput.type('1BAD');
    await quickInput.waitForMessage(/letters, digits and underscores/);
    await quickInput.type(VARIABLE);
    await quickInput.press('Enter');
    await quickInput.waitClosed();
    await session.waitForNotification(`New terminals and debug sessions of this window get "chat-app" as ${VARIABLE}; restart open terminals to use it.`);
    const revival = await session.waitForNotification(/When VS Code closes, it saves the environment of open terminals on disk/);
    await revival.getByRole('button', { name: 'Turn Off Terminal Revival' }).click();
    await session.waitForNotification(/VS Code no longer saves open terminals when it closes/);
    await waitForText(await session.waitForTreeRow(NAME), new RegExp(`· \\$${VARIABLE}`), 'the row marked with the variable');
    await session.screenshot('injected-row');
  });

  it('a terminal opened now has the secret in the variable', async () => {
    assert.equal(await variableInNewTerminal(), `[${shownSecret}]`);
    await session.screenshot('injected-terminal');
  });

  it('stops from the context menu, and the next terminal has no such variable', async () => {
    const row = await session.waitForTreeRow(NAME);
    await row.click({ button: 'right' });
    await chooseFromMenu('Stop Using in Terminals and Debug Sessions');
    await session.waitForNotification(`New terminals and debug sessions no longer get "chat-app" as ${VARIABLE}. Restart open terminals to drop it there too.`);
    assert.equal(await variableInNewTerminal(), '[]');
    await row.click({ button: 'right' });
    await session.contextMenuItem('Use in Terminals and Debug Sessions');
    await session.page.keyboard.press('Escape');
  });
});
