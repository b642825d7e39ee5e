// The code-server host: a real VS Code (1.100.3, served by code-server 4.100.3) that runs offline, used by
// `npm start`, by the extension-host tests (test/vscode) and by the end-to-end tests (test/e2e).
//
// - ensureCodeServer() installs code-server into .vscode-test/code-server (git-ignored) without code-server's own
//   postinstall (which downloads ripgrep from GitHub), doing by hand what that postinstall does.
// - startCodeServer() runs it on a free loopback port with its own user-data and extensions folders.
// - workbenchUrl() / openWorkbench() open the workbench in Debian's Chromium through playwright-core, optionally as an
//   extension development host (the repository's extension loaded from source) with extension tests.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const CODE_SERVER_VERSION = '4.100.3';
/** The VS Code version that code-server 4.100.3 serves. Later code-server versions need Node 22. */
export const VSCODE_VERSION = '1.100.3';

/** Native modules of VS Code's server that need a build against this Node (no prebuilt binaries are downloaded). */
const VSCODE_NATIVE_MODULES = ['kerberos', '@parcel/watcher', '@vscode/spdlog', 'native-watchdog', '@vscode/deviceid'];

// ---------------------------------------------------------------------------------------------------------------
// Paths

/** The repository root: the nearest folder above this file whose package.json is the token-hub one. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'token-hub') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the token-hub repository above ${__dirname}`);
    dir = parent;
  }
}

export interface CodeServerInstall {
  /** The folder where `npm install code-server` ran (.vscode-test/code-server). */
  installDir: string;
  /** node_modules/code-server inside it. */
  packageDir: string;
  /** The script to run with Node (code-server's `bin`). */
  entry: string;
  version: string;
}

function installPaths(installDir: string): CodeServerInstall {
  const packageDir = path.join(installDir, 'node_modules', 'code-server');
  return { installDir, packageDir, entry: path.join(packageDir, 'out', 'node', 'entry.js'), version: CODE_SERVER_VERSION };
}

export function defaultInstallDir(): string {
  return path.join(repoRoot(), '.vscode-test', 'code-server');
}

// ---------------------------------------------------------------------------------------------------------------
// Install

export interface EnsureOptions {
  installDir?: string;
  /** Reinstall even when the marker says it is installed. */
  force?: boolean;
  /** Where progress goes (default: stderr). */
  log?: (line: string) => void;
}

interface Marker {
  codeServer: string;
  node: string;
  modules: string;
  platform: string;
  arch: string;
}

function currentMarker(): Marker {
  return {
    codeServer: CODE_SERVER_VERSION,
    node: process.version,
    // Native modules are built for one Node ABI: another Node needs another build.
    modules: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
  };
}

function markerPath(installDir: string): string {
  return path.join(installDir, '.tokenhub-installed.json');
}

function isInstalled(install: CodeServerInstall): boolean {
  try {
    const marker = JSON.parse(fs.readFileSync(markerPath(install.installDir), 'utf8')) as Marker;
    const want = currentMarker();
    return (
      marker.codeServer === want.codeServer &&
      marker.modules === want.modules &&
      marker.platform === want.platform &&
      marker.arch === want.arch &&
      fs.existsSync(install.entry)
    );
  } catch {
    return false;
  }
}

/** npm's environment without the npm_* variables of an enclosing `npm run` (they would redirect a nested npm). */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // npm 11's allowScripts policy: `npm rebuild <name>` runs the named packages' scripts, with a warning, unless the
    // policy is strict (and `--allow-scripts` is refused in a project). verifyCodeServer() checks the result.
    npm_config_strict_allow_scripts: 'false',
    ...extra,
  };
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void, options: SpawnSyncOptions = {}): string {
  log(`  $ (cd ${path.relative(process.cwd(), cwd) || '.'} && ${command} ${args.join(' ')})`);
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: npmEnv(),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    throw new Error(
      `code-server install: \`${command} ${args.join(' ')}\` in ${cwd} failed ` +
        `(${result.error ? result.error.message : `exit ${result.status ?? result.signal}`}):\n${tail(output, 60)}`,
    );
  }
  return output;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

function symlink(target: string, linkPath: string): void {
  fs.rmSync(linkPath, { recursive: true, force: true });
  fs.symlinkSync(target, linkPath);
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Loads every native module code-server needs, in a separate Node, and runs ripgrep: throws with what is broken. */
export function verifyCodeServer(install: CodeServerInstall): void {
  const vscodeModules = path.join(install.packageDir, 'lib', 'vscode', 'node_modules');
  const checks: Array<[string, string]> = [
    ['kerberos', path.join(vscodeModules, 'kerberos')],
    ['@parcel/watcher', path.join(vscodeModules, '@parcel', 'watcher')],
    ['@vscode/spdlog', path.join(vscodeModules, '@vscode', 'spdlog')],
    ['native-watchdog', path.join(vscodeModules, 'native-watchdog')],
    ['@vscode/deviceid', path.join(vscodeModules, '@vscode', 'deviceid')],
    ['node-pty', path.join(vscodeModules, 'node-pty')],
    ['argon2', path.join(install.installDir, 'node_modules', 'argon2')],
  ];
  const script = `
    const failures = [];
    for (const [name, dir] of ${JSON.stringify(checks)}) {
      try { require(dir); } catch (error) { failures.push(name + ': ' + String(error && error.message || error).split('\\n')[0]); }
    }
    if (failures.length) { console.error(failures.join('\\n')); process.exit(1); }
  `;
  const problems: string[] = [];
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) problems.push(...String(result.stderr).trim().split('\n'));
  const ptyNode = path.join(vscodeModules, 'node-pty', 'build', 'Release', 'pty.node');
  if (!fs.existsSync(ptyNode)) problems.push(`node-pty: ${ptyNode} was not built`);
  const rg = path.join(vscodeModules, '@vscode', 'ripgrep', 'bin', 'rg');
  const rgResult = spawnSync(rg, ['--version'], { encoding: 'utf8' });
  if (rgResult.status !== 0) problems.push(`ripgrep: ${rg} does not run (${rgResult.error?.message ?? rgResult.stderr})`);
  if (problems.length > 0) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} in ${install.installDir} is incomplete:\n  ${problems.join('\n  ')}\n` +
        'Native modules build with node-gyp (python3, make, g++) and kerberos needs Debian\'s libkrb5-dev; ' +
        'ripgrep is copied from Debian\'s ripgrep (/usr/bin/rg). `bash .ci/run` installs them.',
    );
  }
}

function acquireLock(lockDir: string, log: (line: string) => void): () => void {
  const deadline = Date.now() + 15 * 60 * 1000;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // being written or removed
    }
    if (holder > 0 && !processAlive(holder)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`code-server install: timed out waiting for the lock ${lockDir}`);
    if (!told) {
      log(`waiting for another code-server install (pid ${holder || '?'}) to finish…`);
      told = true;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Installs code-server 4.100.3 into .vscode-test/code-server unless the marker says it is there (then: a few
 * milliseconds). Offline but for the npm registry: no download from GitHub. Throws loudly when a native module
 * did not build.
 */
export function ensureCodeServer(options: EnsureOptions = {}): CodeServerInstall {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const install = installPaths(path.resolve(options.installDir ?? defaultInstallDir()));
  if (!options.force && isInstalled(install)) return install;

  fs.mkdirSync(path.dirname(install.installDir), { recursive: true });
  const release = acquireLock(`${install.installDir}.lock`, log);
  try {
    if (!options.force && isInstalled(install)) return install; // another process just installed it
    const started = Date.now();
    log(`installing code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${install.installDir}…`);
    const rgSource = which('rg');
    if (!rgSource) throw new Error('code-server install: ripgrep (`rg`) is not on PATH: apt-get install ripgrep');

    fs.rmSync(install.installDir, { recursive: true, force: true });
    fs.mkdirSync(install.installDir, { recursive: true });
    fs.writeFileSync(
      path.join(install.installDir, 'package.json'),
      `${JSON.stringify({ name: 'tokenhub-code-server-host', private: true, description: 'git-ignored: see src/dev/codeServer.ts' }, null, 2)}\n`,
    );

    // 1. code-server itself, without its postinstall (it would download ripgrep from GitHub).
    run('npm', ['install', `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts'], install.installDir, log);

    // 2. What code-server's postinstall.sh does, by hand.
    const vscodeDir = path.join(install.packageDir, 'lib', 'vscode');
    run('npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir, log);
    run('npm', ['rebuild', ...VSCODE_NATIVE_MODULES], vscodeDir, log);
    // node-pty's own post-install runs `npx node-gyp`: npx must not stop to ask.
    run('npm', ['rebuild', 'node-pty'], vscodeDir, log, {
      env: npmEnv({ npm_config_yes: 'true' }),
    });
    const rgTarget = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    fs.mkdirSync(path.dirname(rgTarget), { recursive: true });
    fs.copyFileSync(rgSource, rgTarget);
    fs.chmodSync(rgTarget, 0o755);
    symlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
    symlink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
    symlink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
    run('npm', ['install', '--omit=dev', '--ignore-scripts'], path.join(vscodeDir, 'extensions'), log);
    // argon2 (password hashing) is hoisted to the top-level node_modules.
    run('npm', ['rebuild', 'argon2'], install.installDir, log);

    verifyCodeServer(install);
    fs.writeFileSync(markerPath(install.installDir), `${JSON.stringify(currentMarker(), null, 2)}\n`);
    log(`code-server ${CODE_SERVER_VERSION} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return install;
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Run

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every descendant of pid (Linux: read from /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone already
    }
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Kills a process, its process group and all its descendants (some of which may have left the group). */
export async function killTree(pid: number, graceMs = 5000): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // not a group leader or gone
  }
  signal(tree, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(processAlive)) await sleep(100);
  const left = [...tree, ...tree.flatMap((p) => (processAlive(p) ? descendants(p) : []))].filter(processAlive);
  if (left.length > 0) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    signal(left, 'SIGKILL');
  }
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

// ---------------------------------------------------------------------------------------------------------------
// Workbench in Chromium

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
