// The tokenhub command line (bundled to dist/hub.js). One dispatcher table: each command group lives in its own
// module and is a row here, either eager ({summary, run}) or lazy ({summary, load}: the module loads only when its
// command runs, so `tokenhub init` does not pay for fastify). Exit codes: 0 ok, 1 runtime failure (one line on
// stderr), 2 usage error.
import { CLI_COMMANDS } from '../cli';
import { UsageError, type Command } from './commands/common';

export type CommandEntry = { summary: string } & (Command | { load(): Promise<Command> });

export const COMMANDS: Record<string, CommandEntry> = {
  serve: { summary: 'run the server', load: async () => (await import('./commands/serve')).serve },
  init: {
    summary: 'create or reuse a workspace, add endpoints, print a new account key',
    load: async () => (await import('./commands/admin')).init,
  },
  endpoint: { summary: 'add or list the endpoints of a workspace', load: async () => (await import('./commands/admin')).endpoint },
  'account-key': { summary: 'create, list or revoke account keys', load: async () => (await import('./commands/admin')).accountKey },
  'service-key': {
    summary: 'create or revoke service keys (POST /v1/verify, for a platform\'s own gateway)',
    load: async () => (await import('./commands/admin')).serviceKey,
  },
  openapi: { summary: 'print the OpenAPI document of the hub API', load: async () => (await import('./commands/openapi')).openapi },
  scan: { summary: 'look for Token Hub secrets in files (a pre-commit check)', load: async () => (await import('../cli/scan')).scan },
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
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`tokenhub: unknown command "${name}".\n${usage()}`);
    return 2;
  }
  try {
    const command = 'load' in entry ? await entry.load() : entry;
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

/**
 * `npm run hub -- …` runs this in the repository (npm's working directory for scripts), but the person typed the
 * command, and its relative paths (--dotenv .env, scan PATH, serve's .tokenhub/), in the folder they stand in: npm
 * passes it as INIT_CWD. Only for the `hub` script: a test or another script that runs this binary sets its own cwd.
 */
export function personsFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.npm_lifecycle_event === 'hub' && env.INIT_CWD ? env.INIT_CWD : undefined;
}

if (require.main === module) {
  const folder = personsFolder();
  if (folder) process.chdir(folder);
  main(process.argv.slice(2)).then(
    // Exit explicitly: a drained server must not linger on a stray handle.
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`tokenhub: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
