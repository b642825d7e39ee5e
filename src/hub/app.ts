// The hub's HTTP service: fastify 5 with the routes of docs/api.md, one module per resource under routes/.
// buildHub() returns the app and a close() that drains requests, writes pending last-used times and leaves the store
// to its owner. No secret is ever logged: request logging is off, the Authorization header is redacted from any log
// line, and errors never echo secrets.
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Ajv from 'ajv';
import type http from 'http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { API_LIMITS } from '../contract/types';
import { accountKeyAuthenticator, serviceKeyAuthenticator } from './auth';
import { trustingProxies } from './clientAddress';
import { type Clock } from './clock';
import type { HubContext } from './context';
import { makeDigester } from './digest';
import { errors } from './errors';
import { MAX_PARAM_LENGTH, fastInvoke } from './fastInvoke';
import { fastVerify } from './fastVerify';
import { invokeDecider, verifyDecider } from './invoke';
import { LastUsedTracker } from './lastUsed';
import { OPENAPI_OPTIONS } from './openapi';
import { AuthFailureLimiter, TokenBucketLimiter } from './rateLimit';
import { ReplayCache } from './replayCache';
import { auditRoutes } from './routes/audit';
import { endpointRoutes } from './routes/endpoints';
import { GATEWAY_DEFAULTS, gatewayRoutes, type GatewayOptions } from './routes/gateway';
import { healthRoutes } from './routes/health';
import { INVOKE_URL, invokeRoutes } from './routes/invoke';
import { openApiRoutes } from './routes/openapi';
import { tokenRoutes } from './routes/tokens';
import { usageRoutes } from './routes/usage';
import { verifyRoutes } from './routes/verify';
import { workspaceRoutes } from './routes/workspace';
import { answerClientError, createHubServer } from './server';
import type { Store } from './store';
import { TokenService } from './tokens';
import { UsageCounter } from './usageCounter';
import { JSON_CONTENT_TYPE, toWireError, wireOf, type WireError } from './wireError';

export { REQUEST_TIMEOUT_MS } from './server';

export interface HubOptions {
  store: Store;
  /** TOKENHUB_PEPPER: digests become HMAC-SHA-256 keyed by it. */
  pepper?: string;
  now?: Clock;
  /** A pino logger options object, a logger instance, or false for none. */
  logger?: boolean | Record<string, unknown> | FastifyBaseLogger;
  /** Failed authentications per address per window before 429 (default 20 per 60 s). */
  authFailureLimit?: number;
  authFailureWindowSeconds?: number;
  /**
   * POST /v1/tokens/lookup per account key, as a token bucket: `lookupBurst` at once (default 500, a scan of a
   * repository with a few hundred secrets), then `lookupsPerSecond` (default 5).
   */
  lookupBurst?: number;
  lookupsPerSecond?: number;
  /** How often at most last use is written per token, and how often usage counts are (default 60 s). */
  lastUsedWriteIntervalMs?: number;
  /**
   * Addresses and CIDR blocks of the reverse proxies in front of the hub (tokenhub serve --trust-proxy): from them,
   * the client address is taken from X-Forwarded-For (clientAddress.ts). Default: none.
   */
  trustProxy?: readonly string[];
  /** The gateway's upstream connect and idle timeouts (routes/gateway.ts's GATEWAY_DEFAULTS). */
  gateway?: Partial<GatewayOptions>;
}

/** The hub's fastify instance: handlers typed from their schemas by TypeBox. */
export type HubApp = FastifyInstance<http.Server, http.IncomingMessage, http.ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface Hub {
  app: HubApp;
  /** Every route fastify registered (HEAD twins left out). */
  routes: ReadonlyArray<{ method: string; url: string }>;
  lastUsed: LastUsedTracker;
  usage: UsageCounter;
  limiter: AuthFailureLimiter;
  lookupLimiter: TokenBucketLimiter;
  /** Stops accepting, finishes in-flight requests, writes pending last-used times. Does not close the store. */
  close(): Promise<void>;
}

/** Log options: structured pino lines, credentials redacted wherever they could appear. */
export function loggerOptions(level = 'info'): Record<string, unknown> {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["idempotency-key"]', 'headers.authorization', 'authorization', 'secret', '*.secret'],
      censor: '[redacted]',
    },
  };
}

// Bodies are validated strictly (no type coercion, unknown fields dropped); query strings and path parameters are
// coerced from text; headers are checked as they are (and never pruned: the Authorization header must survive).
const bodyAjv = new Ajv({ coerceTypes: false, removeAdditional: 'all', useDefaults: true, allErrors: false, strict: false });
const queryAjv = new Ajv({ coerceTypes: 'array', removeAdditional: 'all', useDefaults: true, allErrors: false, strict: false });
const headerAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });

export async function buildHub(options: HubOptions): Promise<Hub> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const digest = makeDigester(options.pepper);
  const limiter = new AuthFailureLimiter(options.authFailureLimit ?? 20, (options.authFailureWindowSeconds ?? 60) * 1000, now);
  const lookupLimiter = new TokenBucketLimiter(options.lookupBurst ?? 500, options.lookupsPerSecond ?? 5, now);
  // The last-used tracker and the fast path are made before fastify (the fast path is part of fastify's server);
  // both log through fastify's logger.
  const lastUsed = new LastUsedTracker(store, now, options.lastUsedWriteIntervalMs ?? 60_000, (error) =>
    app.log.warn({ err: messageOf(error) }, 'could not write last-used times; will retry'),
  );
  const usage = new UsageCounter(store, lastUsed, now, lastUsed.writeIntervalMs, (error) =>
    app.log.warn({ err: messageOf(error) }, 'could not write usage counts; will retry'),
  );
  const decideInvoke = invokeDecider(store, digest, now, limiter, usage);
  const decideVerify = verifyDecider(store, digest, now, usage);
  const addressOf = trustingProxies(options.trustProxy ?? []);

  // Set when fastify starts closing (its preClose hook): the fast path then asks clients to close the connection,
  // as fastify's router does for every other route.
  let closing = false;
  const invokeFast = fastInvoke(decideInvoke, addressOf, () => app.log, () => closing);
  const verifyFast = fastVerify(decideVerify, store, digest, addressOf, () => app.log, () => closing);

  const app: HubApp = Fastify({
    // POST /v1/endpoints/{id}/invoke without a body (fastInvoke.ts) and POST /v1/verify with a plain JSON body
    // (fastVerify.ts) are answered straight from node:http.
    serverFactory: createHubServer((req, res, fallback) => invokeFast(req, res) || verifyFast(req, res, fallback)),
    ...(isLoggerInstance(options.logger)
      ? { loggerInstance: options.logger }
      : { logger: (options.logger ?? false) as boolean | Record<string, unknown> }),
    // No per-request log lines: management routes log one compact line each (context.ts), invoke none.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_LIMITS.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A path parameter over maxParamLength is a 404 (toWireError); any other URL fastify cannot take is a 400.
    frameworkErrors: (error, request, reply) =>
      send(reply, toWireError(error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? error : errors.badRequest('The request URL is not valid.'), request.log)),
    // What node:http cannot parse (a malformed request line or header, headers over 16 KiB) or does not receive in
    // time is answered in the contract's error shape as well, not in fastify's default body.
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const replays = new ReplayCache(now);
  const service = new TokenService(store, digest, now, lastUsed, replays);
  const context: HubContext = {
    store,
    service,
    lookupLimiter,
    decideInvoke,
    decideVerify,
    digest,
    now,
    usage,
    authenticateAccount: accountKeyAuthenticator(store, digest, limiter),
    authenticateService: serviceKeyAuthenticator(store, digest, limiter),
  };

  // One logger for all requests: no per-request child logger on the hot path (management lines carry reqId themselves).
  app.setChildLoggerFactory((logger) => logger);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : httpPart === 'headers' ? headerAjv : queryAjv).compile(schema),
  );
  app.decorateRequest('workspace', null);
  app.decorateRequest('accountKeyId', null);
  // Worked out when asked (only authentication asks), by the same rule as the fast path's.
  app.decorateRequest('clientAddress', {
    getter(this: FastifyRequest) {
      return addressOf(this.socket.remoteAddress, this.headers['x-forwarded-for']);
    },
  });
  app.decorateRequest('accountKey', null);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  // Any other body type: the invoke stand-in ignores bodies, everything else wants JSON.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    if (request.routeOptions.url === INVOKE_URL) return done(null, undefined);
    done(errors.badRequest('Send the body as JSON with Content-Type: application/json.'), undefined);
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, wireOf(errors.notFound(`There is no ${request.method} route at this path; see GET /openapi.json.`))),
  );
  app.setErrorHandler((error, request, reply) => send(reply, toWireError(error, request.log, request)));

  // What fastify really registered, for the test that the OpenAPI document is complete.
  const registered: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method)) if (method !== 'HEAD') registered.push({ method, url: r.url });
  });

  await app.register(swagger, OPENAPI_OPTIONS);
  await app.register(healthRoutes);
  await app.register(openApiRoutes);
  await app.register(workspaceRoutes, context);
  await app.register(endpointRoutes, context);
  await app.register(tokenRoutes, context);
  await app.register(invokeRoutes, context);
  await app.register(gatewayRoutes, { ...context, gateway: { ...GATEWAY_DEFAULTS, ...options.gateway } });
  await app.register(usageRoutes, context);
  await app.register(auditRoutes, context);
  await app.register(verifyRoutes, context);

  await app.ready();
  lastUsed.start();
  usage.start();
  const sweeper = setInterval(() => {
    replays.sweep();
    limiter.evict();
    lookupLimiter.evict();
    store.purgeIdempotency(now() - 24 * 3600_000).catch(() => {});
  }, 60_000);
  sweeper.unref();

  return {
    app,
    routes: registered,
    lastUsed,
    usage,
    limiter,
    lookupLimiter,
    async close() {
      clearInterval(sweeper);
      // Connections that finish their last request while we drain would otherwise linger until their keep-alive
      // timeout: close each as soon as it is idle.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      await lastUsed.close();
      await usage.close();
    },
  };
}

/** A wire error through fastify's reply: the same status, Retry-After and bytes as writeWire. */
function send(reply: FastifyReply, wire: WireError): FastifyReply {
  if (wire.retryAfter !== undefined) reply.header('Retry-After', wire.retryAfter);
  return reply.code(wire.status).type(JSON_CONTENT_TYPE).send(wire.body);
}

function isLoggerInstance(logger: HubOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as { child?: unknown }).child === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
