// The JSON schemas the routes share, written with TypeBox so that each one is a plain JSON schema (fastify validates
// and serializes with it, @fastify/swagger puts it in the OpenAPI document) and a TypeScript type at once (the
// TypeBox type provider types each handler's request from its route's schema). The field order of each object is
// the order responses are serialized in.
import { Type, type Static, type TSchema } from 'typebox';
import { API_LIMITS } from '../contract/types';

/** `type: [T, "null"]`: the form the document and the serializer had before TypeBox (its Union is an anyOf). */
function nullable<T extends TSchema>(schema: T, description: string) {
  const { type, format } = schema as unknown as { type: string; format?: string };
  return Type.Unsafe<Static<T> | null>({ type: [type, 'null'], ...(format === undefined ? {} : { format }), description });
}

/**
 * fast-json-stringify's format for a string it writes as it is, without looking for characters to escape. Only for
 * text the hub makes from an alphabet with nothing to escape (ids and masks: base62, "_" and "…"; isoTime's dates):
 * that search was a tenth of a list page's CPU time. openapi.ts leaves the format out of the document.
 */
export const UNESCAPED_FORMAT = 'unsafe';
const unescaped = { format: UNESCAPED_FORMAT };

const errorProperties = {
  error: Type.Object({
    code: Type.String({ description: 'snake_case error code, see docs/api.md' }),
    message: Type.String({ description: 'One sentence for a person.' }),
    field: Type.Optional(Type.String({ description: 'The request field the error is about, for invalid_<field> codes.' })),
    tokenId: Type.Optional(Type.String({ description: 'With idempotency_replayed: the token the first request created or rotated.' })),
  }),
};

export const errorSchema = Type.Object(errorProperties);

export const tokenSchema = Type.Object(
  {
    id: Type.String({ ...unescaped, description: 'tok_ followed by 16 base62 characters.' }),
    name: Type.String(),
    maskedKey: Type.String({
      ...unescaped,
      description:
        'Prefix, the first 4 characters of the random part, "…", and the last 4 characters of the random part (the form this hub gives) or of the whole secret (the contract\'s newer form); a token keeps the mask it was given.',
    }),
    endpoints: Type.Array(Type.String()),
    createdAt: Type.String({ ...unescaped, description: 'ISO 8601 UTC.' }),
    expiresAt: nullable(Type.String(unescaped), 'ISO 8601 UTC, or null for a token that never expires.'),
    lastUsedAt: nullable(Type.String(unescaped), 'ISO 8601 UTC of the latest successful authentication (at most 60 s stale), or null.'),
  },
  { title: 'Token' },
);

export const tokenWithSecretSchema = Type.Object(
  {
    token: tokenSchema,
    secret: Type.String({ description: 'thub_…: shown in this response only.' }),
  },
  { title: 'TokenWithSecret' },
);

export const endpointSchema = Type.Object(
  { id: Type.String(), name: Type.String(), description: Type.String() },
  { title: 'Endpoint' },
);

export const workspaceSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    policy: Type.Object({
      defaultLifetimeDays: Type.Integer(),
      maxLifetimeDays: Type.Integer(),
      allowNoExpiry: Type.Boolean(),
    }),
  },
  { title: 'Workspace' },
);

/** A 200 page of a keyset listing: the items and the cursor of the next page (null on the last). */
export function pageSchema<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), nextCursor: Type.Unsafe<string | null>({ type: ['string', 'null'] }) }, { description: 'OK' });
}

/** What an error response declares: the error shape, and Retry-After where the status sets it. */
function errorResponse(description: string, retryAfter?: string) {
  const response = Type.Object(errorProperties, { description });
  if (retryAfter === undefined) return response;
  // @fastify/swagger turns `headers` into the response's headers; fastify's serializer ignores the keyword.
  return Object.assign(response, { headers: { 'Retry-After': Type.Integer({ minimum: 1, description: retryAfter }) } });
}

/** Every status the hub answers with an error, with what it means; routes pick theirs with `errorResponses`. */
const ERROR_RESPONSES = {
  400: errorResponse('bad_request: the body is not JSON, not an object, or larger than 64 KiB; or a malformed URL'),
  401: errorResponse('unauthorized: missing, malformed, unknown, expired or deleted credential'),
  403: errorResponse('forbidden: a valid token not scoped to this endpoint'),
  404: errorResponse('not_found'),
  409: errorResponse('name_taken or idempotency_replayed (with tokenId)'),
  422: errorResponse('invalid_<field> (with field) or idempotency_mismatch'),
  429: errorResponse(
    'rate_limited: too many failed authentications from this address, or too many lookups with this account key',
    'Whole seconds until the next attempt is allowed.',
  ),
  502: errorResponse("upstream_unavailable (gateway only): the endpoint's upstream refused or broke the connection"),
  503: errorResponse('service_unavailable: the database cannot be reached', 'Seconds to wait before trying again (5).'),
  504: errorResponse("upstream_timeout (gateway only): the endpoint's upstream did not connect or answer in time"),
};

type ErrorStatus = keyof typeof ERROR_RESPONSES;

/**
 * What node:http answers below the routes, on any operation, in the error shape with code bad_request, and then
 * closes the connection; and the default for everything else (unknown routes and methods are 404 not_found).
 */
const TRANSPORT_RESPONSES = {
  408: errorResponse('bad_request: the request (headers and body) did not arrive in full within 30 s'),
  // The contract makes a body over 64 KiB a 400, which this hub answers; a proxy in front of it may answer 413.
  413: errorResponse('bad_request: the body is larger than 64 KiB (this hub answers 400 for it, as the contract says; a proxy in front of it may answer 413)'),
  417: errorResponse('bad_request: an Expect header other than 100-continue'),
  431: errorResponse('bad_request: the request headers are larger than 16 KiB'),
  default: errorResponse('Any other error, in the same shape: 404 not_found for an unknown route or method, 500 internal_error for a bug'),
};

/** The response schemas of a route: its successes, the listed error statuses, and the transport errors. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const picked = Object.fromEntries(statuses.map((status) => [status, ERROR_RESPONSES[status]])) as Pick<typeof ERROR_RESPONSES, S>;
  return { ...picked, ...TRANSPORT_RESPONSES };
}

/** The management error statuses every account-key route can answer. */
export const MANAGEMENT_ERRORS = [400, 401, 429, 503] as const;

export const idempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: API_LIMITS.idempotencyKeyMaxLength,
      pattern: '^[\\x20-\\x7E]+$',
      description: '1 to 255 printable ASCII characters; scoped to the workspace, kept 24 hours.',
    }),
  ),
});

/** OpenAPI security requirements: none (public), or a bearer account key / access token / service key. */
export const SECURITY = {
  none: [] as Array<Record<string, string[]>>,
  accountKey: [{ accountKey: [] }] as Array<Record<string, string[]>>,
  accessToken: [{ accessToken: [] }] as Array<Record<string, string[]>>,
  serviceKey: [{ serviceKey: [] }] as Array<Record<string, string[]>>,
};
