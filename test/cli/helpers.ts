// Running the tokenhub CLI as a real process (`node dist/hub.js …`) with a private config folder, optionally on a
// pseudo-terminal (util-linux `script`) to answer its prompts as a person would.
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { HUB_BIN } from '../support/hub';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  /** The config folder (TOKENHUB_CONFIG_DIR) and a scratch folder for .env files. */
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/**
 * A private environment: its own TOKENHUB_CONFIG_DIR, no TOKENHUB_URL / TOKENHUB_ACCOUNT_KEY inherited, and the
 * keychain off unless asked for (a test must never write into the developer's real keychain).
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): CliEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-cli-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TOKENHUB_')) env[key] = value;
  Object.assign(env, { TOKENHUB_CONFIG_DIR: path.join(dir, 'config'), TOKENHUB_KEYCHAIN: 'none', NO_COLOR: '1' }, extra);
  return { dir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `node dist/hub.js ARGS` with `input` on stdin (a pipe, so not a terminal). */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUB_BIN, ...args], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

/**
 * Runs the CLI on a pseudo-terminal: each step waits until the transcript (everything the terminal showed after the
 * previous step) matches `expect`, then types `send`. Resolves to the exit code and the whole transcript.
 */
export function runInTerminal(
  args: string[],
  steps: Array<{ expect: RegExp; send: string }>,
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<{ code: number | null; transcript: string }> {
  const commandLine = [process.execPath, HUB_BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', commandLine, '/dev/null'], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let transcript = '';
    let seen = 0;
    let step = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const advance = () => {
      while (step < steps.length && steps[step].expect.test(transcript.slice(seen))) {
        seen = transcript.length;
        child.stdin.write(steps[step++].send);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      transcript += chunk;
      advance();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (transcript += chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, transcript });
    });
  });
}

export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}
