// Talking to the person at the terminal: questions go to stderr (stdout is kept for results and secrets),
// answers come from stdin. A hidden answer (the account key, a secret value) is read in raw mode, never echoed.
import * as readline from 'readline';
import { CliError, EXIT } from './errors';

export function stdinIsTerminal(): boolean {
  return process.stdin.isTTY === true;
}

/** Everything on stdin, as text (for --key-stdin and `env set`). */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops one trailing line end, as `echo` and here-strings add one. */
export function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** One line typed at the terminal (echoed). */
export async function askLine(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () => reject(new CliError('Cancelled.', EXIT.usage)));
      // Settles nothing once answered (a promise settles once); keeps readline's own 'close' cleanup intact.
      rl.on('close', () => reject(new CliError('Cancelled: no answer was given.', EXIT.usage)));
      rl.question(question, resolve);
    });
  } finally {
    rl.close();
  }
}

/** One line typed at the terminal without echo (raw mode): for keys and secrets. */
export async function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode (no echo) before the question appears, so nothing typed in answer is ever echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let answer = '';
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            return resolve(answer);
          }
          if (char === '\u0003' || char === '\u0004') {
            stdin.off('data', onData);
            return reject(new CliError('Cancelled.', EXIT.usage));
          }
          if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
          else if (char >= ' ') answer += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** y/N on the terminal; anything but y or yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await askLine(`${question} [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Destructive commands ask first. Checked before anything is sent: --yes skips the question; without it a script
 * (stdin not a terminal) is refused with exit code 2 and a sentence saying to add --yes.
 */
export function ensureCanConfirm(yes: boolean | undefined, action: string): void {
  if (!yes && !stdinIsTerminal()) {
    throw new CliError(`Standard input is not a terminal, so no one can confirm; add --yes to ${action} from a script.`, EXIT.usage);
  }
}

/** Asks on the terminal unless --yes was given; "no" cancels with exit code 2 and nothing changed. */
export async function confirmOrCancel(yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!(await confirm(question))) throw new CliError('Cancelled; nothing was changed.', EXIT.usage);
}
