// Writing a secret into a .env file from the terminal with the same safe editor as the extension:
// src/core/env.ts decides the text (every other byte kept) and checks that dotenv reads it back exactly,
// writeFileAtomically replaces the file. Messages name the file and the variable, never the value.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomically } from '../core/atomicWrite';
import { EnvEditError, setEnvVariable } from '../core/env';
import { gitIgnored } from '../core/ignoredByGit';
import { isInsideFolder, realTargetOf } from '../core/realTarget';
import { ACCESS_TOKEN_PREFIX, generateToken } from '../core/token';
import { validateEnvVariableName } from '../core/validation';
import { CliError, EXIT, UsageError } from './errors';

export interface EnvTarget {
  file: string;
  variable: string;
  /** Replace the variable when it is already set to another value. */
  replace: boolean;
}

export type EnvWriteAction = 'appended' | 'replaced' | 'unchanged';

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    throw new CliError(`Cannot read ${file} (${code === 'EISDIR' ? 'it is a folder' : code}).`);
  }
}

function edit(target: EnvTarget, text: string, value: string) {
  try {
    // setEnvVariable returns only text that both dotenv parsers read back exactly (else it throws verification_failed).
    return setEnvVariable(text, target.variable, value, { replace: target.replace });
  } catch (error) {
    if (!(error instanceof EnvEditError)) throw error;
    if (error.code === 'variable_exists') {
      throw new CliError(`${target.variable} is already set on line ${(error.lines.at(-1) ?? 0) + 1} of ${target.file}; add --replace to replace it.`, EXIT.conflict);
    }
    if (error.code === 'invalid_name') throw new UsageError(error.message);
    throw new CliError(`${target.file} was left unchanged: ${error.message}`);
  }
}

/**
 * Everything that can be checked before a token is created or rotated, so that a refusal costs nothing: the variable
 * name, the file readable, the folder writable, an existing variable only with `replace`, a secret-shaped value
 * representable in this file.
 */
export function precheckEnvTarget(target: EnvTarget, option = '--env-var'): void {
  checkVariableName(target.variable, option);
  checkNoLinkOut(target.file);
  checkFolderExists(target.file);
  edit(target, readText(target.file), generateToken(ACCESS_TOKEN_PREFIX));
  const dir = path.dirname(path.resolve(target.file));
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new CliError(`Cannot write in ${dir}; check its permissions.`);
  }
}

/**
 * The CLI writes where the person says, but not through a symbolic link (the file, or a folder above it) that leads
 * outside the folder it runs in: a cloned repository's committed `.env` link must not carry a secret elsewhere.
 */
export function checkNoLinkOut(file: string): void {
  const absolute = path.resolve(file);
  const real = realTargetOf(absolute);
  if (real === absolute) return;
  const here = realTargetOf(process.cwd());
  if (isInsideFolder(real, here)) return;
  throw new CliError(
    `${file} resolves through a symbolic link to ${real}, outside the folder you run tokenhub in (${here}); nothing was written. Give the real path if you mean to write there.`,
  );
}

/** The file's folder must exist: a mistyped path is refused, never created with its folders. */
export function checkFolderExists(file: string): void {
  const dir = path.dirname(path.resolve(file));
  let isFolder: boolean;
  try {
    isFolder = fs.statSync(dir).isDirectory();
  } catch {
    throw new CliError(`The folder ${dir} does not exist, so nothing was written; create it first, or give a file in an existing folder.`);
  }
  if (!isFolder) throw new CliError(`${dir} is not a folder, so nothing was written; give a file in an existing folder.`);
}

export function checkVariableName(name: string, option: string): void {
  const problem = validateEnvVariableName(name);
  if (problem) throw new UsageError(`${option} ${name}: ${problem}`);
}

/** Sets the variable in the file (created when missing), atomically; nothing is written unless it reads back exactly. */
export async function writeEnvVariable(target: EnvTarget, value: string): Promise<{ action: EnvWriteAction; line: number }> {
  checkNoLinkOut(target.file);
  checkFolderExists(target.file);
  const text = readText(target.file);
  const result = edit(target, text, value);
  if (result.action !== 'unchanged') {
    let written;
    try {
      written = await writeFileAtomically(target.file, result.text, {}, { secret: true });
    } catch (error) {
      throw new CliError(`Cannot write ${target.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
    if (written.narrowedFrom !== undefined) {
      process.stderr.write(`${target.file} could be read by others (mode ${written.narrowedFrom.toString(8)}); tokenhub made it readable by you only (600), as it holds a secret.\n`);
    }
  }
  return { action: result.action, line: result.line };
}

export function describeWrite(target: EnvTarget, result: { action: EnvWriteAction; line: number }): string {
  const where = `${target.file}, line ${result.line + 1}`;
  if (result.action === 'unchanged') return `${target.variable} in ${where} already held this value; the file is unchanged.`;
  return `${result.action === 'replaced' ? 'Replaced' : 'Added'} ${target.variable} in ${where}.`;
}

/** A one-line warning when git would commit the file (false when git is absent or it is not a repository). */
export async function gitWouldCommit(file: string): Promise<boolean> {
  const absolute = path.resolve(file);
  const name = path.basename(absolute);
  // Without git, or outside a repository, nothing is committed.
  const ignored = await gitIgnored(path.dirname(absolute), [name], 5000);
  return ignored !== undefined && !ignored.has(name);
}
