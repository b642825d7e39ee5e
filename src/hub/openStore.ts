// Chooses and opens the store from --db / DATABASE_URL: a postgres:// URL means PostgreSQL, anything else is a
// SQLite file path (default .tokenhub/hub.db in the working directory). Applies migrations and checks that the
// digest scheme (pepper or none) is the one the database was set up with.
import fs from 'fs';
import path from 'path';
import { digestSchemeFingerprint, makeDigester, type Digester } from './digest';
import { StoreUnavailableError } from './errors';
import type { Store } from './store';
import { OperatorUsageError } from './operatorUsageError';

export { OperatorUsageError };

export const DEFAULT_SQLITE_PATH = path.join('.tokenhub', 'hub.db');

export interface DatabaseChoice {
  kind: 'sqlite' | 'postgres';
  location: string;
  /** For messages: the URL without its password. */
  display: string;
}

export function resolveDatabase(db: string | undefined, env: NodeJS.ProcessEnv = process.env): DatabaseChoice {
  const value = db ?? env.DATABASE_URL ?? DEFAULT_SQLITE_PATH;
  if (value.trim() === '') throw new OperatorUsageError('--db needs a value: a file path or a postgres:// URL.');
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let display = value;
    try {
      const url = new URL(value);
      if (url.password) url.password = '***';
      display = url.toString();
    } catch {
      throw new OperatorUsageError(`--db: "${value.replace(/:[^:@/]*@/, ':***@')}" is not a valid postgres:// URL.`);
    }
    return { kind: 'postgres', location: value, display };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new OperatorUsageError(`--db: unsupported database URL "${value.split('://')[0]}://…"; give a file path or a postgres:// URL.`);
  }
  return { kind: 'sqlite', location: value, display: path.resolve(value) };
}

export interface OpenedStore {
  store: Store;
  digest: Digester;
  choice: DatabaseChoice;
}

/** Opens, migrates and checks the database. Errors carry a one-line message for the command line. */
export async function openStore(
  db: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  onPoolError?: (error: Error) => void,
  /** Given by `serve` only: a serving hub's verified-token cache (on PostgreSQL also its lease and listener). */
  tokenCacheSize?: number,
): Promise<OpenedStore> {
  const choice = resolveDatabase(db, env);
  let store: Store;
  if (choice.kind === 'postgres') {
    const { PostgresStore } = await import('./stores/postgres'); // loaded only when used
    store = new PostgresStore(choice.location, { onPoolError, tokenCacheSize });
  } else {
    const file = choice.location;
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      throw new Error(`Cannot open the database ${choice.display}: it is a folder; give a file path.`);
    }
    const { SqliteStore } = await import('./stores/sqlite');
    try {
      store = new SqliteStore(file, { tokenCacheSize });
    } catch (error) {
      throw new Error(`Cannot open the database ${choice.display}: ${reason(error)}`);
    }
  }
  const digest = makeDigester(env.TOKENHUB_PEPPER || undefined);
  try {
    await store.migrate();
    const fingerprint = digestSchemeFingerprint(digest);
    const stored = await store.getMeta('digest_scheme');
    if (stored === null) await store.setMeta('digest_scheme', fingerprint);
    else if (stored !== fingerprint) {
      throw new PepperMismatch(
        `The database ${choice.display} was set up with ${env.TOKENHUB_PEPPER ? 'another TOKENHUB_PEPPER or none' : 'a TOKENHUB_PEPPER'}; start the hub with the same pepper it was set up with.`,
      );
    }
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof PepperMismatch) throw error;
    throw new Error(`Cannot open the database ${choice.display}: ${reason(error)}`, { cause: error });
  }
  return { store, digest, choice };
}

class PepperMismatch extends Error {}

function reason(error: unknown): string {
  const cause = error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    const text = cause.message || code || 'unknown error';
    if (code && !text.includes(code)) return `${text} (${code})`;
    return text;
  }
  return String(cause);
}
