// The end-to-end driver: a real VS Code (code-server 4.100.3 = VS Code 1.100.3) in headless Chromium, with the
// extension loaded from this repository, driven only as a person would: clicks, keys, the Command Palette, quick
// inputs, context menus and dialogs. No extension test API and no extensionTestsPath (with it VS Code refuses modal
// dialogs): what the tests assert is what is on the screen and what lands on disk.
//
//   const session = await Session.start({ name: 'tokens', env: { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: key } });
//   await session.openTokenHub();
//   await session.runCommand('Token Hub: Create Access Token');
//   await session.quickInput.waitForTitle(/\(1\/4\)/);
//   …
//   await session.close();
//
// Every session has its own workspace folder (a .env and a .gitignore), its own code-server with a fresh user-data
// folder, and its own Chromium. Screenshots, the browser console and code-server's log go to test-results/e2e/<name>/.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openWorkbench, startCodeServer, type OpenedWorkbench, type Page, type RunningCodeServer } from '../../src/dev/codeServer';

/** out/test/e2e -> the repository. */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const RESULTS_DIR = path.join(REPO, 'test-results', 'e2e');
export const VIEWPORT = { width: 1280, height: 800 };

/** How long a condition may take to become true before the test fails (generous: 2 cores, a cold workbench). */
export const WAIT_MS = Number(process.env.TOKENHUB_E2E_WAIT_MS ?? 30_000);

export type Locator = ReturnType<Page['locator']>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than undefined/false, or throws after `timeoutMs` with `what` and the
 * last value or error seen.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error instanceof Error ? error.message.split('\n')[0] : error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${String(last)})`);
    await sleep(200);
  }
}

/** Waits until the locator's text matches; returns the text. */
export async function waitForText(locator: Locator, pattern: RegExp, what = String(pattern), timeoutMs = WAIT_MS): Promise<string> {
  let seen = '';
  try {
    return await waitUntil(
      what,
      async () => {
        seen = (await locator.first().innerText({ timeout: 1000 })).trim();
        return pattern.test(seen) ? seen : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n  expected text matching ${pattern}; the text was: ${JSON.stringify(seen)}`);
  }
}

export async function waitVisible(locator: Locator, what: string, timeoutMs = WAIT_MS): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} to be visible`);
  }
  return locator.first();
}

export async function waitGone(locator: Locator, what: string, timeoutMs = WAIT_MS): Promise<void> {
  await waitUntil(`${what} to disappear`, async () => (await locator.count()) === 0 || !(await locator.first().isVisible()), timeoutMs);
}

/** A folder like a person's project: a .env with a comment and a variable, and a .gitignore that lists .env. */
export function makeProjectFolder(name: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `tokenhub-e2e-${name}-`));
  fs.writeFileSync(path.join(folder, '.env'), ENV_BEFORE);
  fs.writeFileSync(path.join(folder, '.gitignore'), '.env\nnode_modules/\n');
  return folder;
}

export const ENV_BEFORE = '# settings of the demo app\nAPP_NAME=e2e-demo\n\nLOG_LEVEL=debug\n';

/** The quick input widget (Command Palette, input boxes, quick picks). */
export class QuickInput {
  constructor(private readonly currentPage: () => Page) {}

  private get page(): Page {
    return this.currentPage();
  }

  get widget(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  get input(): Locator {
    return this.widget.locator('.quick-input-box input');
  }

  /** The title, with VS Code's step counter. */
  get title(): Locator {
    return this.widget.locator('.quick-input-title');
  }

  /** The prompt, or the validation message while the value is invalid. */
  get message(): Locator {
    return this.widget.locator('.quick-input-message');
  }

  get rows(): Locator {
    return this.widget.locator('.quick-input-list .monaco-list-row');
  }

  async waitOpen(what = 'the quick input'): Promise<void> {
    await waitVisible(this.widget, what);
  }

  async waitClosed(): Promise<void> {
    await waitGone(this.widget, 'the quick input');
  }

  /** Waits for the title (with VS Code's step counter, e.g. "Create an access token in acme (2/4)"). */
  async waitForTitle(pattern: RegExp): Promise<string> {
    await this.waitOpen(`a quick input titled ${pattern}`);
    return waitForText(this.title, pattern, `the quick input title ${pattern}`);
  }

  async waitForMessage(pattern: RegExp): Promise<string> {
    return waitForText(this.message, pattern, `the quick input message ${pattern}`);
  }

  async value(): Promise<string> {
    return this.input.inputValue();
  }

  /** Replaces what is in the input, typing it key by key as a person would. */
  async type(text: string): Promise<void> {
    await this.input.focus();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.press('Backspace');
    await this.page.keyboard.type(text);
  }

  async press(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }

  row(text: string | RegExp): Locator {
    return this.rows.filter({ hasText: text });
  }

  async waitForRow(text: string | RegExp): Promise<Locator> {
    return waitVisible(this.row(text), `the quick pick row ${String(text)}`);
  }

  /** Ticks the checkbox of a row of a multi-select quick pick. */
  async check(text: string | RegExp): Promise<void> {
    const row = await this.waitForRow(text);
    if ((await row.getAttribute('aria-checked')) !== 'true') await row.locator('.monaco-checkbox').click();
    await waitUntil(`the row ${String(text)} to be checked`, async () => (await row.getAttribute('aria-checked')) === 'true');
  }

  /** Clicks a row of a single-select quick pick (which accepts it). */
  async choose(text: string | RegExp): Promise<void> {
    const row = await this.waitForRow(text);
    await row.click();
  }

  async clickOk(): Promise<void> {
    await this.widget.locator('.quick-input-action .monaco-button', { hasText: /^OK$/ }).click();
  }
}

/** VS Code's modal dialog (rendered as DOM in the browser workbench). */
export class Dialog {
  constructor(private readonly currentPage: () => Page) {}

  get box(): Locator {
    return this.currentPage().locator('.monaco-dialog-box');
  }

  get message(): Locator {
    return this.box.locator('.dialog-message-text');
  }

  get detail(): Locator {
    return this.box.locator('.dialog-message-detail');
  }

  async waitFor(pattern: RegExp): Promise<string> {
    await waitVisible(this.box, `a dialog saying ${pattern}`);
    return waitForText(this.message, pattern, `the dialog message ${pattern}`);
  }

  button(name: string): Locator {
    return this.box.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${escapeRegExp(name)}$`) });
  }

  async buttons(): Promise<string[]> {
    return (await this.box.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((text) => text.trim());
  }

  async click(name: string): Promise<void> {
    await (await waitVisible(this.button(name), `the dialog button "${name}"`)).click();
    await waitGone(this.box, 'the dialog');
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface SessionOptions {
  /** Names the results folder: test-results/e2e/<name>/. */
  name: string;
  /** Added to code-server's environment (undefined removes a variable), which the extension host inherits. */
  env?: Record<string, string | undefined>;
  /** The workspace folder (default: a fresh one from makeProjectFolder). */
  folder?: string;
}

export class Session {
  readonly quickInput: QuickInput;
  readonly dialog: Dialog;
  private shots = 0;
  private readonly consoleTail: string[] = [];

  private constructor(
    readonly name: string,
    readonly resultsDir: string,
    readonly folder: string,
    private readonly ownsFolder: boolean,
    readonly server: RunningCodeServer,
    private opened: OpenedWorkbench,
    consoleTail: string[],
  ) {
    this.consoleTail = consoleTail;
    this.quickInput = new QuickInput(() => this.page);
    this.dialog = new Dialog(() => this.page);
  }

  private static open(server: RunningCodeServer, resultsDir: string, consoleTail: string[]): Promise<OpenedWorkbench> {
    return openWorkbench(server, {
      extensionDevelopmentPath: REPO,
      viewport: VIEWPORT,
      consoleLogFile: path.join(resultsDir, 'browser-console.log'),
      onConsole: (line) => {
        consoleTail.push(line);
        if (consoleTail.length > 40) consoleTail.shift();
      },
      timeoutMs: 90_000,
    });
  }

  /** Starts code-server (fresh user data) on the folder and opens the workbench with the extension from source. */
  static async start(options: SessionOptions): Promise<Session> {
    if (!fs.existsSync(path.join(REPO, 'dist', 'extension.js'))) {
      throw new Error('dist/extension.js is missing: run `node esbuild.js` (npm test\'s pretest does)');
    }
    const resultsDir = path.join(RESULTS_DIR, options.name);
    fs.rmSync(resultsDir, { recursive: true, force: true });
    fs.mkdirSync(resultsDir, { recursive: true });
    const ownsFolder = options.folder === undefined;
    const folder = options.folder ?? makeProjectFolder(options.name);
    const consoleTail: string[] = [];
    let server: RunningCodeServer | undefined;
    try {
      server = await startCodeServer({
        folder,
        // Nothing of the developer's own Token Hub environment leaks in unless the test asks for it.
        env: { TOKENHUB_URL: undefined, TOKENHUB_ACCOUNT_KEY: undefined, ...options.env },
        logFile: path.join(resultsDir, 'code-server.log'),
      });
      const workbench = await Session.open(server, resultsDir, consoleTail);
      return new Session(options.name, resultsDir, folder, ownsFolder, server, workbench, consoleTail);
    } catch (error) {
      await server?.stop();
      if (ownsFolder) fs.rmSync(folder, { recursive: true, force: true });
      throw error;
    }
  }

  get workbench(): OpenedWorkbench {
    return this.opened;
  }

  get page(): Page {
    return this.opened.page;
  }

  /**
   * Closes this browser and opens the same VS Code (same code-server, same user data) in a new Chromium with a fresh
   * profile: a person opening the URL in another browser. The workbench keeps secrets in the browser.
   */
  async openInAnotherBrowser(): Promise<void> {
    await this.opened.close();
    this.opened = await Session.open(this.server, this.resultsDir, this.consoleTail);
  }

  /** Saves a screenshot as test-results/e2e/<session>/<nn>-<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.resultsDir, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The last browser console lines, for a failure's message. */
  consoleLines(): string[] {
    return [...this.consoleTail];
  }

  async close(): Promise<void> {
    await this.opened.close();
    await this.server.stop();
    if (this.ownsFolder) fs.rmSync(this.folder, { recursive: true, force: true });
  }

  // --- the workbench's parts -------------------------------------------------------------------------------

  /** An activity bar entry (a tab named after its view container, e.g. "Token Hub" or /^Explorer/). */
  activityTab(name: string | RegExp): Locator {
    return this.page.locator('.part.activitybar').getByRole('tab', { name, exact: typeof name === 'string' });
  }

  get sidebar(): Locator {
    return this.page.locator('.part.sidebar');
  }

  /** The Token Hub view's welcome content (signed out, empty workspace). */
  get welcome(): Locator {
    return this.sidebar.locator('.welcome-view-content');
  }

  /** The rows of the tree in the side bar, optionally those containing a text. */
  treeRows(text?: string | RegExp): Locator {
    const rows = this.sidebar.locator('.monaco-list-row');
    return text === undefined ? rows : rows.filter({ hasText: text });
  }

  async waitForTreeRow(text: string | RegExp): Promise<Locator> {
    return waitVisible(this.treeRows(text), `a tree row with ${String(text)}`);
  }

  /** An action of the side bar's title (e.g. "Refresh"), as its tooltip names it. */
  viewAction(label: string): Locator {
    return this.sidebar.locator('.title-actions, .pane-header .actions').locator(`a.action-label[aria-label^="${label}"]`);
  }

  async clickViewAction(label: string): Promise<void> {
    // The title actions show while the pointer is over the view, as for a person.
    await this.sidebar.hover();
    await (await waitVisible(this.viewAction(label), `the view action "${label}"`)).click();
  }

  /** Clicks the Token Hub icon in the activity bar (once: a second click would close the side bar). */
  async openTokenHub(): Promise<void> {
    const tab = await waitVisible(this.activityTab('Token Hub'), 'the Token Hub icon in the activity bar', 60_000);
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await waitForText(this.sidebar.locator('.composite.title'), /Token Hub/i, 'the Token Hub side bar');
  }

  /** Drags the side bar's edge so that it is `width` pixels wide (long descriptions then show whole). */
  async resizeSidebar(width: number): Promise<void> {
    const box = await waitUntil('the side bar to have a size', async () => (await this.sidebar.boundingBox()) ?? undefined);
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
    await waitUntil(`the side bar to be ${width} px wide`, async () => Math.abs(((await this.sidebar.boundingBox())?.width ?? 0) - width) <= 8);
  }

  /** Opens a file of the workspace folder's top level by clicking it in the Explorer; then shows Token Hub again. */
  async openFromExplorer(fileName: string): Promise<void> {
    const explorer = await waitVisible(this.activityTab(/^Explorer/), 'the Explorer icon');
    if ((await explorer.getAttribute('aria-selected')) !== 'true') await explorer.click();
    const row = await waitVisible(
      this.sidebar.getByRole('treeitem', { name: fileName, exact: true }),
      `${fileName} in the Explorer`,
    );
    await row.click();
    await waitVisible(this.page.locator('.tabs-container .tab').filter({ hasText: fileName }), `an editor tab for ${fileName}`);
    await this.openTokenHub();
  }

  /** Runs a command from the Command Palette (F1), by its title as the palette shows it. */
  async runCommand(title: string): Promise<void> {
    await this.page.locator('.monaco-workbench').focus().catch(() => undefined);
    await this.page.keyboard.press('F1');
    await this.quickInput.waitOpen('the Command Palette');
    await this.page.keyboard.type(title);
    const first = this.quickInput.rows.first();
    await waitForText(first, new RegExp(`^${escapeRegExp(title)}`), `"${title}" first in the Command Palette`);
    await this.page.keyboard.press('Enter');
  }

  /** A notification toast containing the text. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notification-toast').filter({ hasText: text });
  }

  async waitForNotification(text: string | RegExp): Promise<Locator> {
    return waitVisible(this.notification(text), `a notification ${String(text)}`);
  }

  /** The items of the context menu that is open. */
  get contextMenu(): Locator {
    return this.page.locator('.context-view .monaco-menu');
  }

  async contextMenuItem(name: string): Promise<Locator> {
    return waitVisible(this.contextMenu.getByRole('menuitem', { name }), `the context menu item "${name}"`);
  }

  /** The text of the active editor, as the screen shows it (monaco's view lines). */
  async editorText(): Promise<string> {
    const lines = this.page.locator('.editor-instance .monaco-editor .view-lines').first();
    return (await lines.innerText()).replace(/\u00a0/g, ' ');
  }
}

/** Reads NAME=value from .env text (the first assignment; no quotes, as the extension writes tokens). */
export function envValue(text: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*(?:export\\s+)?${escapeRegExp(name)}\\s*=\\s*["']?([^"'\\s#]*)`, 'm').exec(text);
  return match?.[1];
}

/** POST {hub}/v1/endpoints/{id}/invoke with the token, as a program using it would. */
export async function invokeEndpoint(hubUrl: string, endpointId: string, secret: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${hubUrl}/v1/endpoints/${encodeURIComponent(endpointId)}/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

/** mocha's afterEach: on a failure, a screenshot and the last console lines. */
export async function recordFailure(session: Session | undefined, test: Mocha.Test | undefined): Promise<void> {
  if (!session || !test || test.state !== 'failed') return;
  const name = `FAILED-${test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
  const file = await session.screenshot(name).catch(() => undefined);
  console.log(`    screenshot: ${file ? path.relative(REPO, file) : '(none)'}; logs in ${path.relative(REPO, session.resultsDir)}/`);
  const lines = session.consoleLines().filter((line) => /error|warn|Token Hub/i.test(line)).slice(-10);
  if (lines.length > 0) console.log(`    last browser console lines:\n      ${lines.join('\n      ')}`);
}
