// When a PostgreSQL hub may answer a token from its own cache (tokenCache.ts), and how a delete or rotate learns that
// every other instance has dropped it. The scheme (docs/api.md, "Several instances"):
// - Each serving instance holds one connection that LISTENs on the token channel and a lease, a row of hub_instances
//   renewed through that same connection every LEASE_MS / 4. It trusts its cache only while that connection is up
//   and its last renewal was sent less than LEASE_MS - LEASE_MARGIN_MS ago (its own clock); otherwise it clears the
//   cache and asks the database on every request, and its next lease is a new registration (a new id).
// - A trigger on tokens (migration 5) NOTIFYs "<txid> <token id>" on every delete and every change of a digest, an
//   expiry or the endpoints, whoever makes it. An instance drops the token, then answers with an ack NOTIFY.
// - A delete or rotate takes the registration lock shared, reads the live leases inside its transaction and, after
//   its commit, waits until each has acked, has reported (through a later renewal) that it has processed every
//   notification delivered before a time after the commit, or has let its lease run out. Registration takes the lock
//   exclusively around LISTEN (which takes effect at commit) and the insert of the lease, so an instance either is
//   in the list a delete reads and receives its notification, or started trusting after that delete committed.
// - A query sent before a notification was processed never fills the cache (the generation counter).
import crypto from 'crypto';
import pg from 'pg';
import type { TokenCache } from '../tokenCache';

export const TOKEN_CHANNEL = 'tokenhub_token_changed';
const ACK_CHANNEL = 'tokenhub_token_ack';
/** pg_advisory_xact_lock key: registration (exclusive) against deletes and rotations (shared). */
export const REGISTRATION_LOCK = 7_270_736_902;
export const LEASE_MS = 2000;
const RENEW_MS = LEASE_MS / 4;
/** Trust ends this long before the lease would, for the time a renewal takes to reach the database. */
const LEASE_MARGIN_MS = 250;
/** How often a waiting delete re-reads the leases it still waits for. */
const WAIT_POLL_MS = 50;
const RECONNECT_MAX_MS = 2000;
/** The database's clock in milliseconds (leases are compared on one clock: the database's). */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Waiter {
  pending: Set<string>;
  resolve(): void;
}

export interface InvalidationOptions {
  connectionString: string;
  types: pg.CustomTypesConfig;
  /** Absent when this instance caches nothing (it still listens and acks). */
  cache: TokenCache | undefined;
  /** Runs a query on the store's pool (lease release, the wait's re-reads). */
  query(text: string, values: unknown[]): Promise<Row[]>;
  onError?(error: Error): void;
}

export class PgInvalidation {
  /** Bumped by every notification, loss and registration: a lookup sent before a bump must not fill the cache. */
  generation = 0;
  private client: pg.Client | undefined;
  private instanceId: string | undefined;
  private trustedUntil = 0;
  /** The database time of the last renewal whose answer was read (every notification before it is processed). */
  private processedThrough = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = 100;
  private closed = false;
  private readonly waiters = new Map<string, Waiter>();
  private pendingAcks: string[] = [];

  constructor(private readonly options: InvalidationOptions) {}

  /** True while the cache may answer: listening, and the lease renewed recently enough. */
  trusted(): boolean {
    return this.instanceId !== undefined && performance.now() < this.trustedUntil;
  }

  /** This instance's current lease id, left out of the leases a delete of its own waits for. */
  get self(): string | undefined {
    return this.instanceId;
  }

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, types: this.options.types, application_name: 'tokenhub-listener' });
    const id = `hi_${crypto.randomBytes(12).toString('base64url')}`;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (error) this.options.onError?.(error);
      this.lose(client, id);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => this.onNotification(message));
    try {
      await client.connect();
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRATION_LOCK]);
      await client.query(`LISTEN ${TOKEN_CHANNEL}`);
      await client.query(`LISTEN ${ACK_CHANNEL}`);
      // Leases gone for a minute are nobody's: tidy them here, the one writer that holds the lock.
      await client.query(`DELETE FROM hub_instances WHERE lease_until < ${DB_NOW_MS} - 60000`);
      const sent = performance.now();
      const rows = (
        await client.query(
          `INSERT INTO hub_instances (id, lease_until, processed_through) VALUES ($1, ${DB_NOW_MS} + $2, 0) RETURNING ${DB_NOW_MS} AS at`,
          [id, LEASE_MS],
        )
      ).rows;
      await client.query('COMMIT');
      if (lost || this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.instanceId = id;
      this.processedThrough = Number(rows[0].at);
      // Whatever was cached before this registration may have missed a notification.
      this.options.cache?.clear();
      this.generation++;
      this.trustedUntil = sent + LEASE_MS - LEASE_MARGIN_MS;
      this.reconnectDelay = 100;
      this.renewTimer = setInterval(() => this.renew(client, id), RENEW_MS);
      this.renewTimer.unref();
    } catch (error) {
      onLost(error as Error);
    }
  }

  private renew(client: pg.Client, id: string): void {
    const sent = performance.now();
    const reported = this.processedThrough;
    client
      .query(
        `UPDATE hub_instances SET lease_until = ${DB_NOW_MS} + $2, processed_through = $3 WHERE id = $1 AND lease_until > ${DB_NOW_MS} RETURNING ${DB_NOW_MS} AS at`,
        [id, LEASE_MS, reported],
      )
      .then(
        (result) => {
          if (this.client !== client) return;
          if (result.rows.length === 0) {
            // The lease ran out in the database: deletes may have stopped waiting for us. Start over.
            client.removeAllListeners('end');
            client.removeAllListeners('error');
            client.on('error', () => undefined);
            this.lose(client, id);
            return;
          }
          // Notifications are delivered before the answer of a query that ran after them: all are processed now.
          this.processedThrough = Number(result.rows[0].at);
          this.trustedUntil = sent + LEASE_MS - LEASE_MARGIN_MS;
        },
        () => undefined, // the connection's 'error' or 'end' handles it
      );
  }

  /** The listening connection is gone (or the lease lapsed): stop trusting, release the lease, listen again. */
  private lose(client: pg.Client, id: string): void {
    if (this.renewTimer && this.client === client) clearInterval(this.renewTimer);
    if (this.client === client) {
      this.client = undefined;
      this.instanceId = undefined;
      this.renewTimer = undefined;
    }
    this.trustedUntil = 0;
    this.options.cache?.clear();
    this.generation++;
    client.end().catch(() => undefined);
    // Deletes need not wait for this lease any more: this instance trusts nothing until it registers anew.
    this.options.query('UPDATE hub_instances SET lease_until = 0 WHERE id = $1', [id]).catch(() => undefined);
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.start();
    }, delay);
    this.reconnectTimer.unref();
  }

  private onNotification(message: pg.Notification): void {
    const payload = message.payload ?? '';
    const space = payload.indexOf(' ');
    if (space < 0) return;
    const txid = payload.slice(0, space);
    const rest = payload.slice(space + 1);
    if (message.channel === TOKEN_CHANNEL) {
      this.options.cache?.dropToken(rest);
      this.generation++;
      if (this.instanceId !== undefined) {
        if (this.pendingAcks.length === 0) setImmediate(this.sendAcks);
        this.pendingAcks.push(`${txid} ${this.instanceId}`);
      }
    } else if (message.channel === ACK_CHANNEL) {
      const waiter = this.waiters.get(txid);
      if (waiter && waiter.pending.delete(rest) && waiter.pending.size === 0) waiter.resolve();
    }
  }

  /** The acks of one turn's notifications, in one statement on the listening connection. */
  private readonly sendAcks = (): void => {
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    this.client?.query(`SELECT pg_notify('${ACK_CHANNEL}', a) FROM unnest($1::text[]) AS a`, [acks]).catch(() => undefined);
  };

  /**
   * Called inside the transaction of a delete or rotate, before its commit: what to wait for after it. `live` are
   * the lease ids read inside that transaction, `txid` its txid_current().
   */
  expect(txid: string, live: string[]): { wait(): Promise<void>; cancel(): void } {
    const pending = new Set(live.filter((id) => id !== this.instanceId));
    let resolve!: () => void;
    const done = new Promise<void>((yes) => (resolve = yes));
    const waiter: Waiter = { pending, resolve };
    if (pending.size === 0) resolve();
    else this.waiters.set(txid, waiter);
    return {
      cancel: () => this.waiters.delete(txid),
      wait: async () => {
        // This instance's own lookups in flight were sent before the commit: none of them may fill the cache.
        this.generation++;
        // A database time after the commit (the first re-read's): a renewal after it follows the notification.
        let after: number | null = null;
        try {
          while (pending.size > 0) {
            const timer = new Promise<void>((yes) => setTimeout(yes, WAIT_POLL_MS));
            await Promise.race([done, timer]);
            if (pending.size === 0) break;
            // Leases that ran out, and instances that have processed everything up to a time after the commit.
            const rows = await this.options.query(
              `SELECT id, ${DB_NOW_MS} AS at FROM hub_instances
                 WHERE id = ANY($1) AND lease_until > ${DB_NOW_MS} AND processed_through < COALESCE($2::bigint, ${DB_NOW_MS})`,
              [[...pending], after],
            );
            if (rows.length > 0) after ??= Number(rows[0].at);
            const still = new Set(rows.map((row) => row.id as string));
            for (const id of [...pending]) if (!still.has(id)) pending.delete(id);
          }
        } finally {
          this.waiters.delete(txid);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    const id = this.instanceId;
    this.client = undefined;
    this.instanceId = undefined;
    this.trustedUntil = 0;
    if (client) {
      client.removeAllListeners('end');
      await client.query('DELETE FROM hub_instances WHERE id = $1', [id]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
