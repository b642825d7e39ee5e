// The CLI's commands (issue 9) as rows for the dispatcher table of src/hub/cli.ts: a summary, and the module loaded
// only when its command runs (so the hub's own commands do not pay for the client). Each command parses its own
// arguments, prints one sentence on stderr on failure and returns its exit code (docs/cli.md).
import type { CliCommand } from './command';

export interface CliEntry {
  summary: string;
  load(): Promise<CliCommand>;
}

export const CLI_COMMANDS: Record<string, CliEntry> = {
  login: { summary: 'sign in to a hub with an account key and remember it', load: async () => (await import('./commands/auth')).login },
  logout: { summary: 'forget the stored credentials', load: async () => (await import('./commands/auth')).logout },
  whoami: { summary: 'show the workspace, hub and credentials in use', load: async () => (await import('./commands/auth')).whoami },
  tokens: { summary: 'list, create, delete and rotate access tokens', load: async () => (await import('./commands/tokens')).tokens },
  env: { summary: 'set a variable in a .env file safely', load: async () => (await import('./commands/env')).env },
};
