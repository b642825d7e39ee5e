// tokenhub serve: the HTTP server. Prints one line "Token Hub listening on http://HOST:PORT" on stdout once it
// listens (with --port 0, the port really chosen); structured logs (pino JSON) go to stdout as well.
import pino from 'pino';
import { buildHub, loggerOptions } from '../app';
import { trustEntryProblem } from '../clientAddress';
import { clockFromEnv } from '../clock';
import { openStore } from '../openStore';
import { DEFAULT_TOKEN_CACHE_SIZE } from '../tokenCache';
import { DB_OPTION, OperatorUsageError, intOption, parse, type Command } from './common';

const HELP = `Usage: tokenhub serve [options]

Runs the Token Hub server.

Options:
  --host HOST                  address to listen on (default 127.0.0.1)
  --port PORT                  port, 0 for any free one (default 8787)
  --db PATH|postgres://URL     SQLite file or PostgreSQL URL (default: $DATABASE_URL, else .tokenhub/hub.db)
  --log-level LEVEL            fatal, error, warn, info, debug, trace or silent (default info)
  --auth-failure-limit N       failed authentications per address per window before 429 (default 20)
  --auth-failure-window SECS   length of that window in seconds (default 60)
  --lookup-burst N             token lookups (POST /v1/tokens/lookup) one account key may make at once (default 500)
  --lookups-per-second N       lookups per second per account key after that burst (default 5)
  --trust-proxy ADDR|CIDR,…    reverse proxies in front of the hub: from them, the client address is the rightmost
                               X-Forwarded-For entry that is not one of them (default: none; the header is ignored)
  --upstream-connect-timeout SECS  the gateway's limit for connecting to an upstream (default 10)
  --upstream-idle-timeout SECS     the gateway's limit for an upstream sending nothing (default 300)
  --flush-seconds N            how often last use and usage counts are written to the database (default 60);
                               an instance that is killed loses at most this long of them
  --token-cache-size N         verified tokens kept in memory, least recently used dropped first; 0 for none
                               (default ${DEFAULT_TOKEN_CACHE_SIZE}); see docs/api.md on several instances
  -h, --help                   show this help

Environment: TOKENHUB_PEPPER (HMAC key for digests; keep it the same for the life of the database).
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const serve: Command = {
  summary: 'run the server',
  async run(argv) {
    const { values } = parse(argv, {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8787' },
      'log-level': { type: 'string', default: 'info' },
      'auth-failure-limit': { type: 'string' },
      'auth-failure-window': { type: 'string' },
      'lookup-burst': { type: 'string' },
      'lookups-per-second': { type: 'string' },
      'trust-proxy': { type: 'string', multiple: true },
      'upstream-connect-timeout': { type: 'string' },
      'upstream-idle-timeout': { type: 'string' },
      'flush-seconds': { type: 'string' },
      'token-cache-size': { type: 'string' },
      ...DB_OPTION,
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const port = intOption('port', values.port, 0, 65535)!;
    const level = values['log-level']!;
    if (!LEVELS.includes(level)) throw new OperatorUsageError(`--log-level must be one of ${LEVELS.join(', ')}, not "${level}".`);
    const authFailureLimit = intOption('auth-failure-limit', values['auth-failure-limit'], 1, 1_000_000);
    const authFailureWindowSeconds = intOption('auth-failure-window', values['auth-failure-window'], 1, 86_400);
    const lookupBurst = intOption('lookup-burst', values['lookup-burst'], 1, 1_000_000);
    const lookupsPerSecond = intOption('lookups-per-second', values['lookups-per-second'], 1, 1_000_000);
    const flushSeconds = intOption('flush-seconds', values['flush-seconds'], 1, 3600);
    const tokenCacheSize = intOption('token-cache-size', values['token-cache-size'], 0, 10_000_000) ?? DEFAULT_TOKEN_CACHE_SIZE;
    const host = values.host!;
    const trustProxy = (values['trust-proxy'] ?? []).flatMap((list) => list.split(',')).map((entry) => entry.trim()).filter(Boolean);
    for (const entry of trustProxy) {
      const problem = trustEntryProblem(entry);
      if (problem) throw new OperatorUsageError(`--trust-proxy: ${problem}`);
    }
    const connectSeconds = intOption('upstream-connect-timeout', values['upstream-connect-timeout'], 1, 3600);
    const idleSeconds = intOption('upstream-idle-timeout', values['upstream-idle-timeout'], 1, 86_400);

    const logger = pino(loggerOptions(level));
    const { store, choice } = await openStore(values.db, process.env, (error) =>
      logger.warn({ err: error.message }, 'database connection lost; it will be reopened on demand'),
      tokenCacheSize,
    );
    const clock = clockFromEnv();
    if (clock.offsetMs !== 0) logger.warn({ offsetMs: clock.offsetMs }, 'TOKENHUB_TEST_CLOCK_OFFSET_MS is set: the clock is shifted (tests only)');

    const hub = await buildHub({
      store,
      pepper: process.env.TOKENHUB_PEPPER || undefined,
      now: clock.now,
      logger,
      authFailureLimit,
      authFailureWindowSeconds,
      lookupBurst,
      lookupsPerSecond,
      trustProxy,
      gateway: {
        ...(connectSeconds !== undefined && { connectTimeoutMs: connectSeconds * 1000 }),
        ...(idleSeconds !== undefined && { idleTimeoutMs: idleSeconds * 1000 }),
      },
      lastUsedWriteIntervalMs: flushSeconds === undefined ? undefined : flushSeconds * 1000,
    });
    let address: string;
    try {
      address = await hub.app.listen({ host, port });
    } catch (error) {
      await hub.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new Error(`Port ${port} on ${host} is already in use; choose another with --port.`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        throw new Error(`Cannot listen on ${host}: no such local address.`);
      }
      if (code === 'EACCES') throw new Error(`Not allowed to listen on ${host}:${port}; use a port above 1023.`);
      throw error;
    }
    const { port: realPort } = hub.app.server.address() as { port: number };
    const shownHost = host.includes(':') ? `[${host}]` : host;
    process.stdout.write(`Token Hub listening on http://${shownHost}:${realPort}\n`);
    logger.info({ address, database: choice.kind, location: choice.display }, 'listening');

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting at once');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing requests in flight');
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    process.on('SIGTERM', () => process.exit(1));
    process.on('SIGINT', () => process.exit(1));
    await hub.close();
    // The cache's figures, whatever the log level (the bench reads its hit rate here); no digest or token id in them.
    const cache = store.tokenCacheStats?.();
    if (cache) {
      process.stdout.write(
        `Token cache: ${cache.hits} hits, ${cache.misses} misses, ${cache.size} of at most ${cache.max} tokens kept (--token-cache-size).\n`,
      );
    }
    await store.close();
    logger.info('stopped');
    logger.flush?.();
    return 0;
  },
};
