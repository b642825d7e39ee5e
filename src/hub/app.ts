// The hub's HTTP server: fastify 5 with the routes of docs/api.md. buildHub() returns the app and a close() that
// drains requests, writes pending last-used times and leaves the store to its owner. No secret is ever logged:
// request logging is off, the Authorization header is redacted from any log line, and errors never echo secrets.
import Ajv from 'ajv';
import http, { type ServerResponse } from 'http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'net';
import type { Endpoint, TokenWithSecret, Workspace } from '../api/types';
import { API_LIMITS } from '../api/types';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, isValidToken } from '../core/token';
import { type Clock } from './clock';
import { makeDigester } from './digest';
import { hasValidTokenShape } from './fastToken';
import { HubError, StoreUnavailableError, errors } from './errors';
import { LastUsedTracker } from './lastUsed';
import { buildOpenApi } from './openapi';
import { AuthFailureLimiter, TokenBucketLimiter } from './rateLimit';
import { ReplayCache } from './replayCache';
import { ROUTES, type RouteDefinition } from './schemas';
import type { Store, TokenAuthRecord, WorkspaceRecord } from './store';
import { TokenService, fieldMessage } from './tokens';

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
  /** How often at most last use is written per token (default 60 s). */
  lastUsedWriteIntervalMs?: number;
}

export interface Hub {
  app: FastifyInstance;
  /** Every route fastify registered (HEAD twins left out). */
  routes: ReadonlyArray<{ method: string; url: string }>;
  lastUsed: LastUsedTracker;
  limiter: AuthFailureLimiter;
  lookupLimiter: TokenBucketLimiter;
  /** Stops accepting, finishes in-flight requests, writes pending last-used times. Does not close the store. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    workspace: WorkspaceRecord | null;
    /** The id of the account key that authenticated the request (for the per-key lookup limit). */
    accountKeyId: string | null;
  }
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

// Bodies are validated strictly (no type coercion, unknown fields dropped); query strings are coerced from text;
// headers are checked as they are (and never pruned: the Authorization header must survive validation).
const bodyAjv = new Ajv({ coerceTypes: false, removeAdditional: 'all', useDefaults: true, allErrors: false, strict: false });
const queryAjv = new Ajv({ coerceTypes: 'array', removeAdditional: 'all', useDefaults: true, allErrors: false, strict: false });
const headerAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });

export async function buildHub(options: HubOptions): Promise<Hub> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const digest = makeDigester(options.pepper);
  const limiter = new AuthFailureLimiter(
    options.authFailureLimit ?? 20,
    (options.authFailureWindowSeconds ?? 60) * 1000,
    now,
  );
  const lookupLimiter = new TokenBucketLimiter(options.lookupBurst ?? 500, options.lookupsPerSecond ?? 5, now);

  // Set when fastify starts closing (its preClose hook): the invoke fast path then asks clients to close the
  // connection, as fastify's router does for every other route.
  let closing = false;

  const app = Fastify({
    // POST /v1/endpoints/{id}/invoke without a body is answered straight from node:http (fastInvoke below): the
    // same checks and answers as the fastify route, without the router, the request and reply objects and the
    // hooks around them. Everything else, invoke with a body or an unusual URL included, goes to fastify.
    serverFactory: (handler, factoryOptions) => {
      const resolved = factoryOptions as unknown as ServerFactoryOptions;
      const server = http.createServer(resolved.http ?? {}, (req, res) => {
        if (!fastInvoke(req, res)) handler(req, res);
      });
      // What fastify does with the server it creates itself (lib/server.js), from its resolved options.
      server.keepAliveTimeout = resolved.keepAliveTimeout;
      server.requestTimeout = resolved.requestTimeout;
      server.setTimeout(resolved.connectionTimeout);
      if (resolved.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = resolved.maxRequestsPerSocket;
      return server;
    },
    ...(isLoggerInstance(options.logger)
      ? { loggerInstance: options.logger }
      : { logger: (options.logger ?? false) as boolean | Record<string, unknown> }),
    // No per-request log lines: management routes log one compact line each (logManagement), invoke none.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_LIMITS.bodyLimitBytes,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, errors.notFound('There is no such resource.'));
      return sendError(reply, errors.badRequest('The request URL is not valid.'));
    },
    // What node:http cannot parse (a malformed request line or header, headers over 16 KiB) or does not receive in
    // time is answered in the contract's error shape as well, not in fastify's default body.
    clientErrorHandler: answerClientError,
  });
  // The whole request, headers and body, must arrive within 30 s (node checks every 30 s): fastify's default (no
  // limit) let a client that stops half-way through a body hold its connection open for ever. The headers' limit
  // must not be the larger one, or node applies that one to the whole request.
  app.server.requestTimeout = REQUEST_TIMEOUT_MS;
  app.server.headersTimeout = REQUEST_TIMEOUT_MS;
  // node:http answers an Expect other than 100-continue with an empty 417 unless the server listens for it.
  app.server.on('checkExpectation', (_request, response) => {
    const body = JSON.stringify(errors.badRequest('The hub supports no Expect but "100-continue".').toBody());
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
  const log = app.log;
  const lastUsed = new LastUsedTracker(store, now, options.lastUsedWriteIntervalMs ?? 60_000, (error) =>
    log.warn({ err: messageOf(error) }, 'could not write last-used times; will retry'),
  );
  const replays = new ReplayCache(now);
  const service = new TokenService(store, digest, now, lastUsed, replays);

  // One logger for all requests: no per-request child logger on the hot path (management lines carry reqId themselves).
  app.setChildLoggerFactory((logger) => logger);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : httpPart === 'headers' ? headerAjv : queryAjv).compile(schema),
  );
  app.decorateRequest('workspace', null);
  app.decorateRequest('accountKeyId', null);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  // Any other body type: the invoke stand-in ignores bodies, everything else wants JSON.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    if (request.routeOptions.url === ROUTES.invoke.url) return done(null, undefined);
    done(errors.badRequest('Send the body as JSON with Content-Type: application/json.'), undefined);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, errors.notFound(`There is no ${request.method} route at this path; see GET /openapi.json.`)),
  );

  app.setErrorHandler((error: FastifyError | HubError | StoreUnavailableError, request, reply) => {
    if (error instanceof HubError) return sendError(reply, error);
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: error.message }, 'database unavailable');
      reply.header('Retry-After', '5');
      return sendError(reply, errors.unavailable());
    }
    const fe = error as FastifyError;
    if (fe.validation && fe.validation.length > 0) return sendError(reply, validationError(fe, request));
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      if (fe.statusCode === 404) return sendError(reply, errors.notFound('There is no such resource.'));
      return sendError(reply, errors.badRequest(badRequestMessage(fe)));
    }
    request.log.error({ err: error }, 'unexpected error');
    reply.code(500).send({ error: { code: 'internal_error', message: 'The hub failed unexpectedly; this is a bug.' } });
  });

  // What fastify really registered, for the test that compares it with the OpenAPI document.
  const registered: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method)) if (method !== 'HEAD') registered.push({ method, url: r.url });
  });

  const route = (def: RouteDefinition, handler: (request: FastifyRequest, reply: FastifyReply) => unknown): void => {
    app.route({
      method: def.method,
      url: def.url,
      schema: def.schema,
      // Authenticate before validating, so that a stranger learns nothing about the request rules.
      onRequest: def.auth === 'accountKey' ? authenticateAccount : undefined,
      preValidation: def.bodyOptional ? emptyBodyIsObject : undefined,
      onResponse: def.auth === 'accountKey' ? logManagement : undefined,
      handler: handler as never,
    });
  };

  function emptyBodyIsObject(request: FastifyRequest, _reply: FastifyReply, done: () => void) {
    if (request.body === undefined) request.body = {};
    done();
  }

  function logManagement(request: FastifyRequest, reply: FastifyReply, done: () => void) {
    request.log.info(
      { reqId: request.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    done();
  }

  function clientAddress(request: FastifyRequest): string {
    return request.socket.remoteAddress ?? '';
  }

  function bearer(header: string | undefined): string | undefined {
    if (header === undefined || header.length < 8) return undefined;
    const scheme = header.slice(0, 7);
    if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') return undefined;
    return header.slice(7).trim();
  }

  /** 429 when the address has failed too often; null otherwise. */
  function rateLimited(request: FastifyRequest): HubError | null {
    const wait = limiter.retryAfter(clientAddress(request));
    return wait > 0 ? errors.rateLimited(wait) : null;
  }

  function failed(request: FastifyRequest, counts: boolean): HubError {
    if (counts) limiter.recordFailure(clientAddress(request));
    return errors.unauthorized();
  }

  async function authenticateAccount(request: FastifyRequest) {
    const limited = rateLimited(request);
    if (limited) throw limited;
    const secret = bearer(request.headers.authorization);
    if (!secret) throw failed(request, false);
    if (!isValidToken(secret, ACCOUNT_KEY_PREFIX)) throw failed(request, true);
    const key = await store.authenticateAccountKey(digest(secret));
    const workspace = key ? await store.getWorkspace(key.workspaceId) : null;
    if (!key || !workspace) throw failed(request, true);
    request.workspace = workspace;
    request.accountKeyId = key.id;
  }

  const workspaceOf = (request: FastifyRequest) => request.workspace as WorkspaceRecord;
  const idempotencyKeyOf = (request: FastifyRequest) => request.headers['idempotency-key'] as string | undefined;

  route(ROUTES.health, (_request, reply) => reply.send({ ok: true }));

  route(ROUTES.workspace, async (request): Promise<Workspace> => {
    const { id, name, policy } = workspaceOf(request);
    return { id, name, policy };
  });

  route(ROUTES.endpoints, async (request): Promise<{ data: Endpoint[] }> => ({
    data: await store.listEndpoints(workspaceOf(request).id),
  }));

  route(ROUTES.listTokens, async (request) => {
    const query = request.query as { limit: number; cursor?: string; search?: string; maskedKey?: string };
    return service.list(workspaceOf(request), query);
  });

  // Limited per account key, and never a failed authentication whatever it finds: the account key authenticated,
  // and the secret in the body is a question, not a credential of this request.
  route(ROUTES.lookupToken, async (request) => {
    const wait = lookupLimiter.take(request.accountKeyId as string);
    if (wait > 0) throw errors.lookupsLimited(wait);
    return service.lookup(workspaceOf(request), (request.body as { secret: string }).secret);
  });

  route(ROUTES.getToken, async (request) => {
    const { id } = request.params as { id: string };
    return service.get(workspaceOf(request), id);
  });

  route(ROUTES.createToken, async (request, reply): Promise<TokenWithSecret> => {
    const body = request.body as { name: string; endpoints: string[]; expiresAt?: string | null };
    const result = await service.create(workspaceOf(request), body, idempotencyKeyOf(request));
    reply.code(201);
    return result;
  });

  route(ROUTES.rotateToken, async (request, reply): Promise<TokenWithSecret> => {
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as { graceSeconds?: number };
    const result = await service.rotate(workspaceOf(request), id, body.graceSeconds ?? 0, idempotencyKeyOf(request));
    reply.code(201);
    return result;
  });

  route(ROUTES.deleteToken, async (request, reply) => {
    const { id } = request.params as { id: string };
    await service.remove(workspaceOf(request), id);
    reply.code(204).send();
  });

  // The hot path: no awaits on writes, no logging, one indexed lookup (none for a token seen since the database last
  // changed, on SQLite). decideInvoke is shared by the fastify route (app.inject, bodies, unusual URLs) and by
  // fastInvoke, which answers the plain requests before fastify sees them; both answer the same bytes.
  route(ROUTES.invoke, (request, reply) => {
    const endpoint = (request.params as { endpointId: string }).endpointId;
    const outcome = decideInvoke(clientAddress(request), request.headers.authorization, endpoint);
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => replyInvoke(reply, endpoint, settled),
        (error) => reply.send(error),
      );
      return reply;
    }
    return replyInvoke(reply, endpoint, outcome);
  });

  function replyInvoke(reply: FastifyReply, endpoint: string, outcome: InvokeOutcome) {
    if (outcome instanceof HubError) return sendError(reply, outcome);
    return reply.send({ endpoint, tokenId: outcome.id });
  }

  /**
   * The token record when the credential may call the endpoint, else the error to answer. Throws (SQLite) or
   * rejects (PostgreSQL) when the store fails. Counts failed authentications and records last use.
   */
  function decideInvoke(address: string, authorization: string | undefined, endpoint: string): InvokeOutcome | Promise<InvokeOutcome> {
    const wait = limiter.retryAfter(address);
    if (wait > 0) return errors.rateLimited(wait);
    const secret = bearer(authorization);
    if (secret === undefined) return UNAUTHORIZED; // no credential at all: not counted
    if (!hasValidTokenShape(secret, ACCESS_TOKEN_PREFIX)) {
      limiter.recordFailure(address);
      return UNAUTHORIZED;
    }
    const found = store.authenticateToken(digest(secret));
    if (found instanceof Promise) return found.then((record) => settleInvoke(address, record, endpoint));
    return settleInvoke(address, found, endpoint);
  }

  function settleInvoke(address: string, record: TokenAuthRecord | null, endpoint: string): InvokeOutcome {
    const at = now();
    if (
      record === null ||
      (record.expiresAt !== null && record.expiresAt <= at) ||
      (!record.current && (record.previousExpiresAt === null || record.previousExpiresAt <= at))
    ) {
      limiter.recordFailure(address);
      return UNAUTHORIZED;
    }
    if (!record.endpoints.includes(endpoint)) return FORBIDDEN;
    lastUsed.touch(record.id, at);
    return record;
  }

  /**
   * Answers POST /v1/endpoints/{id}/invoke from node:http when fastify would call the route's handler straight
   * away: no Content-Type, no Transfer-Encoding, no or an empty Content-Length (handle-request.js), and a URL that
   * fastify's router would match without decoding anything (no query, no percent-escapes, at most 256 characters
   * in the id). Returns false, having done nothing, for every other request.
   */
  function fastInvoke(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url as string;
    if (!url.endsWith('/invoke') || !url.startsWith('/v1/endpoints/')) return false;
    const headers = req.headers;
    if (headers['content-type'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    if (length !== undefined && length !== '0') return false;
    const endpoint = url.slice(INVOKE_PREFIX_LENGTH, url.length - INVOKE_SUFFIX_LENGTH);
    if (!PLAIN_ENDPOINT_ID.test(endpoint)) return false;

    if (closing && req.httpVersionMajor !== 2) res.setHeader('Connection', 'close'); // as fastify's route.js
    let outcome: InvokeOutcome | Promise<InvokeOutcome>;
    try {
      outcome = decideInvoke(req.socket.remoteAddress ?? '', headers.authorization, endpoint);
    } catch (error) {
      answerFailure(res, error);
      return true;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => answerInvoke(res, endpoint, settled),
        (error) => answerFailure(res, error),
      );
    } else answerInvoke(res, endpoint, outcome);
    return true;
  }

  function answerInvoke(res: http.ServerResponse, endpoint: string, outcome: InvokeOutcome): void {
    if (outcome instanceof HubError) return writeError(res, outcome);
    // The endpoint id is plain (PLAIN_ENDPOINT_ID): nothing in it to escape.
    const body = `{"endpoint":"${endpoint}","tokenId":${JSON.stringify(outcome.id)}}`;
    res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** What the error handler answers for an error thrown by the route (fastify's setErrorHandler above). */
  function answerFailure(res: http.ServerResponse, error: unknown): void {
    if (error instanceof HubError) return writeError(res, error);
    if (error instanceof StoreUnavailableError) {
      log.warn({ err: error.message }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      return writeError(res, errors.unavailable());
    }
    log.error({ err: error }, 'unexpected error');
    const body = JSON.stringify({ error: { code: 'internal_error', message: 'The hub failed unexpectedly; this is a bug.' } });
    res.writeHead(500, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const openapi = buildOpenApi(Object.values(ROUTES));
  route(ROUTES.openapi, (_request, reply) => reply.send(openapi));

  await app.ready();
  lastUsed.start();
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
    limiter,
    lookupLimiter,
    async close() {
      clearInterval(sweeper);
      // Connections that finish their last request while we drain would otherwise linger until their keep-alive
      // timeout: close each as soon as it is idle.
      const reaper = setInterval(() => app.server.closeIdleConnections?.(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      await lastUsed.close();
    },
  };
}

export function sendError(reply: FastifyReply, error: HubError): FastifyReply {
  if (error.extra?.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.extra.retryAfterSeconds));
  return reply.code(error.statusCode).send(error.toBody());
}

/** The options fastify hands its serverFactory, defaults applied (fastify.js). */
interface ServerFactoryOptions {
  http?: http.ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

/** A token record: the credential may call the endpoint. An error: what to answer instead. */
type InvokeOutcome = TokenAuthRecord | HubError;

// The invoke path's errors are made once (an Error costs a stack trace) and never changed, as are their bodies.
const UNAUTHORIZED = errors.unauthorized();
const FORBIDDEN = errors.forbidden('This token is not allowed to call this endpoint.');
const PREBUILT_BODIES = new Map<HubError, string>([
  [UNAUTHORIZED, JSON.stringify(UNAUTHORIZED.toBody())],
  [FORBIDDEN, JSON.stringify(FORBIDDEN.toBody())],
]);
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const INVOKE_PREFIX_LENGTH = '/v1/endpoints/'.length;
const INVOKE_SUFFIX_LENGTH = '/invoke'.length;
/** An endpoint id in a URL that fastify's router takes as it is: no escapes, no query, at most maxParamLength. */
const PLAIN_ENDPOINT_ID = /^[A-Za-z0-9._~-]{1,256}$/;

/** sendError for the node:http fast path: the same status, headers and body (the error schema's field order). */
function writeError(res: ServerResponse, error: HubError): void {
  const body = PREBUILT_BODIES.get(error) ?? JSON.stringify(error.toBody());
  const retryAfter = error.extra?.retryAfterSeconds;
  const headers: Record<string, string | number> =
    retryAfter !== undefined
      ? { 'retry-after': String(retryAfter), 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }
      : { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) };
  res.writeHead(error.statusCode, headers);
  res.end(body);
}

/** How long a client may take to send one whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 30_000;

const CLIENT_ERRORS: Record<string, { status: number; reason: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'The request did not arrive in full in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'The request headers are larger than 16 KiB.' },
};

/**
 * node:http's clientError: a request it cannot parse, or one that did not arrive in time. Answers 400 (408, 431)
 * bad_request in the contract's shape and closes the connection. Like node:http itself, it writes nothing when a
 * response on this connection has already started.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const known = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, reason: 'Bad Request', message: 'The request is not valid HTTP/1.1.' };
    const body = JSON.stringify(errors.badRequest(known.message).toBody());
    socket.write(
      `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function isLoggerInstance(logger: HubOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as { child?: unknown }).child === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const HEADER_FIELDS: Record<string, string> = { 'idempotency-key': 'Idempotency-Key' };

/** A schema violation as the contract's 422 invalid_<field> (or 400 when the body is not an object at all). */
function validationError(error: FastifyError, request: FastifyRequest): HubError {
  const first = error.validation![0];
  const context = (error as { validationContext?: string }).validationContext;
  const segments = first.instancePath.split('/').filter(Boolean);
  let field: string | undefined = segments[0];
  if (!field && first.keyword === 'required') field = (first.params as { missingProperty?: string }).missingProperty;
  if (!field) {
    return errors.badRequest(context === 'body' ? 'The request body must be a JSON object.' : 'The request is not valid.');
  }
  if (context === 'headers') field = HEADER_FIELDS[field] ?? field;
  const source = context === 'body' ? request.body : context === 'querystring' ? request.query : undefined;
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[field] : undefined;
  return errors.invalid(field, fieldMessage(field, value));
}

function badRequestMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The request body is larger than ${API_LIMITS.bodyLimitBytes / 1024} KiB.`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Send the body as JSON with Content-Type: application/json.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty; send a JSON object.';
    default:
      return error instanceof SyntaxError || /JSON/.test(error.message)
        ? 'The request body is not valid JSON.'
        : 'The request could not be read.';
  }
}
