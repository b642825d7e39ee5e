// The JSON schemas of every route: fastify validates requests and serializes responses with them, and
// openapi.ts builds the OpenAPI document from the same objects, so the document cannot drift from the code.
import { API_LIMITS } from '../api/types';

type Schema = Record<string, unknown>;

const isoOrNull = (description: string): Schema => ({ type: ['string', 'null'], description });

export const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'snake_case error code, see docs/api.md' },
        message: { type: 'string', description: 'One sentence for a person.' },
        field: { type: 'string', description: 'The request field the error is about, for invalid_<field> codes.' },
        tokenId: { type: 'string', description: 'With idempotency_replayed: the token the first request created or rotated.' },
      },
    },
  },
};

export const tokenSchema: Schema = {
  type: 'object',
  required: ['id', 'name', 'maskedKey', 'endpoints', 'createdAt', 'expiresAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string', description: 'tok_ followed by 16 base62 characters.' },
    name: { type: 'string' },
    maskedKey: {
      type: 'string',
      description:
        'Prefix, the first 4 characters of the random part, "…", and the last 4 characters of the random part (the form this hub gives) or of the whole secret (the contract\'s newer form); a token keeps the mask it was given.',
    },
    endpoints: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', description: 'ISO 8601 UTC.' },
    expiresAt: isoOrNull('ISO 8601 UTC, or null for a token that never expires.'),
    lastUsedAt: isoOrNull('ISO 8601 UTC of the latest successful authentication (at most 60 s stale), or null.'),
  },
};

export const tokenWithSecretSchema: Schema = {
  type: 'object',
  required: ['token', 'secret'],
  properties: {
    token: tokenSchema,
    secret: { type: 'string', description: 'thub_…: shown in this response only.' },
  },
};

export const endpointSchema: Schema = {
  type: 'object',
  required: ['id', 'name', 'description'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } },
};

export const workspaceSchema: Schema = {
  type: 'object',
  required: ['id', 'name', 'policy'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    policy: {
      type: 'object',
      required: ['defaultLifetimeDays', 'maxLifetimeDays', 'allowNoExpiry'],
      properties: {
        defaultLifetimeDays: { type: 'integer' },
        maxLifetimeDays: { type: 'integer' },
        allowNoExpiry: { type: 'boolean' },
      },
    },
  },
};

export const createTokenBody: Schema = {
  type: 'object',
  required: ['name', 'endpoints'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: API_LIMITS.nameMaxLength,
      pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$',
      description: 'Lowercase letters, digits and hyphens, starting and ending with a letter or digit; unique in the workspace.',
    },
    endpoints: {
      type: 'array',
      minItems: 1,
      maxItems: API_LIMITS.endpointsMax,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'Distinct ids of endpoints of the workspace.',
    },
    expiresAt: isoOrNull(
      'Omitted: now + policy.defaultLifetimeDays. Else at least 1 minute and at most policy.maxLifetimeDays ahead; null only where policy.allowNoExpiry.',
    ),
  },
};

export const rotateTokenBody: Schema = {
  type: 'object',
  properties: {
    graceSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: API_LIMITS.graceSecondsMax,
      default: 0,
      description: 'How long the previous secret keeps working.',
    },
  },
};

export const listTokensQuery: Schema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: API_LIMITS.listLimitMax, default: API_LIMITS.listLimitDefault },
    cursor: { type: 'string', maxLength: 200, description: 'Opaque: the nextCursor of the previous page.' },
    search: { type: 'string', maxLength: API_LIMITS.nameMaxLength, description: 'Matches within names (a literal substring).' },
    maskedKey: {
      type: 'string',
      maxLength: API_LIMITS.maskedKeyMaxLength,
      description: 'Keeps only the tokens with exactly this maskedKey (either mask form; see docs/api.md).',
    },
  },
};

export const lookupTokenBody: Schema = {
  type: 'object',
  required: ['secret'],
  properties: {
    secret: {
      type: 'string',
      description: 'The thub_… secret to identify. Any text is accepted: one that is not a secret of this workspace is a 404.',
    },
  },
};

export const idempotencyHeaders: Schema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: API_LIMITS.idempotencyKeyMaxLength,
      pattern: '^[\\x20-\\x7E]+$',
      description: '1 to 255 printable ASCII characters; scoped to the workspace, kept 24 hours.',
    },
  },
};

const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((status) => [String(status), errorSchema]));

/** The management error statuses every account-key route can answer. */
const managementErrors = [400, 401, 429, 503];

export type Auth = 'none' | 'accountKey' | 'accessToken';

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  auth: Auth;
  summary: string;
  /** The body may be left out altogether (it then means {}). */
  bodyOptional?: boolean;
  schema: {
    body?: Schema;
    querystring?: Schema;
    headers?: Schema;
    response: Record<string, Schema>;
  };
}

export const ROUTES = {
  health: {
    method: 'GET',
    url: '/healthz',
    auth: 'none',
    summary: 'Liveness: the process answers (the database is not consulted).',
    schema: { response: { 200: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } } } },
  },
  openapi: {
    method: 'GET',
    url: '/openapi.json',
    auth: 'none',
    summary: 'This API as an OpenAPI 3.1 document.',
    schema: { response: { 200: { type: 'object', additionalProperties: true } } },
  },
  workspace: {
    method: 'GET',
    url: '/v1/workspace',
    auth: 'accountKey',
    summary: 'The workspace of the account key.',
    schema: { response: { 200: workspaceSchema, ...errors(...managementErrors) } },
  },
  endpoints: {
    method: 'GET',
    url: '/v1/endpoints',
    auth: 'accountKey',
    summary: 'The endpoints of the workspace.',
    schema: {
      response: {
        200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: endpointSchema } } },
        ...errors(...managementErrors),
      },
    },
  },
  listTokens: {
    method: 'GET',
    url: '/v1/tokens',
    auth: 'accountKey',
    summary: 'Tokens of the workspace, newest first, by keyset pagination.',
    schema: {
      querystring: listTokensQuery,
      response: {
        200: {
          type: 'object',
          required: ['data', 'nextCursor'],
          properties: { data: { type: 'array', items: tokenSchema }, nextCursor: { type: ['string', 'null'] } },
        },
        ...errors(...managementErrors, 422),
      },
    },
  },
  // Registered before getToken and its siblings for readability only: fastify's router prefers the static
  // segment "lookup" to the :id parameter whatever the order, and no POST /v1/tokens/:id route exists.
  lookupToken: {
    method: 'POST',
    url: '/v1/tokens/lookup',
    auth: 'accountKey',
    summary:
      "The token of this workspace that a secret authenticates as (expired, or rotated out but within its grace period, included); 404 for anything else. Limited per account key (429); never counted as a failed authentication.",
    schema: {
      body: lookupTokenBody,
      response: { 200: tokenSchema, ...errors(...managementErrors, 404, 422) },
    },
  },
  getToken: {
    method: 'GET',
    url: '/v1/tokens/:id',
    auth: 'accountKey',
    summary: 'One token.',
    schema: { response: { 200: tokenSchema, ...errors(...managementErrors, 404) } },
  },
  createToken: {
    method: 'POST',
    url: '/v1/tokens',
    auth: 'accountKey',
    summary: 'Creates a token; the secret is in this response only.',
    schema: {
      body: createTokenBody,
      headers: idempotencyHeaders,
      response: { 201: tokenWithSecretSchema, ...errors(...managementErrors, 409, 422) },
    },
  },
  rotateToken: {
    method: 'POST',
    url: '/v1/tokens/:id/rotate',
    auth: 'accountKey',
    summary: 'Gives the token a new secret; the previous one keeps working for graceSeconds.',
    bodyOptional: true,
    schema: {
      body: rotateTokenBody,
      headers: idempotencyHeaders,
      response: { 201: tokenWithSecretSchema, ...errors(...managementErrors, 404, 409, 422) },
    },
  },
  deleteToken: {
    method: 'DELETE',
    url: '/v1/tokens/:id',
    auth: 'accountKey',
    summary: 'Deletes (revokes) the token at once.',
    schema: { response: { 204: { type: 'null', description: 'No content.' }, ...errors(...managementErrors, 404) } },
  },
  invoke: {
    method: 'POST',
    url: '/v1/endpoints/:endpointId/invoke',
    auth: 'accessToken',
    summary:
      'Stand-in for a protected endpoint: 200 for a valid token scoped to the endpoint; 403 for a valid token not scoped to it (also when the workspace has no such endpoint).',
    schema: {
      response: {
        200: {
          type: 'object',
          required: ['endpoint', 'tokenId'],
          properties: { endpoint: { type: 'string' }, tokenId: { type: 'string' } },
        },
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
} satisfies Record<string, RouteDefinition>;
