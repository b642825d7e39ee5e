// A hub for the tests that a node:http fast path answers exactly as fastify's route (test/hub/invokeFastPath,
// verifyFastPath): real HTTP on 127.0.0.1, its own SQLite file, a store with faults on demand on the token and
// service-key lookups, a clock that can be moved, and fastify's diagnostics channel telling which requests reached
// a route handler.
import assert from 'assert';
import diagnostics from 'diagnostics_channel';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ACCESS_TOKEN_PREFIX, SERVICE_KEY_PREFIX, generateToken, maskToken } from '../../src/core/token';
import { buildHub, type Hub } from '../../src/hub/app';
import { makeDigester, newId } from '../../src/hub/digest';
import { StoreUnavailableError } from '../../src/hub/errors';
import type { Store, TokenAuthRecord } from '../../src/hub/store';
import { SqliteStore } from '../../src/hub/stores/sqlite';

export type LookupFault = 'none' | 'unavailable' | 'bug' | 'async' | 'async-unavailable';

export class FastPathHub {
  hub!: Hub;
  port = 0;
  sqlite!: SqliteStore;
  workspaceId = '';
  /** A service key the hub knows. */
  serviceKey = generateToken(SERVICE_KEY_PREFIX);
  readonly digest = makeDigester(undefined);
  /** How far the hub's clock is ahead of the real one. */
  offset = 0;
  /** What the next authenticateToken does instead of asking SQLite. */
  fault: LookupFault = 'none';
  /** authenticateServiceKey answers asynchronously, as PostgreSQL does. */
  asyncKeys = false;
  /** The URLs of the requests that reached a fastify route handler. */
  readonly throughFastify: string[] = [];
  private dir = '';
  private readonly channel = diagnostics.tracingChannel('fastify.request.handler');
  private readonly subscribers = {
    start: (message: unknown) => {
      const request = (message as { request?: { url?: string } }).request;
      if (request?.url) this.throughFastify.push(request.url);
    },
    end() {},
    asyncStart() {},
    asyncEnd() {},
    error() {},
  };
  readonly now = () => Date.now() + this.offset;

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-fastpath-'));
    const sqlite = new SqliteStore(path.join(this.dir, 'hub.db'));
    this.sqlite = sqlite;
    await sqlite.migrate();
    ({ workspace: { id: this.workspaceId } } = await sqlite.ensureWorkspace('acme', newId('ws_'), undefined, Date.now()));
    await sqlite.upsertEndpoint(this.workspaceId, { id: 'chat-completions', name: 'Chat', description: '' }, Date.now());
    await sqlite.createServiceKey(newId('sk_'), this.digest(this.serviceKey), maskToken(this.serviceKey), Date.now());
    const store = new Proxy(sqlite, {
      get: (target, property, receiver) => {
        if (property === 'authenticateServiceKey') {
          return (d: Buffer) => (this.asyncKeys ? Promise.resolve(target.authenticateServiceKey(d)) : target.authenticateServiceKey(d));
        }
        if (property !== 'authenticateToken') return Reflect.get(target, property, receiver);
        return (d: Buffer): TokenAuthRecord | null | Promise<TokenAuthRecord | null> => {
          switch (this.fault) {
            case 'unavailable':
              throw new StoreUnavailableError('SQLite: database is locked');
            case 'bug':
              throw new TypeError('something broke');
            case 'async':
              return Promise.resolve(target.authenticateToken(d));
            case 'async-unavailable':
              return Promise.reject(new StoreUnavailableError('PostgreSQL: connection refused'));
            default:
              return target.authenticateToken(d);
          }
        };
      },
    }) as Store;
    this.hub = await buildHub({ store, now: this.now, logger: false, authFailureLimit: 3, authFailureWindowSeconds: 60 });
    await this.hub.app.listen({ host: '127.0.0.1', port: 0 });
    this.port = (this.hub.app.server.address() as { port: number }).port;
    this.channel.subscribe(this.subscribers);
  }

  /** A fresh failure window, no faults, the real time: for every case. */
  reset(): void {
    this.hub.limiter.evict(Number.MAX_SAFE_INTEGER);
    this.fault = 'none';
    this.asyncKeys = false;
    this.offset = 0;
  }

  async close(): Promise<void> {
    this.channel.unsubscribe(this.subscribers);
    await this.hub?.close();
    await this.sqlite?.close();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async newToken(endpoints: string[], expiresInMs = 3_600_000): Promise<{ id: string; secret: string }> {
    const secret = generateToken(ACCESS_TOKEN_PREFIX);
    const id = newId('tok_');
    const created = this.now();
    const result = await this.sqlite.createToken({
      id,
      workspaceId: this.workspaceId,
      name: `t-${id.slice(4).toLowerCase()}`,
      maskedKey: maskToken(secret),
      endpoints,
      digest: this.digest(secret),
      createdAt: created,
      expiresAt: created + expiresInMs,
    });
    assert.strictEqual(result.kind, 'created');
    return { id, secret };
  }
}
