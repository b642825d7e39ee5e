// Filling a hub's database without HTTP: the store layer of src/hub (the same code the hub runs), in batches of
// BATCH tokens per transaction (Store.insertTokens), so that a million tokens take about a minute, not hours. Every
// token is real: a CSPRNG secret with its checksum, its SHA-256 digest stored (no pepper, as the benchmark hubs
// run), 30 days to live, scoped to chat-completions. Names are `seed-WWWWWW-NNNNNNN-zTT`: the tag zTT (00 to 99)
// makes "z07" a 3-character term matching 1 % of the names, spread evenly over the table; the word W (6 letters a
// to y, from the number) is a term matching one name or very few, as a distinctive part of a real name would.
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken, maskToken } from '../../src/core/token';
import { digestSchemeFingerprint, makeDigester, newId } from '../../src/hub/digest';
import type { NewToken, Store } from '../../src/hub/store';
import { PostgresStore } from '../../src/hub/stores/postgres';
import { SqliteStore } from '../../src/hub/stores/sqlite';
import { msSince } from './common';

export const ENDPOINT = 'chat-completions';
const BATCH = 1000;

/** The name of the i-th seeded token. */
export function seedName(i: number): string {
  return `seed-${seedWord(i)}-${String(i).padStart(7, '0')}-z${String(i % 100).padStart(2, '0')}`;
}

/** Six letters (no z: "z07" stays the tag's) that look random and differ from one i to the next. */
export function seedWord(i: number): string {
  let x = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  let word = '';
  for (let k = 0; k < 6; k++) {
    x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
    word += String.fromCharCode(97 + (x % 25));
  }
  return word;
}
const DAY_MS = 86_400_000;

export interface Seeded {
  workspaceId: string;
  accountKey: string;
  /** The secrets of the tokens created (all of them). */
  secrets: string[];
  /** How long inserting the tokens took. */
  seedMs: number;
}

export async function openStoreFor(db: string): Promise<Store> {
  const store: Store = /^postgres/.test(db) ? new PostgresStore(db) : new SqliteStore(db);
  await store.migrate();
  return store;
}

/**
 * A workspace (new or existing, by name) with the endpoint, a new account key and `count` new tokens.
 * `concurrency` > 1 overlaps inserts (PostgreSQL: one connection each); SQLite inserts one after another.
 */
export async function seed(db: string, workspace: string, count: number, concurrency = 1): Promise<Seeded> {
  const store = await openStoreFor(db);
  try {
    const digest = makeDigester(undefined);
    if ((await store.getMeta('digest_scheme')) === null) await store.setMeta('digest_scheme', digestSchemeFingerprint(digest));
    const now = Date.now();
    const { workspace: ws } = await store.ensureWorkspace(workspace, newId('ws_'), undefined, now);
    await store.upsertEndpoint(ws.id, { id: ENDPOINT, name: 'Chat completions', description: '' }, now);
    const accountKey = generateToken(ACCOUNT_KEY_PREFIX);
    await store.createAccountKey(ws.id, newId('ak_'), digest(accountKey), maskToken(accountKey), now);
    const secrets = await addTokens(store, ws.id, count, concurrency, now);
    return { workspaceId: ws.id, accountKey, secrets: secrets.secrets, seedMs: secrets.ms };
  } finally {
    await store.close();
  }
}

async function addTokens(
  store: Store,
  workspaceId: string,
  count: number,
  concurrency: number,
  now: number,
): Promise<{ secrets: string[]; ms: number }> {
  const digest = makeDigester(undefined);
  const secrets = new Array<string>(count);
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + BATCH);
      next = to;
      const batch: NewToken[] = [];
      for (let i = from; i < to; i++) {
        const secret = generateToken(ACCESS_TOKEN_PREFIX);
        secrets[i] = secret;
        batch.push({
          id: newId('tok_'),
          workspaceId,
          name: seedName(i),
          maskedKey: maskToken(secret),
          endpoints: [ENDPOINT],
          digest: digest(secret),
          // Distinct creation times, oldest first, all in the past.
          createdAt: now - (count - i) * 10,
          expiresAt: now + 30 * DAY_MS,
        });
      }
      await store.insertTokens(batch);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { secrets, ms: msSince(started) };
}

/** Well-formed access tokens (valid checksum) that no store holds: the brute-force path. */
export function unknownTokens(count: number): string[] {
  return Array.from({ length: count }, () => generateToken(ACCESS_TOKEN_PREFIX));
}
