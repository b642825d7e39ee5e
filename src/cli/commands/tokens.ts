// tokenhub tokens list | create | delete | rotate
import { randomUUID } from 'crypto';
import { HubClient, HubRequestError } from '../../api/client';
import type { Token, TokenWithSecret } from '../../contract/types';
import { API_LIMITS } from '../../contract/types';
import { daysFromNow, describeExpiry, describeSpan } from '../../core/dates';
import { calendarDateProblem, parseIsoDate, validateEndpointIds, validateExpiry, validateTokenName } from '../../core/validation';
import { command, group, parse, required } from '../command';
import { describeWrite, gitWouldCommit, precheckEnvTarget, writeEnvVariable, type EnvTarget } from '../envFile';
import { CliError, EXIT_CODES_HELP, UsageError, messageOf } from '../errors';
import { printJson, tokenTable } from '../format';
import { connect, resolveToken } from '../hub';
import { confirmOrCancel, ensureCanConfirm } from '../prompt';

const DEFAULT_ENV_VAR = 'TOKENHUB_TOKEN';
const TOKEN_ARG = { min: 1, max: 1, missing: 'Name the token: its name or its id (tok_…).' };

// Not --env-file: Node.js 20 takes that option for itself wherever it appears on the command line.
const ENV_OPTIONS = {
  dotenv: { type: 'string' },
  'env-var': { type: 'string' },
} as const;

const ENV_HELP = `  --dotenv FILE      write the secret into this .env file instead of printing it (same safe editor as the
                     extension: every other line kept byte for byte, checked to read back exactly)
  --env-var NAME     the variable to set (default ${DEFAULT_ENV_VAR})`;

// ------------------------------------------------------------------------------------------------------------------
// list

const LIST_HELP = `Usage: tokenhub tokens list [--search TEXT] [--json]

Lists the workspace's tokens, newest first (every page): name, masked key, endpoints, created, last used, expires.

Options:
  --search TEXT   only tokens whose name contains TEXT
  --json          print the array of Token objects of the API
  -h, --help      show this help

${EXIT_CODES_HELP}`;

const list = command('tokens list', 'list the tokens of the workspace', LIST_HELP, async (argv) => {
  const { values } = parse(argv, { search: { type: 'string' }, json: { type: 'boolean' } });
  const { client } = await connect();
  const tokens = await client.listAllTokens(values.search || undefined);
  if (values.json) printJson(tokens);
  else if (tokens.length === 0) process.stdout.write(values.search ? `No tokens match "${values.search}".\n` : 'No tokens yet.\n');
  else process.stdout.write(tokenTable(tokens));
});

// ------------------------------------------------------------------------------------------------------------------
// create

const CREATE_HELP = `Usage: tokenhub tokens create --name NAME --endpoint ID [--endpoint ID]... [options]

Creates an access token and prints its secret once on standard output (a note on stderr says it will not be shown
again), so that  SECRET=$(tokenhub tokens create ...)  works. With --dotenv the secret goes into that file and is
not printed.

Options:
  --name NAME        lowercase letters, digits and hyphens, 1 to ${API_LIMITS.nameMaxLength} characters
  --endpoint ID      an endpoint the token may call; repeat for more
  --expires WHEN     7d, 30d, ... (days from now), a date such as 2026-12-31 (the last day it works, UTC),
                     an ISO 8601 time, or never (if the workspace allows it); default: the workspace's default
${ENV_HELP}
  --replace          with --dotenv: replace the variable when it is already set (else refused, exit code 5)
  --json             print {"token": Token, "secret"} (with --dotenv: {"token", "envFile"}, no secret)
  -h, --help         show this help

${EXIT_CODES_HELP}`;

/** --expires as the API wants it: an ISO instant, null for never; undefined for the workspace default. */
export function parseExpires(text: string | undefined, now = Date.now()): string | null | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === 'never') return null;
  const days = /^(\d{1,5})d$/.exec(value);
  if (days) return daysFromNow(Number(days[1]), now);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const problem = calendarDateProblem(value);
    if (problem) throw new UsageError(`--expires "${value}": ${problem}`);
    return `${value}T23:59:59.000Z`;
  }
  const time = parseIsoDate(value);
  if (time !== null && value.includes('T')) return new Date(time).toISOString();
  throw new UsageError(`--expires "${value}": give days from now (7d, 30d), a date such as 2026-12-31, an ISO 8601 time, or never.`);
}

function envTarget(values: { dotenv?: string; 'env-var'?: string }, replace: boolean): EnvTarget | undefined {
  if (values.dotenv === undefined) {
    if (values['env-var'] !== undefined) throw new UsageError('--env-var needs --dotenv FILE.');
    return undefined;
  }
  return { file: required('dotenv', values.dotenv), variable: values['env-var'] ?? DEFAULT_ENV_VAR, replace };
}

const create = command('tokens create', 'create a token and print its secret once (or write it to a .env file)', CREATE_HELP, async (argv) => {
  const { values } = parse(argv, {
    name: { type: 'string' },
    endpoint: { type: 'string', multiple: true },
    expires: { type: 'string' },
    replace: { type: 'boolean' },
    json: { type: 'boolean' },
    ...ENV_OPTIONS,
  });
  // Everything that can be checked here is checked before the hub is asked.
  const name = required('name', values.name);
  const endpoints = values.endpoint ?? [];
  const problem = validateTokenName(name) ?? validateEndpointIds(endpoints);
  if (problem) throw new UsageError(problem);
  const expiresAt = parseExpires(values.expires);
  if (values.replace && values.dotenv === undefined) throw new UsageError('--replace needs --dotenv FILE.');
  const target = envTarget(values, values.replace === true);
  if (target) precheckEnvTarget(target);

  const { client } = await connect();
  const [workspace, known] = await Promise.all([client.getWorkspace(), client.listEndpoints()]);
  const hubProblem =
    validateEndpointIds(endpoints, new Set(known.map((endpoint) => endpoint.id))) ??
    (expiresAt !== undefined ? validateExpiry(expiresAt, workspace.policy) : null);
  if (hubProblem) throw new UsageError(hubProblem);

  const body = { name, endpoints, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  const created = await mutation(() => client.createToken(body, { idempotencyKey: randomUUID() }));
  let envWrite;
  if (target) {
    try {
      envWrite = await writeEnvVariable(target, created.secret);
    } catch (error) {
      throw await rollBack(client, created.token, error);
    }
  }
  await deliver('Created', created, target, envWrite, values.json === true);
});

/** The token just created could not be stored: delete it again so that no secret is lost with it. */
async function rollBack(client: HubClient, token: Token, error: unknown): Promise<CliError> {
  const reason = messageOf(error);
  try {
    await client.deleteToken(token.id);
    return new CliError(`${reason.replace(/\.$/, '')}; the new token was deleted again, so nothing changed.`);
  } catch {
    return new CliError(`${reason.replace(/\.$/, '')}; delete the new token with: tokenhub tokens delete ${token.id} --yes`);
  }
}

/** Create and rotate: a lost answer whose retry found the work done (409 idempotency_replayed) explained. */
async function mutation(call: () => Promise<TokenWithSecret>): Promise<TokenWithSecret> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HubRequestError && error.code === 'idempotency_replayed') {
      const id = error.tokenId ? ` ${error.tokenId}` : '';
      throw new CliError(`The hub made the change but its answer, with the secret, was lost on the way; rotate or delete token${id} and try again.`);
    }
    throw error;
  }
}

async function deliver(
  verb: 'Created' | 'Rotated',
  result: TokenWithSecret,
  target: EnvTarget | undefined,
  envWrite: Awaited<ReturnType<typeof writeEnvVariable>> | undefined,
  json: boolean,
): Promise<void> {
  const { token, secret } = result;
  const summary = `${verb} token "${token.name}" (${token.id}, ${token.maskedKey}) for ${token.endpoints.join(', ')}; it ${describeExpiry(token.expiresAt)}.`;
  if (target && envWrite) {
    if (json) printJson({ token, envFile: { file: target.file, variable: target.variable, action: envWrite.action, line: envWrite.line + 1 } });
    else process.stdout.write(`${summary}\n${describeWrite(target, envWrite)}\n`);
    if (await gitWouldCommit(target.file)) {
      process.stderr.write(`Warning: git does not ignore ${target.file}; add it to .gitignore so the secret is not committed.\n`);
    }
    return;
  }
  if (json) printJson({ token, secret });
  else process.stdout.write(`${secret}\n`);
  process.stderr.write(`${summary} This is the only time its secret is shown: store it now.\n`);
}

// ------------------------------------------------------------------------------------------------------------------
// delete

const DELETE_HELP = `Usage: tokenhub tokens delete NAME|ID [--yes]

Deletes (revokes) a token: every program using it gets 401 at once. Asks for confirmation on a terminal.

Options:
  --yes        do not ask (required when standard input is not a terminal)
  -h, --help   show this help

${EXIT_CODES_HELP}`;

const remove = command('tokens delete', 'delete (revoke) a token', DELETE_HELP, async (argv) => {
  const { values, positionals } = parse(argv, { yes: { type: 'boolean', short: 'y' } }, TOKEN_ARG);
  ensureCanConfirm(values.yes, 'delete');
  const { client } = await connect();
  const token = await resolveToken(client, positionals[0]);
  await confirmOrCancel(values.yes, `Delete token "${token.name}" (${token.id}, ${token.maskedKey})? Programs using it get 401 at once.`);
  await client.deleteToken(token.id);
  process.stdout.write(`Deleted token "${token.name}" (${token.id}).\n`);
});

// ------------------------------------------------------------------------------------------------------------------
// rotate

const ROTATE_HELP = `Usage: tokenhub tokens rotate NAME|ID [--grace 0|1h|24h|SECONDS] [--yes] [--dotenv FILE [--env-var NAME]]

Gives the token a new secret (same id, name, endpoints and expiry) and prints it once on standard output, or writes
it into a .env file. The old secret keeps working for the grace period, then gets 401. Asks on a terminal.

Options:
  --grace TIME       how long the old secret keeps working: 0 (default), 90s, 30m, 1h, 24h or seconds, at most 24h
  --yes              do not ask (required when standard input is not a terminal)
${ENV_HELP}; an existing value is replaced
  --json             print {"token": Token, "secret"} (with --dotenv: {"token", "envFile"}, no secret)
  -h, --help         show this help

${EXIT_CODES_HELP}`;

export function parseGrace(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,6})([smh]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600 }[match[2] as '' | 's' | 'm' | 'h'] : NaN;
  if (!(seconds >= 0 && seconds <= API_LIMITS.graceSecondsMax)) {
    throw new UsageError(`--grace "${text}": give 0, a number of seconds, or a time such as 30m or 1h, at most 24h.`);
  }
  return seconds;
}

const rotate = command('tokens rotate', 'give a token a new secret, printed once (or written to a .env file)', ROTATE_HELP, async (argv) => {
  const { values, positionals } = parse(
    argv,
    { grace: { type: 'string' }, yes: { type: 'boolean', short: 'y' }, json: { type: 'boolean' }, ...ENV_OPTIONS },
    TOKEN_ARG,
  );
  const graceSeconds = parseGrace(values.grace);
  const target = envTarget(values, true);
  if (target) precheckEnvTarget(target);
  ensureCanConfirm(values.yes, 'rotate');
  const { client } = await connect();
  const token = await resolveToken(client, positionals[0]);
  const when = graceSeconds ? `keeps working for ${describeSpan(graceSeconds * 1000)}` : 'stops working at once';
  await confirmOrCancel(values.yes, `Rotate token "${token.name}" (${token.id}, ${token.maskedKey})? Its current secret ${when}.`);

  const rotated = await mutation(() =>
    client.rotateToken(token.id, graceSeconds !== undefined ? { graceSeconds } : {}, { idempotencyKey: randomUUID() }),
  );
  let envWrite;
  if (target) {
    try {
      envWrite = await writeEnvVariable(target, rotated.secret);
    } catch (error) {
      // The old secret is gone: the new one must not be lost with the file, so it goes to stdout instead.
      process.stdout.write(`${rotated.secret}\n`);
      throw new CliError(`${messageOf(error).replace(/\.$/, '')}; the new secret was printed on standard output instead and is not shown again.`);
    }
  }
  await deliver('Rotated', rotated, target, envWrite, values.json === true);
});

export const tokens = group('tokens', 'list, create, delete and rotate access tokens', { list, create, delete: remove, rotate });
