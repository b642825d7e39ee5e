// `npm start` (`node dist/dev.js start`): the demo, in one command.
//
// 1. A hub (`node dist/hub.js serve`) on 127.0.0.1:8787, or a free port when 8787 is taken, with its SQLite database
//    under .tokenhub/ in the repository (git-ignored), and the workspace `demo` with three endpoints: created on the
//    first run, reused after. `tokenhub init` prints a new account key each run; it stays in this process's memory
//    and in the environment of the VS Code it starts, never in a file or a log.
// 2. A demo folder, .tokenhub/demo-folder/: its own git repository (so the leak guard and "Add to .gitignore" have
//    something to judge) with a harmless .env that its .gitignore lists and a committed app.js to paste a token into.
// 3. VS Code with the extension loaded from this repository and TOKENHUB_URL / TOKENHUB_ACCOUNT_KEY set, so that it
//    connects on its own: the desktop `code` when it is on PATH, otherwise code-server (installed on demand into
//    .vscode-test/) whose workbench URL is printed for a browser. code-server keeps its user data under .tokenhub/ and
//    listens on the same port each run when it is free, so sign-ins, layout and sidebar width survive a restart.
//
// Ctrl+C stops what it started, and nothing else: code-server (with its process tree) and the hub (SIGTERM, so it
// finishes requests in flight). A desktop VS Code window is the person's to close.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CODE_SERVER_VERSION, VSCODE_VERSION, ensureCodeServer, killTree, repoRoot, startCodeServer, workbenchUrl, type RunningCodeServer } from './codeServer';

export const DEMO_WORKSPACE = 'demo';
export const DEMO_ENDPOINTS = ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation=Moderation'];
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

/**
 * Creates the demo folder on the first run, and makes it a git repository when it is none yet (folders of older
 * runs); whatever the person wrote in it is left alone. Returns what it did, for the summary, or undefined.
 */
export function ensureDemoFolder(paths: DemoPaths): string | undefined {
  const done: string[] = [];
  if (!fs.existsSync(paths.folder)) {
    fs.mkdirSync(paths.folder, { recursive: true });
    fs.writeFileSync(path.join(paths.folder, '.env'), DEMO_ENV, { mode: 0o600 });
    fs.writeFileSync(path.join(paths.folder, '.gitignore'), '.env\n');
    fs.writeFileSync(path.join(paths.folder, 'app.js'), DEMO_APP);
    done.push('created now, with a .env, a .gitignore and app.js');
  }
  if (!fs.existsSync(path.join(paths.folder, '.git'))) {
    if (!fs.existsSync(path.join(paths.folder, 'app.js'))) fs.writeFileSync(path.join(paths.folder, 'app.js'), DEMO_APP);
    const tracked = ['.gitignore', 'app.js'].filter((file) => fs.existsSync(path.join(paths.folder, file)));
    const git = (...args: string[]) => spawnSync('git', args, { cwd: paths.folder, encoding: 'utf8', timeout: 30_000 });
    const identity = ['-c', 'user.name=Token Hub demo', '-c', 'user.email=demo@tokenhub.invalid', '-c', 'commit.gpgsign=false'];
    const steps = [git('init', '-q'), git('add', '--', ...tracked), git(...identity, 'commit', '-q', '-m', 'The demo project of npm start')];
    const failed = steps.find((step) => step.error || step.status !== 0);
    if (failed) done.push(`not a git repository: git ${failed.error ? 'is not installed' : `failed (${String(failed.stderr).trim().split('\n')[0]})`}, so the leak guard cannot tell what git would commit`);
    else done.push(`a git repository with ${tracked.join(' and ')} committed`);
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
    if (server?.process.pid !== undefined) void killTree(server.process.pid, 0);
    setTimeout(() => process.exit(130), 200);
  };
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of SIGNALS) process.on(sig, onSignal);
  // Should this process end without cleaning up (an uncaught error), the hub must not outlive it.
  const lastResort = () => {
    if (hub && hub.process.exitCode === null && hub.process.signalCode === null) hub.process.kill('SIGTERM');
  };
  process.on('exit', lastResort);

  let stopping: Promise<void> | undefined;
  const stopAll = (why: string) =>
    (stopping ??= (async () => {
      if (!server && !hub) return;
      console.log(`\n${why}: stopping what npm start started…`);
      if (server) {
        await server.stop();
        console.log('  code-server stopped');
      }
      if (hub) console.log(`  hub stopped (${await hub.stop()})`);
    })());

  try {
    fs.mkdirSync(paths.dataDir, { recursive: true });
    const folderNote = ensureDemoFolder(paths);
    const firstRun = !fs.existsSync(paths.db);
    const { workspaceId, accountKey } = initDemoWorkspace(paths);
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
      `  folder     ${shown(paths.folder)}${folderNote ? ` (${folderNote})` : ''}`,
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
          'Ctrl+C stops the hub. The VS Code window is yours to close (npm start only asked `code` to open it).',
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
          'Ctrl+C stops the hub and code-server, and nothing else.',
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
