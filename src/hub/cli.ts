// The tokenhub command line (bundled to dist/hub.js). One dispatcher table: each command group lives in its own
// module under commands/ and implements Command (commands/common.ts); to add one, import it and add a row.
// Exit codes: 0 ok, 1 runtime failure (one line on stderr), 2 usage error.
import { accountKey, endpoint, init } from './commands/admin';
import { UsageError, type Command } from './commands/common';
import { openapi } from './commands/openapi';
import { serve } from './commands/serve';
import { CLI_COMMANDS } from '../cli';

export const COMMANDS: Record<string, Command> = {
  serve,
  init,
  endpoint,
  'account-key': accountKey,
  openapi,
  // login, logout, whoami, tokens, env: the client side (src/cli, docs/cli.md).
  ...CLI_COMMANDS,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: tokenhub <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "tokenhub <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`tokenhub: unknown command "${name}".\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tokenhub ${name}: ${error.message}\nRun "tokenhub ${name} --help" for usage.\n`);
      return 2;
    }
    process.stderr.write(`tokenhub ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // Exit explicitly: a drained server must not linger on a stray handle.
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`tokenhub: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
