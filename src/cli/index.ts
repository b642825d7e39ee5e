// The CLI's commands (issue 9), as rows for the dispatcher table of src/hub/cli.ts: each one parses its own
// arguments, prints one sentence on stderr on failure and returns its exit code (docs/cli.md).
import { login, logout, whoami } from './commands/auth';
import { env } from './commands/env';
import { tokens } from './commands/tokens';
import type { CliCommand } from './command';

export const CLI_COMMANDS: Record<string, CliCommand> = { login, logout, whoami, tokens, env };
