// What every CLI command is (the same shape as the hub's own subcommands, so src/bin/tokenhub.ts can list them in its
// dispatcher table), argument parsing with one-sentence usage errors, and the wrapper that turns any failure into
// one line on stderr and an exit code.
import { parseArgs, type ParseArgsConfig } from 'util';
import { EXIT, UsageError, exitCodeOf, messageOf } from './errors';

export interface CliCommand {
  summary: string;
  /** Returns the exit code; never throws. */
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs (strict), with `-h/--help` added and its errors turned into UsageError. */
export function parse<O extends Options>(argv: string[], options: O, positionals: { min?: number; max?: number; missing?: string } = {}) {
  const config = { args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    if (argv.some((arg) => arg === '--env-file' || arg.startsWith('--env-file='))) {
      throw new UsageError('Use --dotenv FILE to name the .env file: Node.js 20 takes --env-file for itself.');
    }
    const message = (error as Error).message.split('\n')[0];
    const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`${ambiguous[1]} needs a value; write ${ambiguous[1]}=VALUE for a value that starts with "-".`);
    // parseArgs explains "--" after its first sentence; the first sentence is the one a person needs.
    throw new UsageError(message.replace(/\. .*$/, '.'));
  }
  if (!(parsed.values as { help?: boolean }).help) {
    const count = parsed.positionals.length;
    const max = positionals.max ?? 0;
    if (count > max) throw new UsageError(`Unexpected argument "${parsed.positionals[max]}".`);
    if (count < (positionals.min ?? 0)) throw new UsageError(positionals.missing ?? 'A required argument is missing.');
  }
  return parsed;
}

export function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

/** A command that prints `help` for -h/--help and reports failures as "tokenhub <name>: <sentence>". */
export function command(name: string, summary: string, help: string, body: (argv: string[]) => Promise<number | void>): CliCommand {
  return {
    summary,
    async run(argv) {
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(help);
        return EXIT.ok;
      }
      try {
        return (await body(argv)) ?? EXIT.ok;
      } catch (error) {
        const code = exitCodeOf(error);
        const hint = code === EXIT.usage && error instanceof UsageError ? `\nRun "tokenhub ${name} --help" for usage.` : '';
        process.stderr.write(`tokenhub ${name}: ${messageOf(error)}${hint}\n`);
        return code;
      }
    },
  };
}

/** A command with subcommands (`tokens list`, `env set`): dispatches on the first argument. */
export function group(name: string, summary: string, subcommands: Record<string, CliCommand>): CliCommand {
  const width = Math.max(...Object.keys(subcommands).map((sub) => sub.length));
  const help =
    `Usage: tokenhub ${name} <command> [options]\n\nCommands:\n` +
    Object.entries(subcommands)
      .map(([sub, cmd]) => `  ${sub.padEnd(width)}  ${cmd.summary}`)
      .join('\n') +
    `\n\nRun "tokenhub ${name} <command> --help" for a command's options.\n`;
  return {
    summary,
    async run(argv) {
      const [sub, ...rest] = argv;
      if (sub === '--help' || sub === '-h' || sub === 'help') {
        process.stdout.write(help);
        return EXIT.ok;
      }
      const target = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
      if (!target) {
        process.stderr.write(`tokenhub ${name}: ${sub === undefined ? 'a command is missing' : `unknown command "${sub}"`}.\n${help}`);
        return EXIT.usage;
      }
      return target.run(rest);
    },
  };
}
