// An invalid access token is refused in the same time whether or not its digest was ever known: no early exit on a
// partial match that would let an attacker learn, character by character, how close a guess is.
//
// Why there is nothing to leak, and what is measured: the hub never compares secret material. A credential with a
// bad shape or checksum is refused before anything else (the checksum is public: it only recognises typos). A
// well-formed one is hashed (SHA-256, or HMAC with the pepper) and the digest looked up through the database's unique
// index on digests (a B-tree search on SQLite and PostgreSQL; on SQLite a hit may also come from an in-memory Map
// keyed by the digest). The only comparisons are between digests, and a guess that shares a prefix with a real
// secret has an unrelated digest, so an index walk reveals nothing about the secret. This test checks the
// observable side: three kinds of refused tokens, sent interleaved (so that drift of the machine's load hits all
// of them alike) over one keep-alive connection, many times:
//   (a) well-formed, checksum valid, never issued (its digest is unknown);
//   (b) the secret of a token deleted just before (its digest was in the index, and in the cache);
//   (c) a live token's secret with only its last random characters changed, checksum recomputed.
// Each must be answered 401, and their median times must agree within a tolerance far below what a lookup that
// stopped early on a match could save (the difference between a hit and a miss is itself measured and reported).
import assert from 'assert';
import http from 'http';
import type { TokenWithSecret } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, checksumOf, generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { client } from '../hub/helpers';
import { median } from './support';

const ROUNDS = Number(process.env.TIMING_ROUNDS ?? 1500);

describe('reliability: refusal time does not depend on how close a token is to a real one', function () {
  this.timeout(120_000);
  let hub: HubProcess;
  let agent: http.Agent;

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '1000000'] });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  after(async () => {
    agent?.destroy();
    await hub?.stop();
  });

  /** One invoke over the kept-alive connection; resolves with the status and the elapsed time in microseconds. */
  function timedInvoke(secret: string): Promise<{ status: number; us: number }> {
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const request = http.request(
        `${hub.url}/v1/endpoints/chat-completions/invoke`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${secret}` } },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, us: Number(process.hrtime.bigint() - started) / 1000 }));
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  it('(a) unknown digest, (b) a just-deleted token, (c) a near miss of a live token: the same median time', async () => {
    const { accountKey } = await hub.init('timing', ['chat-completions']);
    const api = client(hub.url, accountKey);
    const live: TokenWithSecret[] = [];
    const deleted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await api.post<TokenWithSecret>('/v1/tokens', { name: `live-${i}`, endpoints: ['chat-completions'] });
      live.push(created.body);
      const doomed = await api.post<TokenWithSecret>('/v1/tokens', { name: `doomed-${i}`, endpoints: ['chat-completions'] });
      // Used once, so that its digest is in the in-memory cache as well, then deleted.
      assert.strictEqual((await timedInvoke(doomed.body.secret)).status, 200);
      assert.strictEqual((await api.del(`/v1/tokens/${doomed.body.token.id}`)).status, 204);
      deleted.push(doomed.body.secret);
    }
    const nearMiss = live.map(({ secret }) => {
      const body = secret.slice(0, 48);
      const changed = body.slice(0, -3) + [...body.slice(-3)].map((c) => (c === 'z' ? 'y' : 'z')).join('');
      return changed + checksumOf(changed);
    });
    const unknown = Array.from({ length: 20 }, () => generateToken(ACCESS_TOKEN_PREFIX));

    const kinds = { unknown, deleted, nearMiss, valid: live.map((t) => t.secret) } as const;
    type Kind = keyof typeof kinds;
    const times: Record<Kind, number[]> = { unknown: [], deleted: [], nearMiss: [], valid: [] };
    // Warm-up: JIT, connection, page cache.
    for (let i = 0; i < 200; i++) await timedInvoke(unknown[i % unknown.length]);
    for (let round = 0; round < ROUNDS; round++) {
      const order = (Object.keys(kinds) as Kind[]).sort(() => Math.random() - 0.5);
      for (const kind of order) {
        const { status, us } = await timedInvoke(kinds[kind][round % 20]);
        assert.strictEqual(status, kind === 'valid' ? 200 : 401, `${kind}: ${status}`);
        times[kind].push(us);
      }
    }
    const medians = Object.fromEntries((Object.keys(times) as Kind[]).map((kind) => [kind, median(times[kind])])) as Record<Kind, number>;
    const refused = [medians.unknown, medians.deleted, medians.nearMiss];
    const spread = Math.max(...refused) - Math.min(...refused);
    const shown = Object.entries(medians).map(([k, v]) => `${k} ${v.toFixed(0)} µs`).join(', ');
    console.log(`      medians over ${ROUNDS} rounds: ${shown}; spread of the refused kinds ${spread.toFixed(0)} µs`);
    // Tolerance: 15 % of the median or 60 µs, whichever is larger (a shared 2-core machine is noisy); a hash-index
    // lookup of a 32-byte digest costs a few µs either way, far below an HTTP round trip.
    const tolerance = Math.max(60, 0.15 * Math.min(...refused));
    assert.ok(spread <= tolerance, `the refused kinds differ by ${spread.toFixed(0)} µs (tolerance ${tolerance.toFixed(0)} µs): ${shown}`);
  });
});
