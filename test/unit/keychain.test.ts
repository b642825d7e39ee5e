// The keychain of tokenhub login through the library's Entry API (here a stand-in for @napi-rs/keyring's
// AsyncEntry): one credential per hub URL, the URL as the account name and never part of a command, failures as
// sentences without the key, and the Secret Service pinned on Linux.
import assert from 'assert';
import { detectKeychain, entryKeychain, type KeychainEntry } from '../../src/cli/keychain';

function memoryEntries(fail = false) {
  const stored = new Map<string, string>();
  const made: string[] = [];
  const entryFor = (url: string): KeychainEntry => {
    made.push(url);
    return {
      async setPassword(password: string) {
        if (fail) throw new Error('Platform failure: the collection is locked');
        stored.set(url, password);
      },
      async getPassword() {
        return stored.get(url) ?? null;
      },
      async deleteCredential() {
        return stored.delete(url);
      },
    } as KeychainEntry;
  };
  return { stored, made, entryFor };
}

describe('keychain (Entry API)', () => {
  const key = 'thak_' + 'A'.repeat(49);

  it('stores, finds and removes one credential per hub URL, the URL given as it is', async () => {
    const { stored, made, entryFor } = memoryEntries();
    const keychain = entryKeychain('the test keychain', entryFor);
    const url = 'http://127.0.0.1:8787/a%22b';
    await keychain.store(url, key);
    assert.deepStrictEqual([...stored], [[url, key]]);
    assert.strictEqual(await keychain.lookup(url), key);
    assert.strictEqual(await keychain.lookup('http://other'), null);
    await keychain.remove(url);
    assert.strictEqual(stored.size, 0);
    assert.ok(made.every((u) => u === url || u === 'http://other'));
  });

  it('a refusal is an error that names the keychain and the reason, never the key', async () => {
    const keychain = entryKeychain('the test keychain', memoryEntries(true).entryFor);
    await assert.rejects(keychain.store('http://127.0.0.1:8787', key), (error: Error) => {
      assert.strictEqual(error.message, 'the test keychain could not store the key (Platform failure: the collection is locked)');
      return true;
    });
  });

  it('detection: none with TOKENHUB_KEYCHAIN=none, none on Linux without a D-Bus session, each platform named', () => {
    assert.strictEqual(detectKeychain({ TOKENHUB_KEYCHAIN: 'none' }, 'darwin'), null);
    assert.strictEqual(detectKeychain({}, 'linux'), null);
    assert.strictEqual(detectKeychain({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux')?.description, 'the keychain (Secret Service)');
    assert.strictEqual(detectKeychain({}, 'darwin')?.description, 'the macOS Keychain');
    assert.strictEqual(detectKeychain({}, 'win32')?.description, 'the Windows Credential Manager');
  });
});
