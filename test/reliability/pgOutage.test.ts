// PostgreSQL stopped and started again under a hub that is busy. test/hub/postgres.multi.test.ts already checks the
// outage one request at a time (503 service_unavailable while down, healing without a restart, two hubs). This adds
// continuous traffic across the outage, which is where a pool's stale connections and in-flight transactions show:
// - before the stop every request succeeds; between the stop and the start every request gets 503
//   service_unavailable with Retry-After (never a 500, a hang or a dropped connection);
// - after the start the hub heals by itself (same process) within seconds, and from its first success on no request
//   gets a 503 again: 503 only while the database is really down;
// - a create answered 503 during the outage left nothing behind.
import assert from 'assert';
import type { TokenPage, TokenWithSecret } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { call, client } from '../hub/helpers';
import { sleep } from './support';

interface Sample {
  kind: 'invoke' | 'get' | 'create';
  start: number;
  end: number;
  status: number; // 0: no answer (network error)
  code?: string;
  retryAfter?: string | null;
  name?: string;
}

describe('reliability: PostgreSQL restarted under a busy hub', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let hub: HubProcess;

  before(async () => {
    cluster = await startPostgres();
    hub = await startHub({ db: await cluster.createDatabase('outage'), args: ['--auth-failure-limit', '1000000'] });
  });
  after(async () => {
    await hub?.stop();
    await cluster?.stop();
  });

  it('503 exactly while it is down, under load; heals without a restart; a refused create leaves nothing', async () => {
    const { accountKey } = await hub.init('outage', ['chat-completions']);
    const api = client(hub.url, accountKey);
    const seed = await api.post<TokenWithSecret>('/v1/tokens', { name: 'steady', endpoints: ['chat-completions'] });
    assert.strictEqual(seed.status, 201);
    const pid = hub.process.pid;

    const samples: Sample[] = [];
    let running = true;
    let serial = 0;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const kind = (['invoke', 'get', 'create'] as const)[(i + w) % 3];
        const start = Date.now();
        const name = kind === 'create' ? `during-${serial++}` : undefined;
        try {
          const res =
            kind === 'invoke'
              ? await api.invoke('chat-completions', seed.body.secret)
              : kind === 'get'
                ? await api.get(`/v1/tokens/${seed.body.token.id}`)
                : await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] });
          samples.push({ kind, start, end: Date.now(), status: res.status, code: res.body?.error?.code, retryAfter: res.headers.get('retry-after'), name });
        } catch {
          samples.push({ kind, start, end: Date.now(), status: 0, name });
        }
        await sleep(5);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);

    await sleep(1500);
    const stopping = Date.now();
    await cluster.stopServer();
    const down = Date.now();
    await sleep(2500);
    const starting = Date.now();
    await cluster.startServer();
    const up = Date.now();
    // Run until well after the first success following the restart.
    for (let i = 0; i < 400 && !samples.some((s) => s.start > up && s.status >= 200 && s.status < 300); i++) await sleep(50);
    await sleep(2500);
    running = false;
    await Promise.all(workers);

    const bad = (list: Sample[]) => list.map((s) => `${s.kind} ${s.status} ${s.code ?? ''} at +${s.start - stopping} ms`).slice(0, 10).join('; ');
    // Never anything but a success or a 503 service_unavailable, and never no answer at all.
    const odd = samples.filter((s) => !(s.status >= 200 && s.status < 300) && !(s.status === 503 && s.code === 'service_unavailable'));
    assert.deepStrictEqual(odd, [], `answers other than 2xx and 503: ${bad(odd)}\nthe hub printed:\n${hub.output().slice(-4000)}`);
    const unavailable = samples.filter((s) => s.status === 503);
    assert.ok(unavailable.every((s) => Number(s.retryAfter) > 0), 'every 503 has Retry-After');

    const before = samples.filter((s) => s.end < stopping);
    const during = samples.filter((s) => s.start > down && s.end < starting);
    const after = samples.filter((s) => s.start > up);
    assert.ok(before.length > 20 && during.length > 20 && after.length > 20, `${before.length} before, ${during.length} during, ${after.length} after`);
    assert.ok(before.every((s) => s.status < 300), `failures before the outage: ${bad(before.filter((s) => s.status >= 300))}`);
    assert.ok(during.every((s) => s.status === 503), `successes while down: ${bad(during.filter((s) => s.status !== 503))}`);
    const firstSuccess = Math.min(...after.filter((s) => s.status < 300).map((s) => s.end));
    assert.ok(firstSuccess - up < 15_000, `healed ${firstSuccess - up} ms after PostgreSQL was back`);
    const late = after.filter((s) => s.start > firstSuccess && s.status === 503);
    assert.deepStrictEqual(late.length, 0, `503 after the hub had healed: ${bad(late)}`);

    assert.strictEqual(hub.process.pid, pid);
    assert.strictEqual(hub.process.exitCode, null, 'the same process, never restarted');
    // Creates refused while PostgreSQL was down left nothing behind; those answered 201 exist.
    const listed = new Set<string>();
    for (let cursor: string | null = null; ; ) {
      const page: { body: TokenPage } = await api.get<TokenPage>(`/v1/tokens?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      for (const token of page.body.data) listed.add(token.name);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    for (const s of samples.filter((x) => x.kind === 'create')) {
      if (s.status === 201) assert.ok(listed.has(s.name!), `${s.name} was created (201) but is missing`);
      if (s.status === 503 && s.start > down && s.end < starting) assert.ok(!listed.has(s.name!), `${s.name} was refused (503) but exists`);
    }
    assert.strictEqual((await call(hub.url, 'GET', '/healthz')).status, 200);
    console.log(
      `      ${samples.length} requests: ${before.length} before, ${during.length} while down (all 503), ${after.length} after; ` +
        `healed ${firstSuccess - up} ms after the restart`,
    );
  });
});
