// Shared pieces of the tokenhub commands: argument parsing with one-line usage errors, and opening the store.
import { parseArgs, type ParseArgsConfig } from 'util';
import { OperatorUsageError } from '../operatorUsageError';

export { OperatorUsageError };

/** A subcommand: `run` returns the exit code (0 ok, 1 runtime failure); throw OperatorUsageError for exit code 2. */
export interface Command {
  /** The line `tokenhub --help` shows for it. */
  summary: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs, with unknown options and missing values turned into OperatorUsageError. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (error) {
    throw new OperatorUsageError((error as Error).message.split('\n')[0]);
  }
}

export const DB_OPTION = { db: { type: 'string' } } as const;

export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new OperatorUsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}".`);
  }
  return Number(value);
}

export function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new OperatorUsageError(`--${name} is required.`);
  return value;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ENDPOINT_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function checkWorkspaceName(name: string): string {
  if (!WORKSPACE_NAME.test(name)) {
    throw new OperatorUsageError(`--workspace "${name}": use 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit.`);
  }
  return name;
}

export function checkEndpointId(id: string): string {
  if (!ENDPOINT_ID.test(id)) {
    throw new OperatorUsageError(`Endpoint id "${id}": use 1 to 64 lowercase letters, digits and hyphens, starting and ending with a letter or digit.`);
  }
  return id;
}
