// The contract of docs/api.md, checked against a real hub process over real HTTP. Run once per store:
// contract.sqlite.test.ts and contract.postgres.test.ts call contractSuite() with their database.
//
// Time: a token past its expiry (or a previous secret past its grace) is checked on a second hub process on the
// same database whose clock runs 10 minutes ahead (TOKENHUB_TEST_CLOCK_OFFSET_MS, read once at start-up and
// honoured only through that variable): no test waits for a real minute, and nothing is written behind the hub's back.
import assert from 'assert';
import type { Token, TokenPage, TokenWithSecret } from '../../src/contract/types';
import { generateToken, isValidToken, maskCandidates, maskToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { withWrongChecksum } from '../support/tokens';
import { call, client, expectError, sleep } from './helpers';

export interface ContractDatabase {
  /** A fresh database for one suite: a postgres:// URL, or undefined for the default SQLite file. */
  create(name: string): Promise<string | undefined>;
}

const DAY = 86_400_000;
const AHEAD_MS = 10 * 60_000;

export function contractSuite(label: string, database: ContractDatabase): void {
  describe(`hub contract (${label})`, function () {
    this.timeout(60_000);
    let hub: HubProcess;
    let ahead: HubProcess; // same database, clock 10 minutes ahead
    let acme: { workspaceId: string; accountKey: string };
    let globex: { workspaceId: string; accountKey: string };
    let initech: { workspaceId: string; accountKey: string };
    let api: ReturnType<typeof client>;

    before(async () => {
      const db = await database.create('contract');
      hub = await startHub({ db, args: ['--auth-failure-limit', '100000'] });
      acme = await hub.init('acme', ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation']);
      globex = await hub.init('globex', ['chat-completions']);
      initech = await hub.init('initech', ['chat'], ['--allow-no-expiry', '--default-lifetime-days', '7', '--max-lifetime-days', '10']);
      ahead = await startHub({ db: hub.db, args: ['--auth-failure-limit', '100000'], env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(AHEAD_MS) } });
      api = client(hub.url, acme.accountKey);
    });

    after(async () => {
      await ahead?.stop();
      await hub?.stop();
    });

    let counter = 0;
    const uniqueName = (base = 'tok') => `${base}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
    async function create(body: Record<string, unknown> = {}, key = acme.accountKey): Promise<TokenWithSecret> {
      const res = await call<TokenWithSecret>(hub.url, 'POST', '/v1/tokens', {
        key,
        json: { name: uniqueName(), endpoints: ['chat-completions'], ...body },
      });
      assert.strictEqual(res.status, 201, res.text);
      return res.body;
    }

    describe('basics', () => {
      it('GET /healthz answers without credentials', async () => {
        const res = await call(hub.url, 'GET', '/healthz');
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(res.body, { ok: true });
      });

      it('GET /v1/workspace returns the workspace of the key with the default policy', async () => {
        const res = await api.get('/v1/workspace');
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(res.body, {
          id: acme.workspaceId,
          name: 'acme',
          policy: { defaultLifetimeDays: 30, maxLifetimeDays: 365, allowNoExpiry: false },
        });
        const other = await api.get('/v1/workspace', { key: initech.accountKey });
        assert.deepStrictEqual(other.body.policy, { defaultLifetimeDays: 7, maxLifetimeDays: 10, allowNoExpiry: true });
      });

      it('GET /v1/endpoints lists the endpoints of the workspace only', async () => {
        const res = await api.get('/v1/endpoints');
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(res.body, {
          data: [
            { id: 'chat-completions', name: 'Chat completions', description: '' },
            { id: 'embeddings', name: 'Embeddings', description: '' },
            { id: 'moderation', name: 'moderation', description: '' },
          ],
        });
        const other = await api.get('/v1/endpoints', { key: globex.accountKey });
        assert.deepStrictEqual(other.body.data.map((e: { id: string }) => e.id), ['chat-completions']);
      });

      it('unknown routes and wrong methods get 404 not_found in the error shape', async () => {
        expectError(await call(hub.url, 'GET', '/v1/nothing'), 404, 'not_found');
        expectError(await call(hub.url, 'PUT', '/v1/tokens', { key: acme.accountKey }), 404, 'not_found');
        expectError(await call(hub.url, 'PATCH', '/v1/workspace'), 404, 'not_found');
        expectError(await call(hub.url, 'GET', '/'), 404, 'not_found');
      });
    });

    describe('authentication of management calls', () => {
      const paths = ['/v1/workspace', '/v1/endpoints', '/v1/tokens', '/v1/tokens/tok_0000000000000000'];

      it('a missing credential gets 401 unauthorized on every management call', async () => {
        for (const path of paths) expectError(await call(hub.url, 'GET', path), 401, 'unauthorized');
        expectError(await call(hub.url, 'POST', '/v1/tokens', { json: { name: 'x', endpoints: ['chat-completions'] } }), 401, 'unauthorized');
        expectError(await call(hub.url, 'POST', '/v1/tokens/tok_0000000000000000/rotate'), 401, 'unauthorized');
        expectError(await call(hub.url, 'DELETE', '/v1/tokens/tok_0000000000000000'), 401, 'unauthorized');
      });

      it('malformed, wrong-checksum, unknown and wrong-kind credentials get 401', async () => {
        const key = acme.accountKey;
        const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
        const { secret } = await create();
        const candidates = [
          'nonsense',
          key.slice(0, -1),
          flipped,
          generateToken('thak_'), // well-formed, never issued
          secret, // an access token is not an account key
          `${key} extra`,
        ];
        for (const candidate of candidates) {
          expectError(await call(hub.url, 'GET', '/v1/workspace', { key: candidate }), 401, 'unauthorized');
        }
        expectError(
          await call(hub.url, 'GET', '/v1/workspace', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
          401,
          'unauthorized',
        );
        const lower = await call(hub.url, 'GET', '/v1/workspace', { headers: { authorization: `bearer ${key}` } });
        assert.strictEqual(lower.status, 200, 'the scheme is case-insensitive');
      });

      it('no secret appears in error messages', async () => {
        const res = await call(hub.url, 'GET', '/v1/workspace', { key: withWrongChecksum(acme.accountKey) });
        assert.ok(!res.text.includes(acme.accountKey.slice(5, 20)));
      });
    });

    describe('creating tokens', () => {
      it('creates a token: 201, the secret once, the token as every response shows it', async () => {
        const before = Date.now();
        const name = uniqueName('billing');
        const res = await api.post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions', 'embeddings'] });
        assert.strictEqual(res.status, 201, res.text);
        const { token, secret } = res.body;
        assert.deepStrictEqual(Object.keys(res.body).sort(), ['secret', 'token']);
        assert.deepStrictEqual(Object.keys(token).sort(), ['createdAt', 'endpoints', 'expiresAt', 'id', 'lastUsedAt', 'maskedKey', 'name']);
        assert.match(token.id, /^tok_[0-9A-Za-z]{16}$/);
        assert.ok(isValidToken(secret, 'thub_'));
        assert.strictEqual(token.maskedKey, maskToken(secret));
        assert.match(token.maskedKey, /^thub_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$/);
        assert.strictEqual(token.name, name);
        assert.deepStrictEqual(token.endpoints, ['chat-completions', 'embeddings']);
        assert.strictEqual(token.lastUsedAt, null);
        const created = Date.parse(token.createdAt);
        assert.ok(created >= before - 1000 && created <= Date.now() + 1000);
        assert.strictEqual(token.createdAt, new Date(created).toISOString());
        assert.strictEqual(Date.parse(token.expiresAt!) - created, 30 * DAY, 'omitted expiresAt means now + defaultLifetimeDays');

        const fetched = await api.get<Token>(`/v1/tokens/${token.id}`);
        assert.strictEqual(fetched.status, 200);
        assert.deepStrictEqual(fetched.body, token);
        assert.ok(!fetched.text.includes(secret.slice(5)));
        const listed = await api.get<TokenPage>(`/v1/tokens?search=${name}`);
        assert.deepStrictEqual(listed.body.data, [token]);
        assert.ok(!listed.text.includes(secret.slice(5)));
      });

      it('checks the name: pattern, length, presence, type', async () => {
        const bad: unknown[] = ['', 'Billing', 'has space', '-lead', 'trail-', 'under_score', 'a'.repeat(65), 'ünï', 42, null, ['a'], {}];
        for (const name of bad) {
          const res = await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] });
          expectError(res, 422, 'invalid_name', 'name');
        }
        expectError(await api.post('/v1/tokens', { endpoints: ['chat-completions'] }), 422, 'invalid_name', 'name');
        const longest = `a${Date.now().toString(36)}`.padEnd(64, 'x');
        assert.strictEqual((await api.post('/v1/tokens', { name: longest, endpoints: ['chat-completions'] })).status, 201);
        assert.strictEqual((await api.post('/v1/tokens', { name: `7${Date.now().toString(36)}`, endpoints: ['chat-completions'] })).status, 201);
      });

      it('names are unique among the live tokens of a workspace, not across workspaces', async () => {
        const name = uniqueName('dup');
        const first = await api.post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] });
        assert.strictEqual(first.status, 201);
        expectError(await api.post('/v1/tokens', { name, endpoints: ['embeddings'] }), 409, 'name_taken', 'name');
        const elsewhere = await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] }, { key: globex.accountKey });
        assert.strictEqual(elsewhere.status, 201, 'another workspace may use the name');
        assert.strictEqual((await api.del(`/v1/tokens/${first.body.token.id}`)).status, 204);
        assert.strictEqual((await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] })).status, 201, 'free again after delete');
      });

      it('checks endpoints: 1 to 50 distinct ids of the workspace', async () => {
        const cases: unknown[] = [
          [],
          ['chat-completions', 'chat-completions'],
          ['no-such-endpoint'],
          ['chat-completions', 'unknown'],
          Array.from({ length: 51 }, (_, i) => `e${i}`),
          'chat-completions',
          [42],
          [''],
          null,
        ];
        for (const endpoints of cases) {
          expectError(await api.post('/v1/tokens', { name: uniqueName(), endpoints }), 422, 'invalid_endpoints', 'endpoints');
        }
        expectError(await api.post('/v1/tokens', { name: uniqueName() }), 422, 'invalid_endpoints', 'endpoints');
        // An endpoint of another workspace is not one of this workspace.
        expectError(
          await api.post('/v1/tokens', { name: uniqueName(), endpoints: ['embeddings'] }, { key: globex.accountKey }),
          422,
          'invalid_endpoints',
          'endpoints',
        );
      });

      it('checks expiresAt against the policy', async () => {
        const now = Date.now();
        const bad: unknown[] = [
          new Date(now + 30_000).toISOString(), // less than a minute ahead
          new Date(now - DAY).toISOString(), // past
          new Date(now + 366 * DAY).toISOString(), // beyond maxLifetimeDays
          null, // allowNoExpiry is false
          'tomorrow',
          '2026-02-31T00:00:00Z',
          12345,
        ];
        for (const expiresAt of bad) {
          expectError(await api.post('/v1/tokens', { name: uniqueName(), endpoints: ['chat-completions'], expiresAt }), 422, 'invalid_expires_at', 'expiresAt');
        }
        const inTwoMinutes = new Date(now + 2 * 60_000).toISOString();
        const ok = await create({ expiresAt: inTwoMinutes });
        assert.strictEqual(ok.token.expiresAt, inTwoMinutes);
        const longest = new Date(now + 364 * DAY).toISOString();
        assert.strictEqual((await create({ expiresAt: longest })).token.expiresAt, longest);
      });

      it('expiresAt null and the default lifetime follow the workspace policy', async () => {
        const never = await create({ endpoints: ['chat'], expiresAt: null }, initech.accountKey);
        assert.strictEqual(never.token.expiresAt, null);
        const byDefault = await create({ endpoints: ['chat'] }, initech.accountKey);
        assert.strictEqual(Date.parse(byDefault.token.expiresAt!) - Date.parse(byDefault.token.createdAt), 7 * DAY);
        expectError(
          await api.post('/v1/tokens', { name: uniqueName(), endpoints: ['chat'], expiresAt: new Date(Date.now() + 11 * DAY).toISOString() }, { key: initech.accountKey }),
          422,
          'invalid_expires_at',
        );
        // A token that never expires works.
        assert.strictEqual((await api.invoke('chat', never.secret)).status, 200);
      });

      it('ignores unknown fields', async () => {
        const res = await api.post<TokenWithSecret>('/v1/tokens', { name: uniqueName(), endpoints: ['chat-completions'], color: 'blue', secret: 'x' });
        assert.strictEqual(res.status, 201);
        assert.ok(!('color' in res.body.token));
      });
    });

    describe('request bodies', () => {
      const post = (body: string | Buffer, contentType = 'application/json') =>
        call(hub.url, 'POST', '/v1/tokens', { key: acme.accountKey, body, headers: { 'content-type': contentType } });

      it('a body that is not JSON gets 400 bad_request', async () => {
        expectError(await post('{"name": '), 400, 'bad_request');
        expectError(await post('not json'), 400, 'bad_request');
        expectError(await post(''), 400, 'bad_request');
        expectError(await post('name=x', 'application/x-www-form-urlencoded'), 400, 'bad_request');
        expectError(await post('hello', 'text/plain'), 400, 'bad_request');
        expectError(await call(hub.url, 'POST', '/v1/tokens', { key: acme.accountKey }), 400, 'bad_request');
      });

      it('a JSON body that is not an object gets 400 bad_request', async () => {
        for (const body of ['[]', '"name"', '42', 'null', 'true', '[{"name":"a"}]']) expectError(await post(body), 400, 'bad_request');
      });

      it('a body over 64 KiB gets 400 bad_request; just under is read', async () => {
        const big = JSON.stringify({ name: uniqueName(), endpoints: ['chat-completions'], padding: 'x'.repeat(70 * 1024) });
        expectError(await post(big), 400, 'bad_request');
        const fits = JSON.stringify({ name: uniqueName(), endpoints: ['chat-completions'], padding: 'x'.repeat(60 * 1024) });
        assert.strictEqual((await post(fits)).status, 201);
      });

      it('prototype keys in a body do no harm', async () => {
        const res = await post(`{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "name": "${uniqueName()}", "endpoints": ["chat-completions"]}`);
        assert.ok([201, 400].includes(res.status), res.text);
        assert.strictEqual(({} as Record<string, unknown>).admin, undefined);
      });
    });

    describe('reading and deleting tokens', () => {
      it('GET and DELETE of an unknown id get 404 not_found', async () => {
        expectError(await api.get('/v1/tokens/tok_0000000000000000'), 404, 'not_found');
        expectError(await api.get('/v1/tokens/whatever'), 404, 'not_found');
        expectError(await api.del('/v1/tokens/tok_0000000000000000'), 404, 'not_found');
        expectError(await api.post('/v1/tokens/tok_0000000000000000/rotate', {}), 404, 'not_found');
      });

      it('delete revokes at once: 204, then 404, and the secret gets 401', async () => {
        const { token, secret } = await create();
        assert.strictEqual((await api.invoke('chat-completions', secret)).status, 200);
        const res = await api.del(`/v1/tokens/${token.id}`);
        assert.strictEqual(res.status, 204);
        assert.strictEqual(res.text, '');
        expectError(await api.get(`/v1/tokens/${token.id}`), 404, 'not_found');
        expectError(await api.del(`/v1/tokens/${token.id}`), 404, 'not_found');
        expectError(await api.invoke('chat-completions', secret), 401, 'unauthorized');
        expectError(await client(ahead.url).invoke('chat-completions', secret), 401, 'unauthorized');
      });
    });

    describe('two hub processes on one database', () => {
      it('a token just used at the other process is revoked there on its next request (delete and rotate)', async () => {
        const other = client(ahead.url);
        for (let round = 0; round < 3; round++) {
          const { token, secret } = await create();
          for (let i = 0; i < 3; i++) assert.strictEqual((await other.invoke('chat-completions', secret)).status, 200);
          assert.strictEqual((await api.del(`/v1/tokens/${token.id}`)).status, 204);
          expectError(await other.invoke('chat-completions', secret), 401, 'unauthorized');
        }
        const { token, secret } = await create();
        assert.strictEqual((await other.invoke('chat-completions', secret)).status, 200);
        const rotated = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {});
        expectError(await other.invoke('chat-completions', secret), 401, 'unauthorized');
        assert.strictEqual((await other.invoke('chat-completions', rotated.body.secret)).status, 200);
        // And the other way round: deleted at the other process, seen here.
        assert.strictEqual((await api.invoke('chat-completions', rotated.body.secret)).status, 200);
        assert.strictEqual((await client(ahead.url, acme.accountKey).del(`/v1/tokens/${token.id}`)).status, 204);
        expectError(await api.invoke('chat-completions', rotated.body.secret), 401, 'unauthorized');
      });
    });

    describe('workspace isolation', () => {
      it('nothing of one workspace is visible to another', async () => {
        const mine = await create({ name: uniqueName('isolated') });
        const g = client(hub.url, globex.accountKey);
        expectError(await g.get(`/v1/tokens/${mine.token.id}`), 404, 'not_found');
        expectError(await g.del(`/v1/tokens/${mine.token.id}`), 404, 'not_found');
        expectError(await g.post(`/v1/tokens/${mine.token.id}/rotate`, {}), 404, 'not_found');
        const all: Token[] = [];
        for (let cursor: string | null = ''; cursor !== null; ) {
          const page: { body: TokenPage } = await g.get<TokenPage>(`/v1/tokens?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
          all.push(...page.body.data);
          cursor = page.body.nextCursor;
        }
        assert.ok(!all.some((t) => t.id === mine.token.id));
        assert.strictEqual((await api.get(`/v1/tokens/${mine.token.id}`)).status, 200, 'still there for its owner');
        // A cursor of one workspace does not reveal the other's tokens either.
        const page = await api.get<TokenPage>('/v1/tokens?limit=1');
        const foreign = await g.get<TokenPage>(`/v1/tokens?cursor=${page.body.nextCursor}`);
        assert.strictEqual(foreign.status, 200);
        assert.ok(foreign.body.data.every((t) => !t.name.startsWith('isolated')));
        // Same endpoint id in two workspaces: each token is scoped to its own workspace's endpoint.
        const theirs = await create({ endpoints: ['chat-completions'] }, globex.accountKey);
        const res = await api.invoke('chat-completions', theirs.secret);
        assert.deepStrictEqual(res.body, { endpoint: 'chat-completions', tokenId: theirs.token.id });
        expectError(await api.invoke('embeddings', theirs.secret), 403, 'forbidden');
      });

      it('a forged but well-formed cursor is answered 200 from the caller\'s own tokens only', async () => {
        const theirs = await create({ name: uniqueName('forged') });
        const g = client(hub.url, globex.accountKey);
        const own: Token[] = [];
        for (let cursor: string | null = ''; cursor !== null; ) {
          const page: { body: TokenPage } = await g.get<TokenPage>(`/v1/tokens?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
          own.push(...page.body.data);
          cursor = page.body.nextCursor;
        }
        const ownIds = new Set(own.map((t) => t.id));
        const at = Date.parse(theirs.token.createdAt);
        // Positions around the other workspace's token (its own keyset position included), the ends of time, and
        // ids that sort before and after every id.
        const positions = [at, at + 1, at - 1, 0, 999_999_999_999_999, Date.now() + 86_400_000];
        const ids = [theirs.token.id, 'tok_0000000000000000', 'tok_zzzzzzzzzzzzzzzz'];
        for (const position of positions) {
          for (const id of ids) {
            const cursor = Buffer.from(`${position}:${id}`, 'utf8').toString('base64url');
            for (const extra of ['', '&search=forged', `&maskedKey=${encodeURIComponent(theirs.token.maskedKey)}`]) {
              const res = await g.get<TokenPage>(`/v1/tokens?limit=200&cursor=${cursor}${extra}`);
              assert.strictEqual(res.status, 200, res.text);
              for (const token of res.body.data) assert.ok(ownIds.has(token.id), `${position}:${id}${extra} showed ${token.id}`);
              assert.ok(!res.text.includes(theirs.token.id) && !res.text.includes(theirs.token.maskedKey), 'nothing of the other workspace');
            }
          }
        }
      });
    });

    describe('listing', () => {
      let paging: { workspaceId: string; accountKey: string };
      let p: ReturnType<typeof client>;
      const names: string[] = [];

      before(async () => {
        paging = await hub.init(`paging-${label.toLowerCase()}`, ['chat-completions']);
        p = client(hub.url, paging.accountKey);
        for (let i = 0; i < 57; i++) {
          const name = `page-${String(i).padStart(3, '0')}${i % 5 === 0 ? '-blue' : ''}`;
          const res = await p.post('/v1/tokens', { name, endpoints: ['chat-completions'] });
          assert.strictEqual(res.status, 201, res.text);
          names.push(name);
        }
      });

      it('lists newest first, 50 by default, with an opaque cursor', async () => {
        const first = await p.get<TokenPage>('/v1/tokens');
        assert.strictEqual(first.status, 200);
        assert.strictEqual(first.body.data.length, 50);
        assert.strictEqual(typeof first.body.nextCursor, 'string');
        const times = first.body.data.map((t) => Date.parse(t.createdAt));
        assert.deepStrictEqual(times, [...times].sort((a, b) => b - a), 'newest first');
        assert.strictEqual(first.body.data[0].name, names[names.length - 1]);
        const second = await p.get<TokenPage>(`/v1/tokens?cursor=${encodeURIComponent(first.body.nextCursor!)}`);
        assert.strictEqual(second.body.data.length, 7);
        assert.strictEqual(second.body.nextCursor, null);
        const seen = [...first.body.data, ...second.body.data].map((t) => t.name).sort();
        assert.deepStrictEqual(seen, [...names].sort());
      });

      it('visits every pre-existing token exactly once while tokens are created between pages', async () => {
        const seen = new Map<string, number>();
        let cursor: string | null = null;
        let pages = 0;
        let extra = 0;
        do {
          const res: { status: number; body: TokenPage } = await p.get<TokenPage>(`/v1/tokens?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
          assert.strictEqual(res.status, 200);
          for (const t of res.body.data) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
          cursor = res.body.nextCursor;
          pages++;
          // A token created between two pages: newer than all, so it does not disturb the walk.
          const created = await p.post('/v1/tokens', { name: `between-${label.toLowerCase()}-${extra++}`, endpoints: ['chat-completions'] });
          assert.strictEqual(created.status, 201);
        } while (cursor !== null && pages < 50);
        for (const name of names) assert.strictEqual(seen.get(name), 1, `${name} seen ${seen.get(name) ?? 0} times`);
        for (const count of seen.values()) assert.strictEqual(count, 1);
        assert.strictEqual(pages, Math.ceil(names.length / 7));
        // Clean up the extra tokens so other tests see the 57 of before().
        const all = await p.get<TokenPage>('/v1/tokens?limit=200&search=between');
        for (const t of all.body.data) assert.strictEqual((await p.del(`/v1/tokens/${t.id}`)).status, 204);
      });

      it('limit is 1 to 200; anything else gets 422 invalid_limit', async () => {
        assert.strictEqual((await p.get<TokenPage>('/v1/tokens?limit=1')).body.data.length, 1);
        assert.strictEqual((await p.get<TokenPage>('/v1/tokens?limit=200')).body.data.length, 57);
        for (const limit of ['0', '201', '-1', '1.5', 'abc', '', '1e3', '99999999999999999999']) {
          expectError(await p.get(`/v1/tokens?limit=${limit}`), 422, 'invalid_limit', 'limit');
        }
      });

      it('a cursor the hub did not give out gets 422 invalid_cursor', async () => {
        for (const cursor of ['!!!', 'abc', Buffer.from('123:nope').toString('base64url'), Buffer.from('x:tok_0000000000000000').toString('base64url'), 'x'.repeat(300)]) {
          expectError(await p.get(`/v1/tokens?cursor=${encodeURIComponent(cursor)}`), 422, 'invalid_cursor', 'cursor');
        }
      });

      it('search matches within names, literally, and pages too', async () => {
        const blue = await p.get<TokenPage>('/v1/tokens?search=blue&limit=200');
        assert.deepStrictEqual(blue.body.data.map((t) => t.name).sort(), names.filter((n) => n.includes('blue')).sort());
        const middle = await p.get<TokenPage>('/v1/tokens?search=ge-01');
        assert.deepStrictEqual(middle.body.data.map((t) => t.name).sort(), names.filter((n) => n.includes('ge-01')).sort());
        // LIKE wildcards are matched literally: "_" and "%" match nothing here, "page_0" is not "page-0".
        for (const search of ['%', '_', 'page_0', 'pa%ge', '\\']) {
          const res = await p.get<TokenPage>(`/v1/tokens?search=${encodeURIComponent(search)}`);
          assert.strictEqual(res.status, 200);
          assert.deepStrictEqual(res.body.data, [], `search ${search}`);
        }
        const upper = await p.get<TokenPage>('/v1/tokens?search=BLUE&limit=200');
        assert.strictEqual(upper.body.data.length, blue.body.data.length, 'search ignores case (names are lowercase)');
        const paged: string[] = [];
        for (let cursor: string | null = ''; cursor !== null; ) {
          const res: { body: TokenPage } = await p.get<TokenPage>(`/v1/tokens?search=blue&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          paged.push(...res.body.data.map((t) => t.name));
          cursor = res.body.nextCursor;
        }
        assert.deepStrictEqual(paged.sort(), names.filter((n) => n.includes('blue')).sort());
        expectError(await p.get(`/v1/tokens?search=${'a'.repeat(65)}`), 422, 'invalid_search', 'search');
      });
    });

    describe('invoke', () => {
      it('a token scoped to the endpoint gets 200 with the endpoint and its id', async () => {
        const { token, secret } = await create({ endpoints: ['chat-completions', 'embeddings'] });
        for (const endpoint of ['chat-completions', 'embeddings']) {
          const res = await api.invoke(endpoint, secret);
          assert.strictEqual(res.status, 200);
          assert.deepStrictEqual(res.body, { endpoint, tokenId: token.id });
        }
      });

      it('a valid token not scoped to the endpoint gets 403, also for an endpoint that does not exist', async () => {
        const { secret } = await create({ endpoints: ['chat-completions'] });
        expectError(await api.invoke('embeddings', secret), 403, 'forbidden');
        expectError(await api.invoke('no-such-endpoint', secret), 403, 'forbidden');
      });

      it('missing, malformed, unknown and account-key credentials get 401', async () => {
        const { secret } = await create();
        const flipped = secret.slice(0, 30) + (secret[30] === 'a' ? 'b' : 'a') + secret.slice(31);
        for (const candidate of [undefined, 'x', flipped, secret.slice(0, -1), generateToken('thub_'), acme.accountKey]) {
          expectError(await api.invoke('chat-completions', candidate), 401, 'unauthorized');
        }
      });

      it('ignores a body of any type', async () => {
        const { secret } = await create();
        for (const [body, type] of [['{"a":1}', 'application/json'], ['hello', 'text/plain'], [Buffer.from([1, 2, 3]), 'application/octet-stream']] as const) {
          const res = await call(hub.url, 'POST', '/v1/endpoints/chat-completions/invoke', { key: secret, body, headers: { 'content-type': type } });
          assert.strictEqual(res.status, 200, res.text);
        }
      });

      it('records the last use: lastUsedAt appears in GET and in the list', async () => {
        const { token, secret } = await create({ name: uniqueName('used') });
        const before = Date.now();
        assert.strictEqual((await api.invoke('chat-completions', secret)).status, 200);
        const got = await api.get<Token>(`/v1/tokens/${token.id}`);
        assert.ok(got.body.lastUsedAt !== null, 'lastUsedAt is set');
        assert.ok(Date.parse(got.body.lastUsedAt!) >= before - 1000);
        const listed = await api.get<TokenPage>(`/v1/tokens?search=${token.name}`);
        assert.strictEqual(listed.body.data[0].lastUsedAt, got.body.lastUsedAt);
        // Another process sees it once written (at most a minute later; the first use is written within ~1 s).
        let elsewhere: string | null = null;
        // Polled for up to 20 s: on a loaded machine the writer's first turn can come late.
        for (let i = 0; i < 200 && elsewhere === null; i++) {
          await sleep(100);
          elsewhere = (await client(ahead.url, acme.accountKey).get<Token>(`/v1/tokens/${token.id}`)).body.lastUsedAt;
        }
        assert.strictEqual(elsewhere, got.body.lastUsedAt);
      });
    });

    describe('expiry', () => {
      it('an expired token gets 401 and still lists with its expiresAt in the past', async () => {
        const expiresAt = new Date(Date.now() + 2 * 60_000).toISOString();
        const { token, secret } = await create({ name: uniqueName('expiring'), expiresAt });
        assert.strictEqual((await api.invoke('chat-completions', secret)).status, 200, 'valid now');
        // Ten minutes later (the clock of the second hub on the same database):
        const later = client(ahead.url, acme.accountKey);
        expectError(await later.invoke('chat-completions', secret), 401, 'unauthorized');
        const listed = await later.get<TokenPage>(`/v1/tokens?search=${token.name}`);
        assert.strictEqual(listed.body.data.length, 1);
        assert.strictEqual(listed.body.data[0].expiresAt, expiresAt);
        assert.strictEqual((await later.get(`/v1/tokens/${token.id}`)).status, 200);
      });
    });

    describe('rotate', () => {
      it('gives the same token a new secret; without grace the old one stops at once', async () => {
        const { token, secret } = await create({ endpoints: ['chat-completions'] });
        const res = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {});
        assert.strictEqual(res.status, 201, res.text);
        assert.strictEqual(res.body.token.id, token.id);
        assert.notStrictEqual(res.body.secret, secret);
        assert.ok(isValidToken(res.body.secret, 'thub_'));
        assert.strictEqual(res.body.token.maskedKey, maskToken(res.body.secret));
        assert.strictEqual(res.body.token.name, token.name);
        assert.deepStrictEqual(res.body.token.endpoints, token.endpoints);
        assert.strictEqual(res.body.token.createdAt, token.createdAt);
        assert.strictEqual(res.body.token.expiresAt, token.expiresAt);
        expectError(await api.invoke('chat-completions', secret), 401, 'unauthorized');
        assert.strictEqual((await api.invoke('chat-completions', res.body.secret)).status, 200);
        assert.strictEqual((await api.get<Token>(`/v1/tokens/${token.id}`)).body.maskedKey, res.body.token.maskedKey);
      });

      it('a rotate without any body means graceSeconds 0', async () => {
        const { token, secret } = await create();
        const res = await call<TokenWithSecret>(hub.url, 'POST', `/v1/tokens/${token.id}/rotate`, { key: acme.accountKey });
        assert.strictEqual(res.status, 201, res.text);
        expectError(await api.invoke('chat-completions', secret), 401, 'unauthorized');
      });

      it('with graceSeconds the old secret keeps working for that long, then stops', async () => {
        const { token, secret } = await create();
        const res = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 300 });
        assert.strictEqual(res.status, 201);
        assert.strictEqual((await api.invoke('chat-completions', secret)).status, 200, 'old secret within grace');
        assert.strictEqual((await api.invoke('chat-completions', res.body.secret)).status, 200, 'new secret');
        // Ten minutes later the grace (5 minutes) is over; the new secret still works.
        const later = client(ahead.url);
        expectError(await later.invoke('chat-completions', secret), 401, 'unauthorized');
        assert.strictEqual((await later.invoke('chat-completions', res.body.secret)).status, 200);
        // A second rotation drops the first secret even within its grace: one previous secret at most.
        const again = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 300 });
        expectError(await api.invoke('chat-completions', secret), 401, 'unauthorized');
        assert.strictEqual((await api.invoke('chat-completions', res.body.secret)).status, 200);
        assert.strictEqual((await api.invoke('chat-completions', again.body.secret)).status, 200);
      });

      it('checks graceSeconds: a whole number from 0 to 86400', async () => {
        const { token } = await create();
        for (const graceSeconds of [-1, 86401, 1.5, '10', null, true]) {
          expectError(await api.post(`/v1/tokens/${token.id}/rotate`, { graceSeconds }), 422, 'invalid_grace_seconds', 'graceSeconds');
        }
        assert.strictEqual((await api.post(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 86400 })).status, 201);
        assert.strictEqual((await api.post(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 0 })).status, 201);
      });
    });

    describe('lookup by secret (POST /v1/tokens/lookup)', () => {
      const lookup = (secret: unknown, key = acme.accountKey, base = hub.url) =>
        call<Token>(base, 'POST', '/v1/tokens/lookup', { key, json: { secret } });

      it('answers 200 with the token a current secret authenticates as, as GET shows it', async () => {
        const { token, secret } = await create({ name: uniqueName('found'), endpoints: ['chat-completions', 'embeddings'] });
        const res = await lookup(secret);
        assert.strictEqual(res.status, 200, res.text);
        assert.deepStrictEqual(res.body, token);
        assert.deepStrictEqual(res.body, (await api.get<Token>(`/v1/tokens/${token.id}`)).body);
        assert.ok(!res.text.includes(secret.slice(5, -4)), 'the answer never holds the secret');
      });

      it('is its own route, not GET or DELETE /v1/tokens/{id} with id "lookup"', async () => {
        expectError(await api.get('/v1/tokens/lookup'), 404, 'not_found');
        expectError(await api.del('/v1/tokens/lookup'), 404, 'not_found');
        const { token, secret } = await create();
        assert.strictEqual((await lookup(secret)).body.id, token.id);
      });

      it("another workspace's secret is 404, in both directions", async () => {
        const ours = await create();
        const theirs = await create({}, globex.accountKey);
        expectError(await lookup(theirs.secret), 404, 'not_found');
        expectError(await lookup(ours.secret, globex.accountKey), 404, 'not_found');
        assert.strictEqual((await lookup(theirs.secret, globex.accountKey)).body.id, theirs.token.id);
      });

      it("junk, malformed secrets, account keys and secrets never issued are 404, never echoed", async () => {
        const { secret } = await create();
        const flipped = secret.slice(0, 30) + (secret[30] === 'a' ? 'b' : 'a') + secret.slice(31);
        const junk = ['', 'nonsense', secret.slice(0, -1), `${secret} `, flipped, secret.toUpperCase(), generateToken('thub_'), acme.accountKey, 'thub_\u0000', 'x'.repeat(10_000)];
        for (const candidate of junk) {
          const res = await lookup(candidate);
          expectError(res, 404, 'not_found');
          if (candidate.length > 8) assert.ok(!res.text.includes(candidate.slice(5, -4)), 'the answer never echoes the secret');
        }
      });

      it('a body without a text secret is 422 invalid_secret; one that is no JSON object is 400', async () => {
        for (const json of [{}, { secret: 42 }, { secret: null }, { secret: ['thub_'] }, { token: 'thub_' }]) {
          const error = expectError(await api.post('/v1/tokens/lookup', json), 422, 'invalid_secret', 'secret');
          assert.doesNotMatch(error.message, /42/);
        }
        expectError(await api.post('/v1/tokens/lookup', ['thub_']), 400, 'bad_request');
        expectError(await call(hub.url, 'POST', '/v1/tokens/lookup', { key: acme.accountKey, body: '{"secret":', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
        expectError(await call(hub.url, 'POST', '/v1/tokens/lookup', { key: acme.accountKey }), 400, 'bad_request');
      });

      it('needs an account key: none, or an access token, is 401', async () => {
        const { secret } = await create();
        expectError(await call(hub.url, 'POST', '/v1/tokens/lookup', { json: { secret } }), 401, 'unauthorized');
        expectError(await lookup(secret, secret), 401, 'unauthorized');
      });

      it("an expired token's secret is still found (it still lists)", async () => {
        const expiresAt = new Date(Date.now() + 2 * 60_000).toISOString();
        const { token, secret } = await create({ name: uniqueName('expired'), expiresAt });
        // Ten minutes later (the clock of the second hub on the same database):
        expectError(await client(ahead.url).invoke('chat-completions', secret), 401, 'unauthorized');
        const res = await lookup(secret, acme.accountKey, ahead.url);
        assert.strictEqual(res.status, 200, res.text);
        assert.strictEqual(res.body.id, token.id);
        assert.strictEqual(res.body.expiresAt, expiresAt);
      });

      it('a rotated-out secret is found within its grace period, not after it, and not without grace', async () => {
        const { token, secret } = await create();
        const rotated = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 300 });
        assert.strictEqual(rotated.status, 201);
        const inGrace = await lookup(secret);
        assert.strictEqual(inGrace.status, 200, inGrace.text);
        assert.deepStrictEqual(inGrace.body, rotated.body.token, 'the token as it is now, with its new mask');
        assert.strictEqual((await lookup(rotated.body.secret)).body.id, token.id);
        // Ten minutes later the grace (5 minutes) is over:
        expectError(await lookup(secret, acme.accountKey, ahead.url), 404, 'not_found');
        assert.strictEqual((await lookup(rotated.body.secret, acme.accountKey, ahead.url)).status, 200);

        const again = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {});
        expectError(await lookup(rotated.body.secret), 404, 'not_found');
        assert.strictEqual((await lookup(again.body.secret)).body.id, token.id);
      });

      it("a deleted token's secret is 404", async () => {
        const { token, secret } = await create();
        assert.strictEqual((await lookup(secret)).status, 200);
        assert.strictEqual((await api.del(`/v1/tokens/${token.id}`)).status, 204);
        expectError(await lookup(secret), 404, 'not_found');
        expectError(await lookup(secret, acme.accountKey, ahead.url), 404, 'not_found');
      });

      it('is no use of the token: lastUsedAt stays null', async () => {
        const { token, secret } = await create();
        assert.strictEqual((await lookup(secret)).body.lastUsedAt, null);
        await sleep(200);
        assert.strictEqual((await api.get<Token>(`/v1/tokens/${token.id}`)).body.lastUsedAt, null);
      });
    });

    describe('listing by masked key (GET /v1/tokens?maskedKey=)', () => {
      const byMask = (mask: string, extra = '', key = acme.accountKey) =>
        api.get<TokenPage>(`/v1/tokens?maskedKey=${encodeURIComponent(mask)}${extra}`, { key });

      it('keeps only the tokens with exactly that mask, in this workspace only', async () => {
        const first = await create({ name: uniqueName('mask') });
        await create({ name: uniqueName('mask') });
        const res = await byMask(first.token.maskedKey);
        assert.strictEqual(res.status, 200, res.text);
        assert.deepStrictEqual(res.body, { data: [first.token], nextCursor: null });
        assert.deepStrictEqual((await byMask(first.token.maskedKey, '', globex.accountKey)).body.data, []);
        // Another mask form of the same secret, or a near miss, is another mask.
        const [current, other] = maskCandidates(first.secret);
        assert.strictEqual(current, first.token.maskedKey);
        for (const near of [other, first.token.maskedKey.toLowerCase(), first.token.maskedKey.replace('…', '...'), first.token.maskedKey.slice(0, -1)]) {
          if (near === undefined || near === first.token.maskedKey) continue;
          assert.deepStrictEqual((await byMask(near)).body.data, [], near);
        }
      });

      it('follows rotation, and combines with search, limit and cursor', async () => {
        const name = uniqueName('maskrot');
        const { token } = await create({ name });
        const rotated = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {});
        assert.deepStrictEqual((await byMask(token.maskedKey)).body.data, []);
        assert.deepStrictEqual((await byMask(rotated.body.token.maskedKey)).body.data.map((t) => t.id), [token.id]);
        assert.deepStrictEqual((await byMask(rotated.body.token.maskedKey, `&search=${name}`)).body.data.map((t) => t.id), [token.id]);
        assert.deepStrictEqual((await byMask(rotated.body.token.maskedKey, '&search=nothing-like-it')).body.data, []);
        const limited = await byMask(rotated.body.token.maskedKey, '&limit=1');
        assert.strictEqual(limited.body.data.length, 1);
        assert.strictEqual(limited.body.nextCursor, null);
        const cursor = Buffer.from(`${Date.parse(token.createdAt) + 1}:tok_zzzzzzzzzzzzzzzz`).toString('base64url');
        assert.deepStrictEqual((await byMask(rotated.body.token.maskedKey, `&cursor=${cursor}`)).body.data.map((t) => t.id), [token.id]);
      });

      it('a mask no hub makes matches nothing; one over 64 characters is 422 invalid_masked_key', async () => {
        for (const mask of ['%', '_', 'thub_', 'thub_\u0000…abcd', 'thak_Ab12…x7Qa', '…']) {
          const res = await byMask(mask);
          assert.strictEqual(res.status, 200, `${mask}: ${res.text}`);
          assert.deepStrictEqual(res.body.data, [], mask);
        }
        expectError(await byMask('x'.repeat(65)), 422, 'invalid_masked_key', 'maskedKey');
        const all = await api.get<TokenPage>('/v1/tokens?maskedKey=');
        assert.strictEqual(all.status, 200);
        assert.ok(all.body.data.length > 1, 'an empty maskedKey filters nothing');
      });
    });

    describe('Idempotency-Key', () => {
      const withKey = (key: string) => ({ headers: { 'Idempotency-Key': key } });

      it('a retry with the same key and body gets the first response again, secret included', async () => {
        const key = `create-${uniqueName()}`;
        const body = { name: uniqueName('idem'), endpoints: ['chat-completions'] };
        const first = await api.post<TokenWithSecret>('/v1/tokens', body, withKey(key));
        assert.strictEqual(first.status, 201);
        const again = await api.post<TokenWithSecret>('/v1/tokens', body, withKey(key));
        assert.strictEqual(again.status, 201);
        assert.deepStrictEqual(again.body, first.body);
        // Key order in the body does not matter.
        const reordered = await api.post<TokenWithSecret>('/v1/tokens', { endpoints: body.endpoints, name: body.name }, withKey(key));
        assert.strictEqual(reordered.body.secret, first.body.secret);
        const listed = await api.get<TokenPage>(`/v1/tokens?search=${body.name}`);
        assert.strictEqual(listed.body.data.length, 1, 'one token only');
        // Another hub process cannot show the secret again: 409 with the token id.
        const elsewhere = await call(ahead.url, 'POST', '/v1/tokens', { key: acme.accountKey, json: body, ...withKey(key) });
        const error = expectError(elsewhere, 409, 'idempotency_replayed');
        assert.strictEqual(error.tokenId, first.body.token.id);
      });

      it('the same key with a different body gets 422 idempotency_mismatch', async () => {
        const key = `mismatch-${uniqueName()}`;
        const name = uniqueName('idem');
        assert.strictEqual((await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] }, withKey(key))).status, 201);
        expectError(await api.post('/v1/tokens', { name, endpoints: ['embeddings'] }, withKey(key)), 422, 'idempotency_mismatch');
        expectError(await api.post('/v1/tokens', { name: uniqueName(), endpoints: ['chat-completions'] }, withKey(key)), 422, 'idempotency_mismatch');
        const { token } = await create();
        expectError(await api.post(`/v1/tokens/${token.id}/rotate`, {}, withKey(key)), 422, 'idempotency_mismatch');
      });

      it('keys are scoped to the workspace', async () => {
        const key = `shared-${uniqueName()}`;
        const name = uniqueName('scoped');
        const a = await api.post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] }, withKey(key));
        const b = await api.post<TokenWithSecret>('/v1/tokens', { name, endpoints: ['chat-completions'] }, { key: globex.accountKey, ...withKey(key) });
        assert.strictEqual(a.status, 201);
        assert.strictEqual(b.status, 201);
        assert.notStrictEqual(a.body.token.id, b.body.token.id);
      });

      it('concurrent duplicates with one key create one token', async () => {
        const key = `concurrent-${uniqueName()}`;
        const body = { name: uniqueName('race'), endpoints: ['chat-completions'] };
        const results = await Promise.all(Array.from({ length: 8 }, () => api.post<TokenWithSecret>('/v1/tokens', body, withKey(key))));
        for (const res of results) {
          assert.strictEqual(res.status, 201, res.text);
          assert.strictEqual(res.body.secret, results[0].body.secret);
        }
        const listed = await api.get<TokenPage>(`/v1/tokens?search=${body.name}`);
        assert.strictEqual(listed.body.data.length, 1);
      });

      it('rotate with a key: the retry gets the same new secret; a later rotate with another key rotates again', async () => {
        const { token } = await create();
        const key = `rotate-${uniqueName()}`;
        const first = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 0 }, withKey(key));
        const again = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 0 }, withKey(key));
        assert.strictEqual(first.status, 201);
        assert.deepStrictEqual(again.body, first.body);
        assert.strictEqual((await api.invoke('chat-completions', first.body.secret)).status, 200);
        expectError(await api.post(`/v1/tokens/${token.id}/rotate`, { graceSeconds: 5 }, withKey(key)), 422, 'idempotency_mismatch');
        const other = await api.post<TokenWithSecret>(`/v1/tokens/${token.id}/rotate`, {}, withKey(`${key}-2`));
        assert.notStrictEqual(other.body.secret, first.body.secret);
      });

      it('after the token is deleted, a retry gets 409 idempotency_replayed, never the dead secret', async () => {
        const key = `deleted-${uniqueName()}`;
        const body = { name: uniqueName('gone'), endpoints: ['chat-completions'] };
        const first = await api.post<TokenWithSecret>('/v1/tokens', body, withKey(key));
        assert.strictEqual((await api.del(`/v1/tokens/${first.body.token.id}`)).status, 204);
        const error = expectError(await api.post('/v1/tokens', body, withKey(key)), 409, 'idempotency_replayed');
        assert.strictEqual(error.tokenId, first.body.token.id);
      });

      it('a failed request does not use up its key', async () => {
        const key = `failed-${uniqueName()}`;
        const name = uniqueName('retry');
        expectError(await api.post('/v1/tokens', { name, endpoints: ['nope'] }, withKey(key)), 422, 'invalid_endpoints');
        const fixed = await api.post('/v1/tokens', { name, endpoints: ['chat-completions'] }, withKey(key));
        assert.strictEqual(fixed.status, 201, 'the corrected request may reuse the key');
      });

      it('the key must be 1 to 255 printable ASCII characters', async () => {
        assert.strictEqual((await api.post('/v1/tokens', { name: uniqueName(), endpoints: ['chat-completions'] }, withKey('k'.repeat(255)))).status, 201);
        for (const key of ['k'.repeat(256), '', 'clé', 'tab\there']) {
          const res = await call(hub.url, 'POST', '/v1/tokens', {
            key: acme.accountKey,
            json: { name: uniqueName(), endpoints: ['chat-completions'] },
            headers: { 'Idempotency-Key': key },
          }).catch(() => null);
          if (res === null) continue; // the HTTP client refused to send it at all
          expectError(res, 422, 'invalid_idempotency_key', 'Idempotency-Key');
        }
      });
    });
  });
}
