// The one mapping from whatever a request failed with to what the hub answers: status, headers and the contract's
// error body. The fastify error handler, the not-found handler, fastify's framework errors, the invoke fast path
// (node:http) and node:http's own client errors all answer through toWireError, so the same failure is the same
// bytes whichever way a request took.
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import type { ServerResponse } from 'http';
import { API_LIMITS } from '../contract/types';
import { HubError, StoreUnavailableError, errors } from './errors';
import { fieldMessage } from './tokens';

export interface WireError {
  status: number;
  /** Retry-After, when the error sets it. */
  retryAfter?: string;
  /** The JSON body, serialized once. */
  body: string;
}

/** What a failed request held, for the 422 message about a field (the value as sent, never a secret). */
export interface RequestParts {
  body?: unknown;
  query?: unknown;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const INTERNAL_BODY = JSON.stringify({ error: { code: 'internal_error', message: 'The hub failed unexpectedly; this is a bug.' } });

// The errors of the invoke path are made once (an Error costs a stack trace), as are their bodies.
const PREBUILT = new WeakMap<HubError, WireError>();

/** A HubError's wire form; errors made once (the invoke path's) keep theirs. */
export function wireOf(error: HubError): WireError {
  const known = PREBUILT.get(error);
  if (known) return known;
  const retry = error.extra?.retryAfterSeconds;
  return { status: error.statusCode, retryAfter: retry === undefined ? undefined : String(retry), body: JSON.stringify(error.toBody()) };
}

/** A HubError made once for the life of the process, with its wire form computed once too. */
export function prebuilt(error: HubError): HubError {
  PREBUILT.set(error, wireOf(error));
  return error;
}

/**
 * Any failure as the answer the hub gives. Logs what an operator must know (the database unreachable, a bug);
 * never logs the request itself.
 */
export function toWireError(error: unknown, log: FastifyBaseLogger, parts?: RequestParts): WireError {
  if (error instanceof HubError) return wireOf(error);
  if (error instanceof StoreUnavailableError) {
    log.warn({ err: error.message }, 'database unavailable');
    return { ...wireOf(errors.unavailable()), retryAfter: '5' };
  }
  const fe = error as Partial<FastifyError> | null | undefined;
  if (fe && typeof fe === 'object') {
    if (fe.validation && fe.validation.length > 0) return wireOf(validationError(fe as FastifyError, parts));
    if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH') return wireOf(errors.notFound('There is no such resource.'));
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      if (fe.statusCode === 404) return wireOf(errors.notFound('There is no such resource.'));
      return wireOf(errors.badRequest(badRequestMessage(fe as FastifyError)));
    }
  }
  log.error({ err: error }, 'unexpected error');
  return { status: 500, body: INTERNAL_BODY };
}

/**
 * Why forwarding to an upstream failed (@fastify/reply-from's error, the undici one as its cause), as the gateway's
 * answer: 504 upstream_timeout when it did not connect or answer in time, else 502 upstream_unavailable (refused,
 * reset, not found, TLS). The operator's log gets the reason; the client, one sentence.
 */
export function upstreamError(error: unknown, log: FastifyBaseLogger): HubError {
  const outer = error as { statusCode?: number; code?: string; cause?: { code?: string; message?: string } } | undefined;
  const code = outer?.cause?.code ?? outer?.code;
  const timedOut = outer?.statusCode === 504 || /TIMEOUT/.test(code ?? '');
  log.warn({ upstreamError: code, reason: outer?.cause?.message }, timedOut ? 'upstream timed out' : 'upstream unavailable');
  return timedOut ? errors.upstreamTimeout() : errors.upstreamUnavailable();
}

/** Writes a wire error on a node:http response (the fast path): the headers fastify's reply sends, in its order. */
export function writeWire(res: ServerResponse, wire: WireError): void {
  const headers: Record<string, string | number> =
    wire.retryAfter !== undefined
      ? { 'retry-after': wire.retryAfter, 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(wire.body) }
      : { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(wire.body) };
  res.writeHead(wire.status, headers);
  res.end(wire.body);
}

const HEADER_FIELDS: Record<string, string> = { 'idempotency-key': 'Idempotency-Key' };

/** A schema violation as the contract's 422 invalid_<field> (or 400 when the body is not an object at all). */
function validationError(error: FastifyError, parts: RequestParts | undefined): HubError {
  const first = error.validation![0];
  const context = error.validationContext;
  const segments = first.instancePath.split('/').filter(Boolean);
  let field: string | undefined = segments[0];
  if (!field && first.keyword === 'required') field = (first.params as { missingProperty?: string }).missingProperty;
  if (!field) {
    return errors.badRequest(context === 'body' ? 'The request body must be a JSON object.' : 'The request is not valid.');
  }
  if (context === 'headers') field = HEADER_FIELDS[field] ?? field;
  const source = context === 'body' ? parts?.body : context === 'querystring' ? parts?.query : undefined;
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
