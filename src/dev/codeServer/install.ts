// Installing code-server offline into .vscode-test/code-server (git-ignored), without code-server's own postinstall
// (which downloads ripgrep from GitHub), doing by hand what that postinstall does; a marker says it is done.
import { spawnSync, type SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { acquireLock } from './lock';
import { CODE_SERVER_VERSION, VSCODE_VERSION, defaultInstallDir, installPaths, type CodeServerInstall } from './paths';

/** Native modules of VS Code's server that need a build against this Node (no prebuilt binaries are downloaded). */
const VSCODE_NATIVE_MODULES = ['kerberos', '@parcel/watcher', '@vscode/spdlog', 'native-watchdog', '@vscode/deviceid'];

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

/** The last lines of a command's output, for an error message. */
export function tail(text: string, lines: number): string {
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
