// Exit codes scripts can rely on, and the mapping of every failure to one of them with one sentence for stderr.
import { HubRequestError } from '../api/client';
import { EnvEditError } from '../core/env';
import { redactSecrets } from '../core/redact';

export const EXIT = {
  ok: 0,
  /** A runtime failure: the hub unreachable or failing, a file that cannot be written. */
  failure: 1,
  /** Wrong arguments or input refused before anything was sent. */
  usage: 2,
  /** Not signed in, or the hub refused the account key (401). */
  unauthorized: 3,
  notFound: 4,
  /** A live token already has that name (409 name_taken). */
  conflict: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  runtime or hub error (unreachable, timeout, a file that cannot be written)
  2  usage error (unknown option, missing or invalid argument, confirmation refused)
  3  not signed in, or the hub refused the account key
  4  no such token
  5  conflict: a token of that name already exists, or the .env variable is already set (see --replace)
`;

/** A failure with a chosen exit code; the message is one sentence and never holds a secret. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof HubRequestError) {
    if (error.status === 401) return EXIT.unauthorized;
    if (error.status === 404) return EXIT.notFound;
    if (error.status === 409 && error.code === 'name_taken') return EXIT.conflict;
    if (error.status === 422 && error.code?.startsWith('invalid_')) return EXIT.usage;
    return EXIT.failure;
  }
  if (error instanceof EnvEditError) return error.code === 'invalid_name' ? EXIT.usage : EXIT.failure;
  return EXIT.failure;
}

export function messageOf(error: unknown): string {
  if (error instanceof HubRequestError && error.status === 401) {
    const refused = error.message.replace(/ Sign in again\.$/, '');
    const fix = process.env.TOKENHUB_ACCOUNT_KEY ? 'Check TOKENHUB_ACCOUNT_KEY.' : 'Sign in again with "tokenhub login".';
    return `${refused} ${fix}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return redactSecrets(text);
}
