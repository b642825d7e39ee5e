// Where the CLI keeps the hub URL and account key between runs, and which credentials a command uses.
// Stored: `credentials.json` in the config folder (TOKENHUB_CONFIG_DIR, else $XDG_CONFIG_HOME/tokenhub, else
// ~/.config/tokenhub; %APPDATA%\tokenhub on Windows), folder 0700 and file 0600. It holds the URL, and the key
// itself only when no keychain was available; otherwise the key is in the keychain under that URL.
// TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY in the environment take precedence over what is stored.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { normaliseHubUrl } from '../api/client';
import { writeFileAtomically } from '../core/atomicWrite';
import { hasControlCharacter } from '../core/validation';
import { CliError, EXIT, UsageError } from './errors';
import { detectKeychain, type Keychain } from './keychain';

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8787';

interface StoredFile {
  version: 1;
  url: string;
  storage: 'file' | 'keychain';
  /** Only with storage "file". */
  accountKey?: string;
}

export interface Credentials {
  url: string;
  accountKey: string;
  /** Where they come from, for `whoami`: "the environment (TOKENHUB_ACCOUNT_KEY)", a file path, the keychain. */
  source: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOKENHUB_CONFIG_DIR) return path.resolve(env.TOKENHUB_CONFIG_DIR);
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'tokenhub');
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'tokenhub');
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'credentials.json');
}

/** A hub URL as given by a person: http(s) only, without a trailing slash. */
export function checkHubUrl(input: string): string {
  const url = normaliseHubUrl(input);
  // A URL is stored and handed to the keychain: nothing in it may end a quoted string or a line anywhere.
  if (hasControlCharacter(url) || /["'`\\]/.test(url)) {
    throw new UsageError('The hub URL holds a quote, a backslash or a control character; type the address again, such as http://127.0.0.1:8787.');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${input}" is not a URL; give the hub's address, such as ${DEFAULT_HUB_URL}.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`The hub URL must start with http:// or https://, not "${parsed.protocol}".`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new UsageError('Give the hub URL without user name, password, query or fragment.');
  }
  // The URL's own normal form (lowercase host, default port dropped, escapes), without a trailing slash.
  return normaliseHubUrl(parsed.href);
}

function readStored(env: NodeJS.ProcessEnv): StoredFile | null {
  let text: string;
  try {
    text = fs.readFileSync(credentialsFile(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`Cannot read ${credentialsFile(env)} (${(error as NodeJS.ErrnoException).code}); check its permissions.`);
  }
  try {
    const data = JSON.parse(text) as StoredFile;
    if (typeof data.url === 'string' && (data.storage === 'keychain' || typeof data.accountKey === 'string')) return data;
  } catch {
    // Reported below.
  }
  throw new CliError(`${credentialsFile(env)} is damaged; run "tokenhub logout", then "tokenhub login".`, EXIT.unauthorized);
}

/** Writes the file with mode 0600 in a folder with mode 0700, atomically. */
async function writeStored(data: StoredFile, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') fs.chmodSync(dir, 0o700);
  const file = credentialsFile(env);
  // Create (or narrow) the file's mode before any key is written: the atomic write keeps the existing mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  if (process.platform !== 'win32') fs.chmodSync(file, 0o600);
  await writeFileAtomically(file, `${JSON.stringify(data, null, 2)}\n`);
}

/** Stores URL and key: in the keychain when there is one that works, else in the file. Says where. */
export async function saveCredentials(url: string, accountKey: string, env: NodeJS.ProcessEnv = process.env): Promise<{ where: string; inKeychain: boolean; fallbackReason?: string }> {
  const previous = safeReadStored(env);
  const keychain = detectKeychain(env);
  let fallbackReason: string | undefined;
  if (keychain) {
    try {
      await keychain.store(url, accountKey);
      if (previous?.storage === 'keychain' && previous.url !== url) await keychain.remove(previous.url);
      await writeStored({ version: 1, url, storage: 'keychain' }, env);
      return { where: keychain.description, inKeychain: true };
    } catch (error) {
      fallbackReason = (error as Error).message;
    }
  }
  if (previous?.storage === 'keychain' && keychain) await keychain.remove(previous.url).catch(() => undefined);
  await writeStored({ version: 1, url, storage: 'file', accountKey }, env);
  return { where: credentialsFile(env), inKeychain: false, fallbackReason };
}

/** Forgets stored credentials (keychain entry and file). Returns what was forgotten, or null when nothing was stored. */
export async function forgetCredentials(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; where: string } | null> {
  const file = credentialsFile(env);
  const stored = safeReadStored(env);
  if (!stored && !fs.existsSync(file)) return null;
  let where = file;
  if (stored?.storage === 'keychain') {
    const keychain = detectKeychain(env);
    if (keychain) await keychain.remove(stored.url);
    where = `${keychain?.description ?? 'the keychain'} and ${file}`;
  }
  fs.rmSync(file, { force: true });
  return { url: stored?.url ?? 'unknown hub', where };
}

/** The credentials a command uses: the environment's, else the stored ones. Throws exit code 3 when there are none. */
export async function loadCredentials(env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const envUrl = env.TOKENHUB_URL ? checkHubUrl(env.TOKENHUB_URL) : undefined;
  const envKey = env.TOKENHUB_ACCOUNT_KEY?.trim();
  if (envKey) {
    const stored = envUrl ? null : safeReadStored(env);
    const url = envUrl ?? stored?.url ?? DEFAULT_HUB_URL;
    const urlSource = envUrl ? 'TOKENHUB_URL' : stored ? `URL from ${credentialsFile(env)}` : 'default URL';
    return { url, accountKey: envKey, source: `the environment (TOKENHUB_ACCOUNT_KEY, ${urlSource})` };
  }
  const stored = readStored(env);
  if (!stored) {
    throw new CliError('Not signed in: run "tokenhub login", or set TOKENHUB_URL and TOKENHUB_ACCOUNT_KEY.', EXIT.unauthorized);
  }
  if (envUrl && envUrl !== stored.url) {
    throw new CliError(
      `TOKENHUB_URL is ${envUrl} but the stored credentials are for ${stored.url}; set TOKENHUB_ACCOUNT_KEY too, or sign in to ${envUrl}.`,
      EXIT.unauthorized,
    );
  }
  if (stored.storage === 'file') return { url: stored.url, accountKey: stored.accountKey!, source: credentialsFile(env) };
  const keychain: Keychain | null = detectKeychain(env);
  const key = keychain ? await keychain.lookup(stored.url) : null;
  if (!key) {
    throw new CliError(`The account key for ${stored.url} is no longer in the keychain; run "tokenhub login" again.`, EXIT.unauthorized);
  }
  return { url: stored.url, accountKey: key, source: keychain!.description };
}

function safeReadStored(env: NodeJS.ProcessEnv): StoredFile | null {
  try {
    return readStored(env);
  } catch {
    return null;
  }
}
