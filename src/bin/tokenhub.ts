// The tokenhub binary (bundled to dist/hub.js): the one root above the hub's operator commands (src/hub/commands)
// and the client commands (src/cli). One dispatcher table of loaders: a command's module loads only when it runs, so
// `tokenhub init` does not pay for fastify; each command owns its summary, read for the usage listing. Exit codes:
// 0 ok, 1 runtime failure (one line on stderr), 2 usage error.
import { OperatorUsageError } from '../hub/operatorUsageError';

/** What every command is, the hub's and the client's alike. */
interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('../hub/commands/serve')).serve,
  init: async () => (await import('../hub/commands/admin')).init,
  endpoint: async () => (await import('../hub/commands/admin')).endpoint,
  'account-key': async () => (await import('../hub/commands/admin')).accountKey,
  'service-key': async () => (await import('../hub/commands/admin')).serviceKey,
  openapi: async () => (await import('../hub/commands/openapi')).openapi,
  scan: async () => (await import('../cli/scan')).scan,
  // The client side (docs/cli.md).
  login: async () => (await import('../cli/commands/auth')).login,
  logout: async () => (await import('../cli/commands/auth')).logout,
  whoami: async () => (await import('../cli/commands/auth')).whoami,
  tokens: async () => (await import('../cli/commands/tokens')).tokens,
  env: async () => (await import('../cli/commands/env')).env,
};

async function usage(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(width)}  ${(await load()).summary}`),
  );
  return `Usage: tokenhub <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "tokenhub <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`tokenhub: unknown command "${name}".\n${await usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (error) {
    if (error instanceof OperatorUsageError) {
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
