// The workbench in Debian's Chromium through playwright-core, optionally as an extension development host (the
// repository's extension loaded from source) with extension tests.
import * as fs from 'fs';
import * as path from 'path';
import type { RunningCodeServer } from './launch';

export interface WorkbenchUrlOptions {
  /** The workspace folder (default: the folder code-server was started with). */
  folder?: string;
  /** An absolute path on this machine: the extension loaded from source (e.g. the repository). */
  extensionDevelopmentPath?: string;
  /** An absolute path on this machine to a module exporting run(): Promise<void>, run in the extension host. */
  extensionTestsPath?: string;
}

/** vscode-remote://127.0.0.1:PORT/abs/path: how the workbench names a path on the code-server's machine. */
export function remoteUri(server: Pick<RunningCodeServer, 'port'>, absolutePath: string): string {
  const posix = path.resolve(absolutePath).split(path.sep).join('/');
  return `vscode-remote://127.0.0.1:${server.port}${encodeURI(posix.startsWith('/') ? posix : `/${posix}`)}`;
}

/**
 * The workbench URL: `folder=` for the workspace, and a `payload` (URL-encoded JSON list of [key, value]) with
 * extensionDevelopmentPath and, for tests, extensionTestsPath. While extensionTestsPath is set, VS Code refuses
 * modal dialogs ("DialogService: refused to show dialog in tests").
 */
export function workbenchUrl(server: Pick<RunningCodeServer, 'url' | 'port' | 'folder'>, options: WorkbenchUrlOptions = {}): string {
  const params = new URLSearchParams();
  params.set('folder', path.resolve(options.folder ?? server.folder));
  const payload: Array<[string, string]> = [];
  if (options.extensionDevelopmentPath) {
    payload.push(['extensionDevelopmentPath', remoteUri(server, options.extensionDevelopmentPath)]);
  }
  if (options.extensionTestsPath) {
    payload.push(['extensionTestsPath', remoteUri(server, options.extensionTestsPath)]);
  }
  if (payload.length > 0) params.set('payload', JSON.stringify(payload));
  return `${server.url}/?${params.toString().replace(/\+/g, '%20')}`;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface OpenWorkbenchOptions extends WorkbenchUrlOptions {
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Every browser console message and page error is appended here. */
  consoleLogFile?: string;
  /** Called with every console line (e.g. to watch for a message). */
  onConsole?: (line: string) => void;
  /** Wait until the workbench has rendered (default true). */
  waitForWorkbench?: boolean;
  timeoutMs?: number;
}

// playwright-core's types, loaded lazily so that `dist/dev.js install-code-server` does not need it.
type Playwright = typeof import('playwright-core');
export type Browser = Awaited<ReturnType<Playwright['chromium']['launch']>>;
export type Page = Awaited<ReturnType<Browser['newPage']>>;

export interface OpenedWorkbench {
  url: string;
  browser: Browser;
  page: Page;
  /** Closes the browser (idempotent). */
  close(): Promise<void>;
}

/** Launches Debian's Chromium with the flags this machine needs. */
export async function launchChromium(headless = true): Promise<Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as Playwright;
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: apt-get install chromium (\`bash .ci/run\` does)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless, args: [...CHROMIUM_ARGS] });
}

/** Opens the workbench of a running code-server in Chromium, as an extension development host if asked. */
export async function openWorkbench(server: RunningCodeServer, options: OpenWorkbenchOptions = {}): Promise<OpenedWorkbench> {
  const url = workbenchUrl(server, options);
  const browser = await launchChromium(options.headless ?? true);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= browser.close().catch(() => undefined));
  try {
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const logFd = options.consoleLogFile ? openAppend(options.consoleLogFile) : undefined;
    const record = (line: string) => {
      if (logFd !== undefined) {
        try {
          fs.writeSync(logFd, `${new Date().toISOString()} ${line}\n`);
        } catch {
          // closed
        }
      }
      options.onConsole?.(line);
    };
    page.on('console', (message) => record(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => record(`[pageerror] ${error.stack ?? error.message}`));
    page.on('crash', () => record('[crash] the page crashed'));
    page.on('response', (response) => {
      if (response.status() >= 400) record(`[http ${response.status()}] ${response.url()}`);
    });
    page.on('requestfailed', (request) => record(`[requestfailed] ${request.url()}: ${request.failure()?.errorText ?? ''}`));
    browser.on('disconnected', () => {
      if (logFd !== undefined) fs.close(logFd, () => undefined);
    });
    const timeout = options.timeoutMs ?? 60_000;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    if (options.waitForWorkbench ?? true) await page.waitForSelector('.monaco-workbench', { timeout });
    return { url, browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function openAppend(file: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return fs.openSync(file, 'a');
}
