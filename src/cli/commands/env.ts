// tokenhub env set NAME [--file .env] [--replace]: the extension's safe .env editor from the terminal.
import { command, group, parse } from '../command';
import { checkVariableName, describeWrite, gitWouldCommit, writeEnvVariable } from '../envFile';
import { EXIT_CODES_HELP, UsageError } from '../errors';
import { askHidden, readAllStdin, stdinIsTerminal, withoutFinalNewline } from '../prompt';

const SET_HELP = `Usage: tokenhub env set NAME [--file FILE] [--replace]  < value

Sets NAME in a .env file to the value read from standard input (one final line end dropped), so a secret never
lands in the shell's history; on a terminal it asks for the value without echo. Uses the extension's editor: every
other byte of the file is kept, the value is quoted only when needed, and nothing is written unless dotenv reads the
edited file back with NAME set exactly and every other variable unchanged.

  printf %s "$SECRET" | tokenhub env set TOKENHUB_TOKEN --file .env

Options:
  --file FILE   the .env file (default .env; created when missing)
  --replace     replace NAME when it is already set to another value (else refused, exit code 5)
  -h, --help    show this help

${EXIT_CODES_HELP}`;

const set = command('env set', 'set a variable in a .env file, the value read from stdin', SET_HELP, async (argv) => {
  const { values, positionals } = parse(argv, { file: { type: 'string' }, replace: { type: 'boolean' } }, { min: 1, max: 1, missing: 'Name the variable to set, such as TOKENHUB_TOKEN.' });
  const target = { file: values.file || '.env', variable: positionals[0], replace: values.replace === true };
  checkVariableName(target.variable, 'Variable');
  const value = stdinIsTerminal() ? await askHidden(`Value for ${target.variable} (not shown): `) : withoutFinalNewline(await readAllStdin());
  if (value === '') throw new UsageError(`No value was given for ${target.variable} on standard input.`);
  const result = await writeEnvVariable(target, value);
  process.stdout.write(`${describeWrite(target, result)}\n`);
  if (result.action !== 'unchanged' && (await gitWouldCommit(target.file))) {
    process.stderr.write(`Warning: git does not ignore ${target.file}; add it to .gitignore so the secret is not committed.\n`);
  }
});

export const env = group('env', 'set a variable in a .env file safely', { set });
