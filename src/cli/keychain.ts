// The operating system's keychain, when there is one: `secret-tool` (libsecret, over the D-Bus session) on Linux and
// other Unix desktops, `security` on macOS. Detected per run; every failure is reported so the caller can fall back
// to the credentials file. The key goes to the tool on stdin, never on its command line (visible in `ps`).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface Keychain {
  /** How `whoami` and `login` name it: "the keychain (secret-tool)". */
  readonly description: string;
  store(url: string, key: string): Promise<void>;
  /** The key stored for this hub URL, or null when there is none. */
  lookup(url: string): Promise<string | null>;
  remove(url: string): Promise<void>;
}

const SERVICE = 'tokenhub';
const TIMEOUT_MS = 15_000;

/**
 * The keychain to use, or null for the credentials file. `TOKENHUB_KEYCHAIN=none` forces the file
 * (CI, containers); on Linux secret-tool is used only when it is on PATH and a D-Bus session bus is announced.
 */
export function detectKeychain(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Keychain | null {
  const choice = (env.TOKENHUB_KEYCHAIN ?? 'auto').toLowerCase();
  if (choice === 'none' || choice === 'off' || choice === 'file') return null;
  if (platform === 'win32') return null;
  if (platform === 'darwin') {
    const security = findOnPath('security', env) ?? (isExecutable('/usr/bin/security') ? '/usr/bin/security' : null);
    return security ? macKeychain(security) : null;
  }
  const secretTool = findOnPath('secret-tool', env);
  if (!secretTool || !env.DBUS_SESSION_BUS_ADDRESS) return null;
  return secretToolKeychain(secretTool, env);
}

function secretToolKeychain(tool: string, env: NodeJS.ProcessEnv): Keychain {
  const attributes = (url: string) => ['service', SERVICE, 'url', url];
  return {
    description: 'the keychain (secret-tool)',
    async store(url, key) {
      const result = await runTool(tool, ['store', '--label', `Token Hub account key for ${url}`, ...attributes(url)], key, env);
      if (result.code !== 0) throw new Error(`secret-tool could not store the key (${result.reason})`);
    },
    async lookup(url) {
      const result = await runTool(tool, ['lookup', ...attributes(url)], '', env);
      if (result.code !== 0 || result.stdout === '') return null;
      return result.stdout.replace(/\r?\n$/, '');
    },
    async remove(url) {
      await runTool(tool, ['clear', ...attributes(url)], '', env);
    },
  };
}

function macKeychain(tool: string): Keychain {
  return {
    description: 'the macOS keychain (security)',
    async store(url, key) {
      // `security -i` reads the command from stdin, so the key never appears in a process listing.
      const line = `add-generic-password -U -s ${SERVICE} -a "${url}" -l "Token Hub" -w "${key}"\n`;
      const result = await runTool(tool, ['-i'], line, process.env);
      if (result.code !== 0 || /error/i.test(result.stderr)) throw new Error(`security could not store the key (${result.reason})`);
    },
    async lookup(url) {
      const result = await runTool(tool, ['find-generic-password', '-s', SERVICE, '-a', url, '-w'], '', process.env);
      if (result.code !== 0 || result.stdout === '') return null;
      return result.stdout.replace(/\r?\n$/, '');
    },
    async remove(url) {
      await runTool(tool, ['delete-generic-password', '-s', SERVICE, '-a', url], '', process.env);
    },
  };
}

interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** A short reason for a failure, for a message (never holds the key). */
  reason: string;
}

function runTool(tool: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (error) => resolve({ code: null, stdout, stderr, reason: (error as NodeJS.ErrnoException).code ?? 'could not start' }));
    child.on('close', (code, signal) => {
      const firstLine = stderr.trim().split('\n')[0] ?? '';
      const reason = signal ? `stopped by ${signal}` : firstLine ? firstLine.slice(0, 160) : `exit code ${code}`;
      resolve({ code, stdout, stderr, reason });
    });
  });
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
