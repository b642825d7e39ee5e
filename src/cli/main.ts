// A stand-alone entry for the CLI's commands alone (development and tests before they are in src/hub/cli.ts's table).
import { CLI_COMMANDS } from './index';
import { EXIT, EXIT_CODES_HELP } from './errors';

function usage(): string {
  const width = Math.max(...Object.keys(CLI_COMMANDS).map((name) => name.length));
  const lines = Object.entries(CLI_COMMANDS).map(([name, cmd]) => `  ${name.padEnd(width)}  ${cmd.summary}`);
  return `Usage: tokenhub <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${EXIT_CODES_HELP}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const cmd = Object.hasOwn(CLI_COMMANDS, name) ? CLI_COMMANDS[name] : undefined;
  if (!cmd) {
    process.stderr.write(`tokenhub: unknown command "${name}".\n${usage()}`);
    return EXIT.usage;
  }
  return cmd.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
