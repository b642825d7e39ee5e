// `npm start` (`node dist/dev.js start`): the demo, in one command.
//
// 1. A hub (`node dist/hub.js serve`) on 127.0.0.1:8787, or a free port when 8787 is taken, with its SQLite database
//    under .tokenhub/ in the repository (git-ignored), and the workspace `demo` with three endpoints: created on the
//    first run, reused after. The demo upstream (`node dist/dev.js upstream`, src/dev/upstream.ts) runs on a free
//    port behind `chat-completions` (server-sent events) and `embeddings` (JSON), so the gateway reaches a real
//    service; `moderation` keeps no upstream (invoke's stand-in only). `tokenhub init` prints a new account key each run; it stays in this process's memory
//    and in the environment of the VS Code it starts, never in a file or a log.
// 2. A demo folder, .tokenhub/demo-folder/: its own git repository (so the leak guard and "Add to .gitignore" have
//    something to judge) with a harmless .env that its .gitignore lists, a committed app.js to paste a token into,
//    and call.js (src/dev/demo/call.js), which calls the gateway with the token in .env and prints the streamed
//    answer, or says that the hub refused the token: create → insert → run → works → delete → refused.
// 3. VS Code with the extension loaded from this repository and TOKENHUB_URL / TOKENHUB_ACCOUNT_KEY set, so that it
//    connects on its own: the desktop `code` when it is on PATH, otherwise code-server (installed on demand into
//    .vscode-test/) whose workbench URL is printed for a browser. code-server keeps its user data under .tokenhub/ and
//    listens on the same port each run when it is free, so sign-ins, layout and sidebar width survive a restart.
//
// Ctrl+C stops what it started, and nothing else: code-server (with its process tree), the hub (SIGTERM, so it
// finishes requests in flight) and the upstream. A desktop VS Code window is the person's to close.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CODE_SERVER_VERSION, VSCODE_VERSION, ensureCodeServer, killTree, repoRoot, startCodeServer, workbenchUrl, type RunningCodeServer } from './codeServer';

export const DEMO_WORKSPACE = 'demo';
export const DEMO_ENDPOINTS = ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation=Moderation'];
/** The demo endpoints that have the demo upstream behind them (the gateway forwards to it). */
export const DEMO_UPSTREAM_ENDPOINTS = ['chat-completions', 'embeddings'];
export const DEFAULT_HUB_PORT = 8787;
export const DEFAULT_CODE_SERVER_PORT = 8788;

const USAGE = `usage: node dist/dev.js start [--code-server] [--port N]
  --code-server   use code-server in a browser even when the desktop \`code\` is on PATH
  --port N        the hub's port (default ${DEFAULT_HUB_PORT}; a free one is chosen when it is taken)`;

/** A one-line failure for the person: printed without a stack trace. */
export class StartError extends Error {}

interface StartArgs {
  forceCodeServer: boolean;
  port: number;
}

function parseStartArgs(argv: string[]): StartArgs {
  const args: StartArgs = { forceCodeServer: false, port: DEFAULT_HUB_PORT };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--code-server') args.forceCodeServer = true;
    else if (arg === '--port' || arg.startsWith('--port=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new StartError(`--port needs a port number from 1 to 65535\n${USAGE}`);
      args.port = Number(value);
    } else throw new StartError(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------------------------
// Files

export interface DemoPaths {
  repo: string;
  /** .tokenhub/ in the repository (git-ignored). */
  dataDir: string;
  db: string;
  hubLog: string;
  codeServerLog: string;
  /** code-server's user-data and extensions folders, kept between runs. */
  codeServerUserData: string;
  codeServerExtensions: string;
  folder: string;
}

export function demoPaths(repo = repoRoot()): DemoPaths {
  const dataDir = path.join(repo, '.tokenhub');
  return {
    repo,
    dataDir,
    db: path.join(dataDir, 'hub.db'),
    hubLog: path.join(dataDir, 'hub.log'),
    codeServerLog: path.join(dataDir, 'code-server.log'),
    codeServerUserData: path.join(dataDir, 'code-server', 'user-data'),
    codeServerExtensions: path.join(dataDir, 'code-server', 'extensions'),
    folder: path.join(dataDir, 'demo-folder'),
  };
}

const DEMO_ENV = `# The demo project of \`npm start\`: a .env like the one of any app.
# Token Hub writes access tokens in here (Create Access Token > Insert into .env,
# or Insert Token into .env on a token). The other lines stay as they are.
APP_NAME=token-hub-demo
LOG_LEVEL=info
`;

const DEMO_APP = `// A file git tracks. Paste a Token Hub token into it (Copy Token on a token of the Token Hub view) and the leak
// guard flags it in the Problems panel, with quick fixes: move it to .env, revoke it, or ignore it here.
const token = process.env.TOKENHUB_TOKEN;
console.log(token ? 'TOKENHUB_TOKEN is set.' : 'Insert a token into .env first: Insert into .env on a token of the Token Hub view.');
`;

/** The program that calls the gateway with the token in .env (a plain file of this repository, copied as it is). */
const DEMO_CALL = () => fs.readFileSync(path.join(repoRoot(), 'src', 'dev', 'demo', 'call.js'), 'utf8');

/**
 * Creates the demo folder on the first run, makes it a git repository when it is none yet (folders of older runs)
 * and adds call.js to a folder made before it existed; whatever the person wrote in it is left alone. Returns what it
 * did, for the summary, or undefined.
 */
export function ensureDemoFolder(paths: DemoPaths): string | undefined {
  const done: string[] = [];
  const file = (name: string) => path.join(paths.folder, name);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: paths.folder, encoding: 'utf8', timeout: 30_000 });
  const identity = ['-c', 'user.name=Token Hub demo', '-c', 'user.email=demo@tokenhub.invalid', '-c', 'commit.gpgsign=false'];
  const commit = (files: string[], message: string) => [git('add', '--', ...files), git(...identity, 'commit', '-q', '-m', message)];
  if (!fs.existsSync(paths.folder)) {
    fs.mkdirSync(paths.folder, { recursive: true });
    fs.writeFileSync(file('.env'), DEMO_ENV, { mode: 0o600 });
    fs.writeFileSync(file('.gitignore'), '.env\n');
    fs.writeFileSync(file('app.js'), DEMO_APP);
    fs.writeFileSync(file('call.js'), DEMO_CALL());
    done.push('created now, with a .env, a .gitignore, app.js and call.js');
  }
  if (!fs.existsSync(file('.git'))) {
    if (!fs.existsSync(file('app.js'))) fs.writeFileSync(file('app.js'), DEMO_APP);
    if (!fs.existsSync(file('call.js'))) fs.writeFileSync(file('call.js'), DEMO_CALL());
    const tracked = ['.gitignore', 'app.js', 'call.js'].filter((name) => fs.existsSync(file(name)));
    const steps = [git('init', '-q'), ...commit(tracked, 'The demo project of npm start')];
    const failed = steps.find((step) => step.error || step.status !== 0);
    if (failed) done.push(`not a git repository: git ${failed.error ? 'is not installed' : `failed (${String(failed.stderr).trim().split('\n')[0]})`}, so the leak guard cannot tell what git would commit`);
    else done.push(`a git repository with ${tracked.join(', ')} committed`);
  } else if (!fs.existsSync(file('call.js'))) {
    fs.writeFileSync(file('call.js'), DEMO_CALL());
    const failed = commit(['call.js'], 'call.js: calls the gateway with the token in .env').find((step) => step.error || step.status !== 0);
    done.push(failed ? 'call.js added (not committed: git failed)' : 'call.js added and committed');
  }
  return done.length > 0 ? done.join('; ') : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The hub

function hubBin(paths: DemoPaths): string {
  const bin = path.join(paths.repo, 'dist', 'hub.js');
  if (!fs.existsSync(bin)) throw new StartError(`${path.relative(process.cwd(), bin) || bin} is missing: run \`node esbuild.js\` (npm start does) first.`);
  return bin;
}

/** `tokenhub init`: the demo workspace and its endpoints (reused when they exist), and a new account key. */
export function initDemoWorkspace(paths: DemoPaths): { workspaceId: string; accountKey: string } {
  const args = [hubBin(paths), 'init', '--workspace', DEMO_WORKSPACE, ...DEMO_ENDPOINTS.flatMap((e) => ['--endpoint', e]), '--db', paths.db];
  const result = spawnSync(process.execPath, args, { cwd: paths.repo, encoding: 'utf8', timeout: 60_000 });
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? (String(result.stderr).trim().split('\n')[0] || `exit ${result.status ?? result.signal}`);
    throw new StartError(`could not set up the demo workspace in ${path.relative(paths.repo, paths.db)}: ${reason}`);
  }
  try {
    const parsed = JSON.parse(String(result.stdout).trim().split('\n').at(-1) ?? '') as { workspaceId?: unknown; accountKey?: unknown };
    if (typeof parsed.workspaceId === 'string' && typeof parsed.accountKey === 'string') {
      return { workspaceId: parsed.workspaceId, accountKey: parsed.accountKey };
    }
  } catch {
    // fall through: never echo what it printed (it holds the key)
  }
  throw new StartError('`tokenhub init` did not print {"workspaceId", "accountKey"} as expected.');
}

export interface RunningHub {
  url: string;
  port: number;
  process: ChildProcess;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>;
  /** SIGTERM (a graceful shutdown), SIGKILL after 15 s; resolves when it has exited. Idempotent. */
  stop(): Promise<string>;
}

/** Starts `tokenhub serve` on the port (0: any free one); rejects with `inUse` when the port is taken. */
function spawnHub(paths: DemoPaths, port: number): Promise<RunningHub | 'inUse'> {
  const log = fs.openSync(paths.hubLog, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} npm start: tokenhub serve --port ${port}\n`);
  const child = spawn(process.execPath, [hubBin(paths), 'serve', '--host', '127.0.0.1', '--port', String(port), '--db', paths.db], {
    cwd: paths.repo,
    // Its own process group: the terminal's Ctrl+C reaches only us, and we send the hub one SIGTERM (a second signal
    // would make it exit at once instead of finishing requests in flight).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let closed = false;
  const onData = (chunk: Buffer) => {
    if (!closed) fs.writeSync(log, chunk);
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<string>((resolve) => {
    child.once('close', (code, sig) => {
      closed = true;
      fs.closeSync(log);
      resolve(code !== null ? `exit code ${code}` : `signal ${sig}`);
    });
  });
  let stopped: Promise<string> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const how = await exited;
      clearTimeout(timer);
      return how;
    })());

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new StartError(`the hub did not start within 30 s; see ${path.relative(process.cwd(), paths.hubLog)}`));
    }, 30_000);
    const onListening = () => {
      const match = /Token Hub listening on (http:\/\/[^\s]+:(\d+))/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onListening);
      resolve({ url: match[1]!, port: Number(match[2]), process: child, exited, stop });
    };
    child.stdout!.on('data', onListening);
    void exited.then((how) => {
      clearTimeout(timer);
      if (/already in use/.test(output)) return resolve('inUse');
      const line = output.trim().split('\n').filter((l) => !l.startsWith('{')).at(-1) ?? how;
      reject(new StartError(`the hub stopped before it listened (${how}): ${line}`));
    });
  });
}

/** The demo upstream (`node dist/dev.js upstream`) on a free loopback port; its output goes to .tokenhub/upstream.log. */
function startDemoUpstream(paths: DemoPaths): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const logFile = path.join(paths.dataDir, 'upstream.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(paths.repo, 'dist', 'dev.js'), 'upstream', '--port', '0'], {
    cwd: paths.repo,
    detached: true, // as the hub: Ctrl+C reaches only us, and we stop it
    stdio: ['ignore', 'pipe', log],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => fs.closeSync(log));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new StartError(`the demo upstream did not start within 30 s; see ${path.relative(process.cwd(), logFile)}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /Upstream listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: match[1]!, process: child, stop });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new StartError(`the demo upstream stopped before it listened; see ${path.relative(process.cwd(), logFile)}`));
    });
  });
}

/** Points the demo endpoints that have an upstream at this run's (its port changes from run to run). */
function setDemoUpstreams(paths: DemoPaths, url: string): void {
  for (const id of DEMO_UPSTREAM_ENDPOINTS) {
    const args = [hubBin(paths), 'endpoint', 'set-upstream', '--workspace', DEMO_WORKSPACE, '--id', id, url, '--db', paths.db];
    const result = spawnSync(process.execPath, args, { cwd: paths.repo, encoding: 'utf8', timeout: 60_000 });
    if (result.error || result.status !== 0) {
      const reason = result.error?.message ?? (String(result.stderr).trim().split('\n')[0] || `exit ${result.status ?? result.signal}`);
      throw new StartError(`could not set the upstream of the demo endpoint ${id}: ${reason}`);
    }
  }
}

async function startDemoHub(paths: DemoPaths, port: number): Promise<{ hub: RunningHub; note?: string }> {
  const first = await spawnHub(paths, port);
  if (first !== 'inUse') return { hub: first };
  const other = await spawnHub(paths, 0);
  if (other === 'inUse') throw new StartError('the hub could not find a free port on 127.0.0.1');
  return { hub: other, note: `port ${port} is taken (another program, or another npm start), so the hub listens on ${other.port} instead` };
}

// ---------------------------------------------------------------------------------------------------------------
// VS Code

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Opens a window of the desktop VS Code with the extension from source; the `code` launcher returns at once. */
function openDesktopCode(code: string, paths: DemoPaths, env: Record<string, string>): void {
  const result = spawnSync(code, [`--extensionDevelopmentPath=${paths.repo}`, '--new-window', paths.folder], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? (String(result.stderr).trim().split('\n')[0] || `exit ${result.status ?? result.signal}`);
    throw new StartError(`\`${code}\` could not open VS Code: ${reason} (run with --code-server to use a browser instead)`);
  }
}

async function startDemoCodeServer(paths: DemoPaths, env: Record<string, string>): Promise<RunningCodeServer> {
  let install;
  try {
    install = ensureCodeServer({ log: (line) => console.log(`  ${line}`) });
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new StartError(
      `code-server ${CODE_SERVER_VERSION} could not be installed into .vscode-test/: ${first} ` +
        '(`node dist/dev.js install-code-server` shows the whole output; or put the desktop `code` on PATH)',
    );
  }
  try {
    return await startCodeServer({
      folder: paths.folder,
      env,
      logFile: paths.codeServerLog,
      install,
      userDataDir: paths.codeServerUserData,
      extensionsDir: paths.codeServerExtensions,
      preferredPort: DEFAULT_CODE_SERVER_PORT,
    });
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new StartError(`code-server did not start: ${first} (see ${path.relative(process.cwd(), paths.codeServerLog)})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The command

export async function runStart(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseStartArgs(argv);
  const paths = demoPaths();
  const shown = (file: string) => path.relative(process.cwd(), file) || '.';

  let hub: RunningHub | undefined;
  let upstream: Awaited<ReturnType<typeof startDemoUpstream>> | undefined;
  let server: RunningCodeServer | undefined;
  let endWith: (end: { why: string; code: number }) => void = () => undefined;
  const waitForEnd = new Promise<{ why: string; code: number }>((resolve) => (endWith = resolve));
  let interrupted = false;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = true;
    if (++signals === 1) return endWith({ why: sig === 'SIGINT' ? 'Ctrl+C' : sig, code: 0 });
    // A second Ctrl+C while stopping: no more waiting.
    console.log(`${sig} again: killing ${server ? 'code-server and ' : ''}the hub at once`);
    hub?.process.kill('SIGKILL');
    upstream?.process.kill('SIGKILL');
    if (server?.process.pid !== undefined) void killTree(server.process.pid, 0);
    setTimeout(() => process.exit(130), 200);
  };
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of SIGNALS) process.on(sig, onSignal);
  // Should this process end without cleaning up (an uncaught error), the hub must not outlive it.
  const lastResort = () => {
    if (hub && hub.process.exitCode === null && hub.process.signalCode === null) hub.process.kill('SIGTERM');
    if (upstream && upstream.process.exitCode === null && upstream.process.signalCode === null) upstream.process.kill('SIGTERM');
  };
  process.on('exit', lastResort);

  let stopping: Promise<void> | undefined;
  const stopAll = (why: string) =>
    (stopping ??= (async () => {
      if (!server && !hub && !upstream) return;
      console.log(`\n${why}: stopping what npm start started…`);
      if (server) {
        await server.stop();
        console.log('  code-server stopped');
      }
      if (hub) console.log(`  hub stopped (${await hub.stop()})`);
      if (upstream) {
        await upstream.stop();
        console.log('  demo upstream stopped');
      }
    })());

  try {
    fs.mkdirSync(paths.dataDir, { recursive: true });
    const folderNote = ensureDemoFolder(paths);
    const firstRun = !fs.existsSync(paths.db);
    const { workspaceId, accountKey } = initDemoWorkspace(paths);
    upstream = await startDemoUpstream(paths);
    setDemoUpstreams(paths, upstream.url);
    const started = await startDemoHub(paths, args.port);
    hub = started.hub;
    void hub.exited.then((how) => endWith({ why: `the hub exited on its own (${how}; see ${shown(paths.hubLog)})`, code: 1 }));

    const env = { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: accountKey };
    const endpoints = DEMO_ENDPOINTS.map((e) => e.split('=')[0]).join(', ');
    const lines = [
      '',
      'Token Hub demo',
      `  hub        ${hub.url}   (tokenhub serve, pid ${hub.process.pid}; log ${shown(paths.hubLog)})`,
      ...(started.note ? [`             note: ${started.note}`] : []),
      `  database   ${shown(paths.db)} (SQLite${firstRun ? ', created now' : ''})`,
      `  workspace  ${DEMO_WORKSPACE} (${workspaceId}): ${endpoints}; a new account key for this run, kept in memory only`,
      `  upstream   ${upstream.url}   (the demo service behind ${DEMO_UPSTREAM_ENDPOINTS.join(' and ')}: ${hub.url}/v1/gateway/ID/… reaches it)`,
      `  folder     ${shown(paths.folder)}${folderNote ? ` (${folderNote})` : ''}`,
      `  try it     create a token for chat-completions, Insert into .env, then run \`node call.js\` in the folder's terminal;`,
      `             delete the token and run it again: the hub refuses it`,
      // The key above lives in this process only: the CLI gets a key of its own.
      `  CLI        node ${shown(path.join(paths.repo, 'dist', 'hub.js'))} account-key create --workspace ${DEMO_WORKSPACE} --db ${shown(paths.db)}   (prints a key),`,
      `             then node ${shown(path.join(paths.repo, 'dist', 'hub.js'))} login --url ${hub.url}   (asks for it)`,
    ];
    const code = args.forceCodeServer ? undefined : which('code');
    if (code) {
      openDesktopCode(code, paths, env);
      console.log(
        [
          ...lines,
          `  VS Code    a new window of ${code} with the extension from ${shown(paths.repo)}, connected to the hub`,
          '',
          'Ctrl+C stops the hub and the demo upstream. The VS Code window is yours to close (npm start only asked `code` to open it).',
        ].join('\n'),
      );
    } else if (!interrupted) {
      console.log([...lines, `  VS Code    no \`code\` on PATH: starting code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION})…`].join('\n'));
      server = await startDemoCodeServer(paths, env);
      server.process.once('exit', (exitCode, sig) =>
        endWith({ why: `code-server exited on its own (${exitCode ?? sig}; see ${shown(paths.codeServerLog)})`, code: 1 }),
      );
      const url = workbenchUrl(server, { extensionDevelopmentPath: paths.repo });
      console.log(
        [
          `             code-server ${server.url} (pid ${server.process.pid}; log ${shown(server.logFile)}; user data kept in ${shown(paths.codeServerUserData)})`,
          '',
          'Open VS Code in your browser (the extension is loaded from this repository and connects to the hub on its own):',
          '',
          `  ${url}`,
          '',
          'Ctrl+C stops the hub, the demo upstream and code-server, and nothing else.',
        ].join('\n'),
      );
    }
    const end = await waitForEnd;
    await stopAll(end.why);
    return end.code;
  } catch (error) {
    await stopAll('error');
    throw error;
  } finally {
    process.removeListener('exit', lastResort);
    for (const sig of SIGNALS) process.removeListener(sig, onSignal);
  }
}
