// Revocation with the verified-token caches on (issue 16): two hubs on one PostgreSQL database, each caching the
// tokens it has verified. Thousands of races "use on B (now cached there), delete or rotate on A, use on B": once
// A has answered, B must refuse the old secret every time, with other traffic on B and a lookup of the same secret
// in flight on B while the delete runs (the one that could refill the cache). Then the same while the listening
// connections are killed (pg_terminate_backend) and come back, and a check that the cache really answered.
import assert from 'assert';
import pg from 'pg';
import type { TokenWithSecret } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { client } from '../hub/helpers';
import { sleep } from './support';

const ENDPOINT = 'chat-completions';

describe('reliability: revocation with token caches on two PostgreSQL hubs', function () {
  this.timeout(300_000);
  let cluster: PostgresCluster;
  let db: string;
  let a: HubProcess;
  let b: HubProcess;
  let ws: { workspaceId: string; accountKey: string };
  let admin: pg.Client;

  before(async () => {
    cluster = await startPostgres();
    db = await cluster.createDatabase('revocation');
    const args = ['--auth-failure-limit', '1000000'];
    [a, b] = await Promise.all([startHub({ db, args }), startHub({ db, args })]);
    ws = await a.init('races', [ENDPOINT]);
    admin = new pg.Client({ connectionString: db });
    await admin.connect();
  });

  after(async () => {
    await admin?.end().catch(() => undefined);
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
  });

  const create = async (hub: HubProcess, name: string): Promise<TokenWithSecret> => {
    const res = await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name, endpoints: [ENDPOINT] });
    assert.strictEqual(res.status, 201, res.text);
    return res.body;
  };

  /** Runs `count` races, `workers` at a time, with steady invokes of live tokens on B beside them. */
  async function races(label: string, count: number, workers: number): Promise<{ accepted: string[]; ran: number }> {
    const accepted: string[] = [];
    const live = await Promise.all(Array.from({ length: 4 }, (_, i) => create(a, `${label}-live-${i}`)));
    let stop = false;
    const background = (async () => {
      let i = 0;
      while (!stop) {
        const res = await client(b.url).invoke(ENDPOINT, live[i++ % live.length].secret);
        // A live token is never refused, listener or not.
        if (res.status !== 200) accepted.push(`live token got ${res.status}: ${res.text}`);
      }
    })();
    let next = 0;
    let ran = 0;
    const worker = async (w: number) => {
      while (next < count) {
        const i = next++;
        const { token, secret } = await create(i % 2 ? a : b, `${label}-${w}-${i}`);
        const warm = await client(b.url).invoke(ENDPOINT, secret);
        assert.strictEqual(warm.status, 200, warm.text);
        const inFlight = client(b.url).invoke(ENDPOINT, secret); // may be answered either way: it overlaps
        if (i % 4 === 3) {
          const rotated = await client(a.url, ws.accountKey).post(`/v1/tokens/${token.id}/rotate`, {});
          assert.strictEqual(rotated.status, 201, rotated.text);
        } else {
          const deleted = await client(a.url, ws.accountKey).del(`/v1/tokens/${token.id}`);
          assert.strictEqual(deleted.status, 204, deleted.text);
        }
        await inFlight;
        const after = await client(b.url).invoke(ENDPOINT, secret);
        if (after.status !== 401) accepted.push(`race ${i}: ${after.status} after ${i % 4 === 3 ? 'rotate' : 'delete'}`);
        ran++;
      }
    };
    try {
      await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
    } finally {
      stop = true;
      await background;
    }
    return { accepted, ran };
  }

  const liveLeases = async () =>
    Number(
      (await admin.query(`SELECT count(*) AS n FROM hub_instances WHERE lease_until > (extract(epoch from clock_timestamp()) * 1000)::bigint`))
        .rows[0].n,
    );

  it('2,000 delete-or-rotate-on-A-then-use-on-B races under load: none accepted', async () => {
    assert.strictEqual(await liveLeases(), 2, 'both hubs hold a lease');
    const started = Date.now();
    const { accepted, ran } = await races('calm', 2000, 8);
    console.log(`      ${ran} races in ${Date.now() - started} ms`);
    assert.deepStrictEqual(accepted, []);
    assert.strictEqual(ran, 2000);
  });

  it('1,000 races while the listening connections are killed again and again: none accepted; both listeners come back', async () => {
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        const { rows } = await admin.query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'tokenhub-listener'`,
        );
        kills += rows.filter((row) => row.killed).length;
        await sleep(50 + Math.random() * 250);
      }
    })();
    let result: { accepted: string[]; ran: number };
    try {
      result = await races('killed', 1000, 8);
    } finally {
      killing = false;
      await killer;
    }
    console.log(`      ${result.ran} races, ${kills} listening connections killed`);
    assert.deepStrictEqual(result.accepted, []);
    assert.ok(kills >= 10, `only ${kills} kills`);

    // Both come back by themselves: two live leases again, and a delete still refused at once on B.
    const deadline = Date.now() + 30_000;
    while ((await liveLeases()) < 2) {
      assert.ok(Date.now() < deadline, 'the listeners did not come back within 30 s');
      await sleep(100);
    }
    const after = await races('healed', 200, 4);
    assert.deepStrictEqual(after.accepted, []);
  });

  it("B's cache was used: its shutdown line counts its hits", async () => {
    const code = await b.stop();
    assert.strictEqual(code, 0);
    const line = /Token cache: (\d+) hits, (\d+) misses/.exec(b.output());
    assert.ok(line, `no token cache line in B's output:\n${b.output().slice(-2000)}`);
    console.log(`      B's cache: ${line[1]} hits, ${line[2]} misses`);
    assert.ok(Number(line[1]) > 1000, `only ${line[1]} hits`);
  });
});
