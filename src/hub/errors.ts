// Errors the hub answers with, always in the contract's shape: {"error": {"code", "message", "field"?, "tokenId"?}}.
import type { ApiErrorBody, ErrorCode } from '../contract/types';

export class HubError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly extra?: { tokenId?: string; retryAfterSeconds?: number },
  ) {
    super(message);
    this.name = 'HubError';
  }

  toBody(): ApiErrorBody {
    const error: ApiErrorBody['error'] = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    if (this.extra?.tokenId !== undefined) error.tokenId = this.extra.tokenId;
    return { error };
  }
}

/** The database cannot be reached (PostgreSQL down, SQLite locked for too long): the one 5xx the hub answers. */
export class StoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** camelCase field name to the snake_case used in `invalid_<field>` codes. */
export function snakeCase(field: string): string {
  return field
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

export const errors = {
  badRequest: (message: string) => new HubError(400, 'bad_request', message),
  unauthorized: (message = 'Send a valid credential in the Authorization header as "Bearer <key>".') =>
    new HubError(401, 'unauthorized', message),
  forbidden: (message: string) => new HubError(403, 'forbidden', message),
  notFound: (message: string) => new HubError(404, 'not_found', message),
  nameTaken: (name: string) =>
    new HubError(409, 'name_taken', `A token named "${name}" already exists in this workspace; choose another name.`, 'name'),
  invalid: (field: string, message: string) => new HubError(422, `invalid_${snakeCase(field)}`, message, field),
  idempotencyReplayed: (tokenId: string) =>
    new HubError(
      409,
      'idempotency_replayed',
      'This Idempotency-Key was already used for this request; the token exists, but its secret cannot be shown again.',
      undefined,
      { tokenId },
    ),
  idempotencyMismatch: () =>
    new HubError(422, 'idempotency_mismatch', 'This Idempotency-Key was already used with a different request; send a fresh key.', 'Idempotency-Key'),
  rateLimited: (retryAfterSeconds: number) =>
    new HubError(
      429,
      'rate_limited',
      `Too many failed authentications from this address; try again in ${retryAfterSeconds} seconds.`,
      undefined,
      { retryAfterSeconds },
    ),
  lookupsLimited: (retryAfterSeconds: number) =>
    new HubError(
      429,
      'rate_limited',
      `Too many token lookups with this account key; try again in ${retryAfterSeconds} seconds.`,
      undefined,
      { retryAfterSeconds },
    ),
  unavailable: () =>
    new HubError(503, 'service_unavailable', 'The hub cannot reach its database right now; try again shortly.'),
  upstreamUnavailable: () =>
    new HubError(502, 'upstream_unavailable', "The endpoint's service refused or broke the connection; try again shortly, or tell the hub's operator if it goes on."),
  upstreamTimeout: () =>
    new HubError(504, 'upstream_timeout', "The endpoint's service did not answer in time; try again shortly, or tell the hub's operator if it goes on."),
};
