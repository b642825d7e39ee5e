// The operating system's keychain, when there is one, through @napi-rs/keyring's Entry API: the macOS Keychain, the
// Windows Credential Manager, and the Secret Service (GNOME Keyring, KWallet) on Linux and other Unix desktops. The
// key goes to the OS through the library's calls: no command line, no command stream, nothing a hub URL could
// break out of. Detected per run; every failure is reported so the caller can fall back to the credentials file.
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';

export interface Keychain {
  /** How `whoami` and `login` name it: "the macOS Keychain". */
  readonly description: string;
  store(url: string, key: string): Promise<void>;
  /** The key stored for this hub URL, or null when there is none. */
  lookup(url: string): Promise<string | null>;
  remove(url: string): Promise<void>;
}

/** One credential of the keychain: what the library's AsyncEntry does, so tests can stand in for it. */
export type KeychainEntry = Pick<AsyncEntry, 'setPassword' | 'getPassword' | 'deleteCredential'>;

const SERVICE = 'tokenhub';

/**
 * Entries of the Secret Service only: without a pin the library silently falls back to the kernel keyring, which
 * does not survive a reboot, and the person would be signed out without a word.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * The keychain to use, or null for the credentials file. `TOKENHUB_KEYCHAIN=none` forces the file (CI,
 * containers); on Linux the Secret Service is used only when a D-Bus session bus is announced, as it runs on one.
 */
export function detectKeychain(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Keychain | null {
  const choice = (env.TOKENHUB_KEYCHAIN ?? 'auto').toLowerCase();
  if (choice === 'none' || choice === 'off' || choice === 'file') return null;
  const description =
    platform === 'darwin' ? 'the macOS Keychain' : platform === 'win32' ? 'the Windows Credential Manager' : 'the keychain (Secret Service)';
  if (platform !== 'darwin' && platform !== 'win32' && !env.DBUS_SESSION_BUS_ADDRESS) return null;
  const library = loadKeyring();
  if (!library) return null;
  return entryKeychain(description, (url) => new library.AsyncEntry(SERVICE, url, ENTRY_OPTIONS));
}

/** A keychain whose credentials are the entries `entryFor` makes, one per hub URL (the URL is the account name). */
export function entryKeychain(description: string, entryFor: (url: string) => KeychainEntry): Keychain {
  const failed = (what: string, error: unknown) => new Error(`${description} could not ${what} the key (${reasonOf(error)})`);
  return {
    description,
    async store(url, key) {
      try {
        await entryFor(url).setPassword(key);
      } catch (error) {
        throw failed('store', error);
      }
    },
    async lookup(url) {
      try {
        return (await entryFor(url).getPassword()) ?? null;
      } catch {
        return null;
      }
    },
    async remove(url) {
      await entryFor(url)
        .deleteCredential()
        .catch(() => false);
    },
  };
}

/** The native module, or null where it cannot load (a platform it has no build for): then the file is used. */
function loadKeyring(): typeof import('@napi-rs/keyring') | null {
  try {
    return require('@napi-rs/keyring') as typeof import('@napi-rs/keyring'); // eslint-disable-line @typescript-eslint/no-require-imports
  } catch {
    return null;
  }
}

/** A short reason for a message: the library's first line, never the key (it is not in the library's errors). */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 160) || 'no reason given';
}
