// Running code-server: a free loopback port, its own user-data and extensions folders, quiet settings, and waiting
// until it answers HTTP.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensureCodeServer, tail } from './install';
import type { CodeServerInstall } from './paths';
import { killTree, sleep } from './processTree';

/** The settings every test or demo instance starts with: no welcome page, walkthrough, trust prompt, telemetry… */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'git.openRepositoryInParentFolders': 'never',
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
};

export interface StartOptions {
  /** The folder opened as the workspace. */
  folder: string;
  /** Defaults to a fresh temporary folder (removed by stop()). */
  userDataDir?: string;
  /** Defaults to a fresh temporary folder (removed by stop()). */
  extensionsDir?: string;
  /** Added to code-server's environment, which the extension host inherits. */
  env?: Record<string, string | undefined>;
  /** User settings written over QUIET_SETTINGS into <userDataDir>/User/settings.json. */
  settings?: Record<string, unknown>;
  /** Where code-server's output goes (default: a file in its temporary folder). */
  logFile?: string;
  /** Also echo code-server's output to stderr. */
  verbose?: boolean;
  /** How long to wait for code-server to answer HTTP (default 60 s). */
  startTimeoutMs?: number;
  /** The port to try first (the demo's, so the browser keeps its storage for that origin); a free one after. */
  preferredPort?: number;
  install?: CodeServerInstall;
  /** Workspace Trust on, the folder left untrusted (Restricted Mode); off by default. */
  restricted?: boolean;
}

export interface RunningCodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  process: ChildProcess;
  /** Kills code-server and every process it started, and removes the temporary folders. Idempotent. */
  stop(): Promise<void>;
}

/** true when nothing listens on 127.0.0.1:port now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Environment variables of an enclosing VS Code or npm that must not leak into the server or extension host. */
function serverEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(key) || /^npm_/i.test(key)) continue;
    env[key] = value;
  }
  // No extension gallery: open-vsx.org cannot be reached here, and a test should not depend on it. (code-server reads
  // EXTENSIONS_GALLERY as JSON; `{}` has no serviceUrl, so the workbench never asks one.)
  env.EXTENSIONS_GALLERY ??= '{}';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function writeSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // none yet (or not plain JSON): ours replaces it
  }
  fs.writeFileSync(file, `${JSON.stringify({ ...QUIET_SETTINGS, ...existing, ...settings }, null, 2)}\n`);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/**
 * Starts code-server on a free 127.0.0.1 port with its own user-data and extensions folders, no auth, no telemetry,
 * no update check, no workspace trust (unless `restricted`), and waits until it answers HTTP.
 */
export async function startCodeServer(options: StartOptions): Promise<RunningCodeServer> {
  const install = options.install ?? ensureCodeServer();
  const folder = path.resolve(options.folder);
  if (!fs.existsSync(folder)) throw new Error(`startCodeServer: the folder ${folder} does not exist`);
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-code-server-'));
  const userDataDir = path.resolve(options.userDataDir ?? path.join(tempRoot, 'user-data'));
  const extensionsDir = path.resolve(options.extensionsDir ?? path.join(tempRoot, 'extensions'));
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  // Restricted Mode: trust enabled and never asked for, so the folder stays untrusted.
  writeSettings(userDataDir, { ...(options.restricted ? { 'security.workspace.trust.enabled': true } : {}), ...options.settings });
  const logFile = path.resolve(options.logFile ?? path.join(tempRoot, 'code-server.log'));
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // Its own config file, so that code-server does not write ~/.config/code-server/config.yaml.
  const configFile = path.join(tempRoot, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = attempt === 1 && options.preferredPort && (await portIsFree(options.preferredPort)) ? options.preferredPort : await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = [
      install.entry,
      '--config', configFile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.restricted ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      folder,
    ];
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `\n--- ${new Date().toISOString()} ${process.execPath} ${args.join(' ')}\n`);
    const child = spawn(process.execPath, args, {
      cwd: folder,
      // Its heartbeat and coder-logs go to $XDG_DATA_HOME/code-server: in the temporary folder, not in ~/.local/share.
      env: serverEnv({ XDG_DATA_HOME: path.join(tempRoot, 'data'), ...options.env }),
      detached: true, // its own process group, so that stop() reaches the extension host and the pty host too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      output = (output + chunk.toString('utf8')).slice(-20_000);
      if (options.verbose) process.stderr.write(chunk);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let exited: string | undefined;
    child.on('exit', (code, sig) => {
      exited = `exit ${code ?? sig}`;
    });
    child.on('close', () => fs.closeSync(log));

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        if (child.pid !== undefined && exited === undefined) await killTree(child.pid);
        else if (child.pid !== undefined) await killTree(child.pid, 0);
        fs.rmSync(tempRoot, { recursive: true, force: true });
      })());

    const deadline = Date.now() + startTimeoutMs;
    while (exited === undefined && Date.now() < deadline) {
      const status = await httpStatus(`${url}/healthz`);
      if (status === 200) {
        return { url, port, folder, userDataDir, extensionsDir, logFile, process: child, stop };
      }
      await sleep(200);
    }
    if (child.pid !== undefined) await killTree(child.pid, 1000);
    lastError = new Error(
      exited !== undefined
        ? `code-server exited before answering (${exited}); its output:\n${tail(output, 40)}`
        : `code-server did not answer ${url}/healthz within ${startTimeoutMs} ms; its output:\n${tail(output, 40)}`,
    );
    if (!/EADDRINUSE/.test(output)) break; // another process took the port: try another one, otherwise give up
  }
  fs.rmSync(tempRoot, { recursive: true, force: true });
  throw lastError ?? new Error('code-server did not start');
}
