// The soak: mixed traffic at the highest rate this machine sustains, against a real hub process, every answer
// checked against a model of what must be true. `npm run test:soak` (60 s; `-- --seconds N`), and a 5-second run
// in `npm test` (soak.test.ts).
//
// Two hub processes share one SQLite database (with --postgres, a database of a private PostgreSQL cluster):
// "main" gets the traffic; "ahead" runs with its clock 10 minutes ahead (TOKENHUB_TEST_CLOCK_OFFSET_MS), so that
// tokens created to expire in 150 s and previous secrets within a 120-second grace are already dead there: expired
// tokens and ended graces are checked under load without waiting. Valid tokens are never sent to "ahead" (it would
// record a last use 10 minutes in the future).
//
// Traffic, from concurrent keep-alive clients in this process (the hubs are separate processes): invokes with live
// tokens (200), with a token on an endpoint it is not scoped to (403), with unknown, malformed and wrong-kind
// credentials, deleted and rotated-out secrets (401 at both hubs), expired tokens and ended graces (401 at "ahead"),
// previous secrets within their grace (200 at "main"); creates (some expiring, some with an Idempotency-Key and a
// retry that must get the same answer, or 409 idempotency_replayed with the id at the other process), lists (a
// search must find a live token exactly once and a deleted one never), reads, rotations and deletes, and another
// workspace's key on our tokens (404). A token under rotation or deletion gets no other request meanwhile, so every
// answer has exactly one right value. Halfway through, "ahead" is killed (SIGKILL) and started again.
//
// Checks (each one line, then `N passed, N failed`): no 5xx; no wrong answer (a valid token refused, a dead one
// accepted, a wrong body); no unexpected network error or timeout; every kind of request exercised; the main hub's
// memory flat (RSS at the end at most 50 % above RSS after warm-up); last-used times exact at the process that saw
// the use and at most 60 s stale in the database (read through the other process); the second hub back after its
// kill; the database holding exactly the tokens the model holds; SQLite's integrity_check; the main hub exiting 0 on
// SIGTERM.
import Database from 'better-sqlite3';
import http from 'http';
import type { ChildProcess } from 'child_process';
import type { Token, TokenPage, TokenWithSecret } from '../../src/contract/types';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, generateToken, isValidToken, maskToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { startPostgres } from '../support/postgres';
import { rssKiB, sleep } from './support';

export interface SoakOptions {
  seconds: number;
  /** Concurrent clients (default 32). */
  concurrency?: number;
  /** Kill and restart the second hub halfway (default true). */
  faults?: boolean;
  /** Allowed growth of the main hub's RSS from the end of the warm-up to the end (default 0.5 = 50 %). */
  rssGrowthLimit?: number;
  /** Both hubs on a private PostgreSQL cluster instead of one SQLite file (default false). */
  postgres?: boolean;
  log?: (line: string) => void;
}

export interface SoakCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakReport {
  seconds: number;
  requests: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  rssKiB: { start: number; peak: number; end: number };
  faults: string[];
  checks: SoakCheck[];
  passed: number;
  failed: number;
  lines: string[];
}

interface ModelToken {
  id: string;
  name: string;
  secret: string;
  endpoints: string[];
  expiresAt: number | null;
  /** The previous secret within its grace, as the hub holds it (one at most). */
  prev?: { secret: string; until: number };
  /** Under rotation or deletion: nothing else may be sent with it. */
  busy: boolean;
  /** Requests in flight that use it (invokes, reads, searches): no rotation or deletion meanwhile. */
  inflight: number;
  deleted: boolean;
  /** Latest send and receive times of an invoke that got 200 (0: never used). */
  lastOkSent: number;
  lastOkReceived: number;
  index: number;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

const AHEAD_MS = 10 * 60_000;
const EXPIRING_MS = 150_000;
const GRACE_SECONDS = 120;
const TARGET_LIVE = 400;
const RING = 2000;

/** A pool with O(1) random pick and removal. */
class Pool<T extends { index: number }> {
  readonly items: T[] = [];
  add(item: T): void {
    item.index = this.items.length;
    this.items.push(item);
  }
  remove(item: T): void {
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[item.index] = last;
      last.index = item.index;
    }
    item.index = -1;
  }
  pick(filter: (item: T) => boolean, tries = 8): T | undefined {
    for (let i = 0; i < tries && this.items.length > 0; i++) {
      const item = this.items[Math.floor(Math.random() * this.items.length)];
      if (filter(item)) return item;
    }
    return undefined;
  }
  get size(): number {
    return this.items.length;
  }
}

/** A bounded list of the latest entries (oldest dropped first). */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(readonly max: number) {}
  push(item: T): void {
    if (this.items.length < this.max) this.items.push(item);
    else this.items[this.next++ % this.max] = item;
  }
  pick(): T | undefined {
    return this.items.length ? this.items[Math.floor(Math.random() * this.items.length)] : undefined;
  }
  get size(): number {
    return this.items.length;
  }
}

const pickOf = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];

function request(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  options: { auth?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== undefined) headers.authorization = `Bearer ${options.auth}`;
    let payload: string | undefined;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seconds = options.seconds;
  const concurrency = options.concurrency ?? 32;
  const faults = options.faults ?? true;
  const rssGrowthLimit = options.rssGrowthLimit ?? 0.5;
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    options.log?.(line);
  };
  const hubArgs = ['--auth-failure-limit', '1000000', '--log-level', 'warn'];

  const cluster = options.postgres ? await startPostgres() : undefined;
  let main: HubProcess;
  try {
    main = await startHub({ db: cluster ? await cluster.createDatabase('soak') : undefined, args: hubArgs });
  } catch (error) {
    await cluster?.stop();
    throw error;
  }
  const storeName = cluster ? 'PostgreSQL' : 'SQLite';
  let ahead: HubProcess | undefined;
  const cleanup: Array<() => Promise<unknown>> = [async () => cluster?.stop()];
  try {
    ahead = await startHub({ db: main.db, args: hubArgs, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(AHEAD_MS) } });
    const acme = await main.init('acme', ['chat-completions', 'embeddings']);
    const globex = await main.init('globex', ['chat-completions']);
    const mainAgent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const aheadAgent = new http.Agent({ keepAlive: true, maxSockets: Math.max(4, concurrency >> 2) });
    cleanup.push(async () => {
      mainAgent.destroy();
      aheadAgent.destroy();
    });
    const mainUrl = new URL(main.url);
    let aheadUrl = new URL(ahead.url);
    let aheadUp = true;
    let aheadGeneration = 0;
    const toMain = (method: string, path: string, opts?: Parameters<typeof request>[4]) => request(mainAgent, mainUrl, method, path, opts);
    const toAhead = (method: string, path: string, opts?: Parameters<typeof request>[4]) => request(aheadAgent, aheadUrl, method, path, opts);

    // ----- the model
    const live = new Pool<ModelToken>();
    const expiringTokens: ModelToken[] = []; // a subset of live (entries of retired tokens are dropped when met)
    const revoked = new Ring<string>(RING); // secrets that must get 401 everywhere
    const graceOld = new Ring<{ token: ModelToken; secret: string }>(RING);
    const deletedNames = new Ring<{ name: string; id: string }>(RING);
    let serial = 0;

    // ----- bookkeeping
    const byKind: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    const wrong: string[] = [];
    let wrongCount = 0;
    let networkErrors = 0;
    const networkExamples: string[] = [];
    let cutByFault = 0;
    let aheadInFlight = 0;
    let aheadAnsweredAfterRestart = 0;
    const latencies: number[] = [];
    let requests = 0;
    const fail = (kind: string, detail: string) => {
      wrongCount++;
      if (wrong.length < 20) wrong.push(`${kind}: ${detail}`);
    };

    async function send(kind: string, target: 'main' | 'ahead', method: string, path: string, opts?: Parameters<typeof request>[4]): Promise<Answer | undefined> {
      const generation = aheadGeneration;
      const started = performance.now();
      requests++;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (target === 'ahead') aheadInFlight++;
      try {
        const answer = await (target === 'main' ? toMain : toAhead)(method, path, opts);
        latencies.push(performance.now() - started);
        if (latencies.length > 200_000) latencies.splice(0, 100_000);
        byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
        if (target === 'ahead' && generation > 0) aheadAnsweredAfterRestart++;
        return answer;
      } catch (error) {
        if (target === 'ahead' && (!aheadUp || generation !== aheadGeneration)) {
          cutByFault++;
          return undefined;
        }
        networkErrors++;
        if (networkExamples.length < 10) networkExamples.push(`${kind} ${method} ${path.slice(0, 60)}: ${(error as Error).message}`);
        return undefined;
      } finally {
        if (target === 'ahead') aheadInFlight--;
      }
    }

    const invokePath = (endpoint: string) => `/v1/endpoints/${endpoint}/invoke`;
    const expect401 = (kind: string, answer: Answer | undefined) => {
      if (answer && (answer.status !== 401 || answer.body?.error?.code !== 'unauthorized')) fail(kind, `expected 401, got ${answer.status} ${answer.text.slice(0, 120)}`);
    };

    // ----- operations
    async function invokeValid(): Promise<void> {
      const token = live.pick((t) => !t.busy && (t.expiresAt === null || t.expiresAt > Date.now() + 2000));
      if (!token) return;
      const endpoint = pickOf(token.endpoints);
      token.inflight++;
      const sent = Date.now();
      const answer = await send('invoke: live token', 'main', 'POST', invokePath(endpoint), { auth: token.secret });
      token.inflight--;
      if (!answer) return;
      if (answer.status !== 200 || answer.body?.tokenId !== token.id || answer.body?.endpoint !== endpoint) {
        fail('invoke: live token', `a valid token refused or answered wrongly: ${answer.status} ${answer.text.slice(0, 120)}`);
        return;
      }
      token.lastOkSent = Math.max(token.lastOkSent, sent);
      token.lastOkReceived = Math.max(token.lastOkReceived, Date.now());
    }

    async function invokeForbidden(): Promise<void> {
      const token = live.pick((t) => !t.busy && !t.endpoints.includes('embeddings') && (t.expiresAt === null || t.expiresAt > Date.now() + 2000));
      if (!token) return;
      token.inflight++;
      const answer = await send('invoke: not scoped (403)', 'main', 'POST', invokePath(pickOf(['embeddings', 'no-such-endpoint'])), { auth: token.secret });
      token.inflight--;
      if (answer && (answer.status !== 403 || answer.body?.error?.code !== 'forbidden')) fail('invoke: not scoped', `expected 403, got ${answer.status}`);
    }

    async function invokeInvalid(): Promise<void> {
      const target = aheadUp && Math.random() < 0.3 ? 'ahead' : 'main';
      const fresh = generateToken(ACCESS_TOKEN_PREFIX);
      const candidate = pickOf([
        fresh, // well-formed, never issued
        fresh.slice(0, -1) + (fresh.endsWith('a') ? 'b' : 'a'), // bad checksum
        fresh.slice(0, 30), // truncated
        acme.accountKey, // wrong kind
        generateToken(ACCOUNT_KEY_PREFIX),
        'not-a-token',
      ]);
      expect401('invoke: invalid credential', await send('invoke: invalid credential', target, 'POST', invokePath('chat-completions'), { auth: candidate }));
    }

    async function invokeRevoked(): Promise<void> {
      const secret = revoked.pick();
      if (!secret) return;
      const target = aheadUp && Math.random() < 0.5 ? 'ahead' : 'main';
      expect401('invoke: deleted or rotated-out secret', await send('invoke: deleted or rotated-out secret', target, 'POST', invokePath('chat-completions'), { auth: secret }));
    }

    async function invokeExpired(): Promise<void> {
      if (!aheadUp) return;
      const at = Math.floor(Math.random() * expiringTokens.length);
      const token = expiringTokens[at];
      if (!token) return;
      if (token.index < 0) {
        expiringTokens[at] = expiringTokens[expiringTokens.length - 1];
        expiringTokens.pop();
        return;
      }
      if (token.busy) return;
      token.inflight++;
      const answer = await send('invoke: expired token (clock ahead)', 'ahead', 'POST', invokePath('chat-completions'), { auth: token.secret });
      token.inflight--;
      expect401('invoke: expired token', answer);
    }

    async function invokeGrace(): Promise<void> {
      const entry = graceOld.pick();
      if (!entry || entry.token.busy) return;
      const { token, secret } = entry;
      const inGrace = !token.deleted && token.prev?.secret === secret && Date.now() < token.prev.until - 2000;
      const atAhead = aheadUp && Math.random() < 0.5;
      token.inflight++;
      const sent = Date.now();
      const answer = await send(atAhead ? 'invoke: grace ended (clock ahead)' : 'invoke: previous secret in grace', atAhead ? 'ahead' : 'main', 'POST', invokePath('chat-completions'), {
        auth: secret,
      });
      token.inflight--;
      if (!answer) return;
      if (atAhead || !inGrace) return expect401(atAhead ? 'invoke: grace ended' : 'invoke: replaced previous secret', answer);
      if (answer.status !== 200 || answer.body?.tokenId !== token.id) {
        fail('invoke: previous secret in grace', `refused within its grace: ${answer.status} ${answer.text.slice(0, 120)}`);
        return;
      }
      token.lastOkSent = Math.max(token.lastOkSent, sent);
      token.lastOkReceived = Math.max(token.lastOkReceived, Date.now());
    }

    async function create(): Promise<void> {
      const name = `s${serial++}-${Math.random().toString(36).slice(2, 6)}`;
      const endpoints = Math.random() < 0.7 ? ['chat-completions'] : ['chat-completions', 'embeddings'];
      const isExpiring = Math.random() < 0.15;
      const body: Record<string, unknown> = { name, endpoints };
      if (isExpiring) body.expiresAt = new Date(Date.now() + EXPIRING_MS).toISOString();
      const key = Math.random() < 0.3 ? `soak-${name}` : undefined;
      const headers = key ? { 'idempotency-key': key } : undefined;
      const answer = await send('create', 'main', 'POST', '/v1/tokens', { auth: acme.accountKey, json: body, headers });
      if (!answer) return;
      const created = answer.body as TokenWithSecret | undefined;
      if (answer.status !== 201 || !created?.token) return fail('create', `${answer.status} ${answer.text.slice(0, 160)}`);
      const { token, secret } = created;
      if (
        !isValidToken(secret, ACCESS_TOKEN_PREFIX) ||
        token.name !== name ||
        token.maskedKey !== maskToken(secret) ||
        JSON.stringify(token.endpoints) !== JSON.stringify(endpoints) ||
        (isExpiring && token.expiresAt !== body.expiresAt) ||
        token.lastUsedAt !== null
      ) {
        return fail('create', `an answer that does not match the request: ${answer.text.slice(0, 200)}`);
      }
      if (key && Math.random() < 0.4) {
        const again = await send('create: retry, same key (same process)', 'main', 'POST', '/v1/tokens', { auth: acme.accountKey, json: body, headers });
        if (again && (again.status !== 201 || again.text !== answer.text)) fail('create: retry', `not the first answer: ${again.status} ${again.text.slice(0, 120)}`);
        if (aheadUp) {
          const elsewhere = await send('create: retry, same key (other process)', 'ahead', 'POST', '/v1/tokens', { auth: acme.accountKey, json: body, headers });
          if (elsewhere && (elsewhere.status !== 409 || elsewhere.body?.error?.code !== 'idempotency_replayed' || elsewhere.body?.error?.tokenId !== token.id)) {
            fail('create: retry elsewhere', `expected 409 idempotency_replayed with the id: ${elsewhere.status} ${elsewhere.text.slice(0, 120)}`);
          }
        }
      }
      const model: ModelToken = {
        id: token.id,
        name,
        secret,
        endpoints,
        expiresAt: isExpiring ? Date.parse(body.expiresAt as string) : Date.parse(token.expiresAt!),
        busy: false,
        inflight: 0,
        deleted: false,
        lastOkSent: 0,
        lastOkReceived: 0,
        index: -1,
      };
      live.add(model);
      if (isExpiring) expiringTokens.push(model);
    }

    const idle = (t: ModelToken) => !t.busy && t.inflight === 0;

    async function rotate(): Promise<void> {
      const token = live.pick(idle);
      if (!token) return;
      token.busy = true;
      const grace = Math.random() < 0.5 ? 0 : GRACE_SECONDS;
      const answer = await send('rotate', 'main', 'POST', `/v1/tokens/${token.id}/rotate`, { auth: acme.accountKey, json: { graceSeconds: grace } });
      if (!answer) {
        token.busy = false; // unknown outcome: take it out of the model
        retire(token, false);
        return;
      }
      const rotated = answer.body as TokenWithSecret | undefined;
      if (answer.status !== 201 || rotated?.token?.id !== token.id || rotated.token.maskedKey !== maskToken(rotated.secret) || rotated.secret === token.secret) {
        fail('rotate', `${answer.status} ${answer.text.slice(0, 160)}`);
        token.busy = false;
        retire(token, false);
        return;
      }
      if (token.prev) revoked.push(token.prev.secret); // at most one previous secret: the older one ends now
      if (grace > 0) {
        token.prev = { secret: token.secret, until: Date.now() + grace * 1000 };
        graceOld.push({ token, secret: token.secret });
      } else {
        token.prev = undefined;
        revoked.push(token.secret);
      }
      token.secret = rotated.secret;
      token.busy = false;
    }

    /** Takes a token out of the live pool: deleted (its secrets are dead) or of unknown state (not checked again). */
    function retire(token: ModelToken, deleted: boolean): void {
      if (token.index >= 0) live.remove(token);
      token.deleted = deleted;
      if (deleted) {
        revoked.push(token.secret);
        if (token.prev) revoked.push(token.prev.secret);
        deletedNames.push({ name: token.name, id: token.id });
      }
    }

    async function remove(): Promise<void> {
      const token = live.pick(idle);
      if (!token) return;
      token.busy = true;
      const answer = await send('delete', 'main', 'DELETE', `/v1/tokens/${token.id}`, { auth: acme.accountKey });
      token.busy = false;
      if (!answer) return retire(token, false);
      if (answer.status !== 204) {
        fail('delete', `${answer.status} ${answer.text.slice(0, 120)}`);
        return retire(token, false);
      }
      retire(token, true);
    }

    async function read(): Promise<void> {
      if (Math.random() < 0.2) {
        const gone = deletedNames.pick();
        if (!gone) return;
        const answer = await send('get: deleted token (404)', 'main', 'GET', `/v1/tokens/${gone.id}`, { auth: acme.accountKey });
        if (answer && answer.status !== 404) fail('get: deleted token', `expected 404, got ${answer.status}`);
        return;
      }
      const token = live.pick((t) => !t.busy);
      if (!token) return;
      token.inflight++;
      const answer = await send('get', 'main', 'GET', `/v1/tokens/${token.id}`, { auth: acme.accountKey });
      token.inflight--;
      if (!answer) return;
      const got = answer.body as Token | undefined;
      if (answer.status !== 200 || got?.id !== token.id || got.name !== token.name || got.maskedKey !== maskToken(token.secret)) {
        fail('get', `${answer.status} ${answer.text.slice(0, 160)}`);
      }
    }

    async function list(): Promise<void> {
      const roll = Math.random();
      if (roll < 0.4) {
        const token = live.pick((t) => !t.busy);
        if (!token) return;
        token.inflight++;
        const answer = await send('list: search a live name', 'main', 'GET', `/v1/tokens?search=${token.name}`, { auth: acme.accountKey });
        token.inflight--;
        if (!answer) return;
        const found = (answer.body as TokenPage | undefined)?.data?.filter((t) => t.name === token.name) ?? [];
        if (answer.status !== 200 || found.length !== 1 || found[0].id !== token.id) fail('list: live name', `${answer.status}, ${found.length} found`);
      } else if (roll < 0.7) {
        const gone = deletedNames.pick();
        if (!gone) return;
        const answer = await send('list: search a deleted name', 'main', 'GET', `/v1/tokens?search=${gone.name}`, { auth: acme.accountKey });
        if (!answer) return;
        const found = (answer.body as TokenPage | undefined)?.data?.filter((t) => t.id === gone.id) ?? [];
        if (answer.status !== 200 || found.length !== 0) fail('list: deleted name', `${answer.status}, the deleted token is listed`);
      } else {
        const answer = await send('list: a page', 'main', 'GET', `/v1/tokens?limit=${1 + Math.floor(Math.random() * 100)}`, { auth: acme.accountKey });
        if (!answer) return;
        const page = answer.body as TokenPage | undefined;
        if (answer.status !== 200 || !Array.isArray(page?.data) || !('nextCursor' in (page ?? {}))) fail('list: page', `${answer.status} ${answer.text.slice(0, 120)}`);
      }
    }

    async function crossWorkspace(): Promise<void> {
      const token = live.pick((t) => !t.busy);
      if (!token) return;
      token.inflight++;
      const answer = await send("get: another workspace's key (404)", 'main', 'GET', `/v1/tokens/${token.id}`, { auth: globex.accountKey });
      token.inflight--;
      if (answer && answer.status !== 404) fail('cross-workspace get', `expected 404, got ${answer.status}`);
    }

    async function readWorkspace(): Promise<void> {
      const path = pickOf(['/v1/workspace', '/v1/endpoints']);
      const answer = await send('workspace and endpoints', 'main', 'GET', path, { auth: acme.accountKey });
      if (answer && answer.status !== 200) fail('workspace', `${answer.status}`);
    }

    const weighted: Array<[number, () => Promise<void>]> = [
      [50, invokeValid],
      [3, invokeForbidden],
      [8, invokeInvalid],
      [8, invokeRevoked],
      [3, invokeExpired],
      [4, invokeGrace],
      [6, create],
      [4, rotate],
      [6, remove],
      [5, read],
      [5, list],
      [1, crossWorkspace],
      [2, readWorkspace],
    ];
    const totalWeight = weighted.reduce((sum, [w]) => sum + w, 0);
    function nextOperation(): () => Promise<void> {
      // Keep the workspace near TARGET_LIVE tokens: more creates below it, more deletes above it.
      if (live.size < TARGET_LIVE / 2) return create;
      let roll = Math.random() * totalWeight;
      for (const [weight, op] of weighted) {
        roll -= weight;
        if (roll < 0) {
          if (op === create && live.size > TARGET_LIVE * 1.2) return remove;
          if (op === remove && live.size < TARGET_LIVE * 0.8) return create;
          return op;
        }
      }
      return invokeValid;
    }

    // ----- run
    log(`=== soak: ${seconds} s, ${concurrency} concurrent clients, hub pid ${main.process.pid} (${storeName}), second hub 10 min ahead`);
    // Seed the workspace to its target size, so that every kind of request has something to work on from the start:
    // seeded only to half, a short run on a loaded machine spent its seconds creating (deletes are turned into creates
    // below 0.8 of the target) and never sent a delete.
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (live.size < TARGET_LIVE) await create();
    }));
    const started = Date.now();
    const deadline = started + seconds * 1000;
    const warmupMs = Math.min(10_000, Math.max(1000, seconds * 200));
    const rssSamples: Array<{ at: number; kib: number }> = [];
    const sampler = setInterval(() => {
      try {
        rssSamples.push({ at: Date.now() - started, kib: rssKiB(main.process.pid!) });
      } catch {
        // the process is gone: the checks below will say so
      }
    }, 250);
    const faultLog: string[] = [];
    const faultTask = (async () => {
      if (!faults) return;
      await sleep((seconds * 1000) / 2);
      if (Date.now() > deadline - 1000) return;
      const killedAt = Date.now();
      const inFlightAtKill = aheadInFlight;
      aheadUp = false;
      aheadGeneration++;
      const child = ahead!.process as ChildProcess;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      aheadAgent.destroy();
      await ahead!.stop(); // removes its data folder (the database is main's)
      ahead = await startHub({ db: main.db, args: hubArgs, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(AHEAD_MS) } });
      aheadUrl = new URL(ahead.url);
      aheadUp = true;
      faultLog.push(
        `SIGKILL of the second hub at ${((killedAt - started) / 1000).toFixed(1)} s with ${inFlightAtKill} requests in flight to it, ` +
          `running again after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`,
      );
    })();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline) await nextOperation()();
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    await faultTask;
    clearInterval(sampler);
    rssSamples.push({ at: Date.now() - started, kib: rssKiB(main.process.pid!) });

    // ----- last use
    let lastUseExact = 0;
    let lastUseStored = 0;
    const lastUseProblems: string[] = [];
    await sleep(1500); // the first use of a token is written within about a second
    for (const token of live.items) {
      const here = await send('last use: read back', 'main', 'GET', `/v1/tokens/${token.id}`, { auth: acme.accountKey });
      const there = await send('last use: read back', 'ahead', 'GET', `/v1/tokens/${token.id}`, { auth: acme.accountKey });
      if (!here || !there) continue;
      const seen = here.body?.lastUsedAt ? Date.parse(here.body.lastUsedAt) : null;
      const stored = there.body?.lastUsedAt ? Date.parse(there.body.lastUsedAt) : null;
      if (token.lastOkSent === 0) {
        if (seen !== null || stored !== null) lastUseProblems.push(`${token.name}: never used, lastUsedAt ${here.body.lastUsedAt} / ${there.body.lastUsedAt}`);
        continue;
      }
      if (seen === null || seen < token.lastOkSent - 1 || seen > token.lastOkReceived + 1) {
        lastUseProblems.push(`${token.name}: lastUsedAt ${here.body.lastUsedAt}, used between ${new Date(token.lastOkSent).toISOString()} and ${new Date(token.lastOkReceived).toISOString()}`);
      } else lastUseExact++;
      if (stored === null || stored < token.lastOkSent - 61_000 || stored > token.lastOkReceived + 1) {
        lastUseProblems.push(`${token.name}: stored lastUsedAt ${there.body.lastUsedAt} is more than 60 s stale (last use ${new Date(token.lastOkReceived).toISOString()})`);
      } else lastUseStored++;
    }

    // ----- the database: exactly the model's live tokens, and (SQLite) a sound file
    const listed = new Set<string>();
    for (let cursor: string | null = null, pages = 0; pages < 1000; pages++) {
      const page: Answer | undefined = await send('list: every token at the end', 'main', 'GET', `/v1/tokens?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
        auth: acme.accountKey,
      });
      if (!page || page.status !== 200) break;
      for (const token of (page.body as TokenPage).data) listed.add(token.id);
      cursor = (page.body as TokenPage).nextCursor;
      if (!cursor) break;
    }
    const modelIds = new Set(live.items.map((t) => t.id));
    const unexpected = [...listed].filter((id) => !modelIds.has(id));
    const lost = [...modelIds].filter((id) => !listed.has(id));
    let integrity = 'ok (PostgreSQL: not applicable)';
    if (!cluster) {
      try {
        const db = new Database(main.db, { fileMustExist: true });
        integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join(', ');
        db.close();
      } catch (error) {
        integrity = (error as Error).message;
      }
    }
    const mainPid = main.process.pid;
    await ahead.stop();
    ahead = undefined;
    const exitCode = await main.stop();

    // ----- report
    const warm = rssSamples.filter((s) => s.at >= warmupMs);
    const rssStart = (warm[0] ?? rssSamples[0]).kib;
    const rssEnd = rssSamples[rssSamples.length - 1].kib;
    const rssPeak = Math.max(...rssSamples.map((s) => s.kib));
    const growth = rssEnd / rssStart - 1;
    const fivexx = Object.entries(byStatus).filter(([status]) => Number(status) >= 500).reduce((sum, [, n]) => sum + n, 0);
    const sorted = latencies.slice().sort((a, b) => a - b);
    const percentile = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

    log(`requests: ${requests} in ${elapsed.toFixed(1)} s (${Math.round(requests / elapsed)}/s), latency p50 ${percentile(0.5).toFixed(2)} ms, p99 ${percentile(0.99).toFixed(2)} ms`);
    for (const [kind, n] of Object.entries(byKind).sort((a, b) => b[1] - a[1])) {
      log(`  ${kind.padEnd(44)} ${String(n).padStart(8)}  ${(n / elapsed).toFixed(0).padStart(6)}/s`);
    }
    log(`statuses: ${Object.entries(byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
    log(`RSS of the hub (pid ${mainPid}): ${mib(rssSamples[0].kib)} at start, ${mib(rssStart)} after ${warmupMs / 1000} s warm-up, peak ${mib(rssPeak)}, end ${mib(rssEnd)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`);
    log(`faults injected: ${faultLog.length ? faultLog.join('; ') : 'none'}; ${cutByFault} requests to it cut off by the kill (expected)`);
    log(`tokens: ${live.size} live at the end, ${serial} created`);

    const checks: SoakCheck[] = [];
    const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
    check('no 5xx', fivexx === 0, `${fivexx} answers of 500 and above`);
    check('no wrong answer', wrongCount === 0, wrongCount ? `${wrongCount} wrong, e.g. ${wrong.join(' | ')}` : `${requests} answers as the model expected`);
    check('no unexpected network error or timeout', networkErrors === 0, networkErrors ? `${networkErrors}, e.g. ${networkExamples.join(' | ')}` : 'none');
    const kinds = [
      'invoke: live token', 'invoke: not scoped (403)', 'invoke: invalid credential', 'invoke: deleted or rotated-out secret',
      'invoke: expired token (clock ahead)', 'invoke: previous secret in grace', 'invoke: grace ended (clock ahead)', 'create',
      'create: retry, same key (same process)', 'create: retry, same key (other process)', 'rotate', 'delete', 'get', 'list: search a live name',
      'list: search a deleted name', "get: another workspace's key (404)",
    ];
    const missing = kinds.filter((k) => !byKind[k]);
    check('every kind of request exercised', missing.length === 0, missing.length ? `never sent: ${missing.join(', ')}` : `${Object.keys(byKind).length} kinds`);
    check(
      `memory flat (RSS growth after warm-up ≤ ${rssGrowthLimit * 100} %)`,
      growth <= rssGrowthLimit,
      `${mib(rssStart)} → ${mib(rssEnd)} (${(growth * 100).toFixed(1)} %)`,
    );
    check('last use exact at the process that saw it', lastUseProblems.filter((p) => !p.includes('stale')).length === 0, `${lastUseExact} tokens agree; ${lastUseProblems.slice(0, 3).join(' | ')}`);
    check('last use in the database at most 60 s stale', lastUseProblems.filter((p) => p.includes('stale')).length === 0, `${lastUseStored} tokens read through the other process`);
    if (faults) {
      check('second hub back after SIGKILL, answering correctly', faultLog.length === 1 && aheadAnsweredAfterRestart > 0, `${aheadAnsweredAfterRestart} answers after the restart`);
    }
    check(
      'the database holds exactly the tokens the clients were told exist',
      unexpected.length === 0 && lost.length === 0,
      `${listed.size} listed, ${modelIds.size} in the model; ${unexpected.length} unexpected, ${lost.length} missing`,
    );
    if (!cluster) check('SQLite integrity_check', integrity === 'ok', integrity);
    check('main hub stops cleanly on SIGTERM (exit 0)', exitCode === 0, `exit ${exitCode}`);

    log('checks:');
    for (const c of checks) log(`  ${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`);
    const passed = checks.filter((c) => c.ok).length;
    const failed = checks.length - passed;
    log(`${passed} passed, ${failed} failed`);
    return {
      seconds: elapsed,
      requests,
      byKind,
      byStatus,
      rssKiB: { start: rssStart, peak: rssPeak, end: rssEnd },
      faults: faultLog,
      checks,
      passed,
      failed,
      lines,
    };
  } finally {
    await ahead?.stop().catch(() => undefined);
    await main.stop().catch(() => undefined);
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

function parseSeconds(argv: string[]): number {
  const at = argv.indexOf('--seconds');
  const value = at >= 0 ? Number(argv[at + 1]) : 60;
  if (!Number.isFinite(value) || value < 1 || value > 3600) {
    process.stderr.write('usage: node out/test/reliability/soak.js [--seconds N (1-3600, default 60)] [--concurrency N] [--no-faults] [--postgres]\n');
    process.exit(2);
  }
  return value;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const concurrencyAt = argv.indexOf('--concurrency');
  runSoak({
    seconds: parseSeconds(argv),
    concurrency: concurrencyAt >= 0 ? Number(argv[concurrencyAt + 1]) : undefined,
    faults: !argv.includes('--no-faults'),
    postgres: argv.includes('--postgres'),
    log: (line) => console.log(line),
  }).then(
    (report) => process.exit(report.failed === 0 ? 0 : 1),
    (error) => {
      console.error(error);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
