// The token routes: list (keyset pages), lookup by secret, get, create, rotate, delete.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_LIMITS } from '../../contract/types';
import { accountKeyOf, auditContextOf, workspaceOf } from '../auth';
import { useManagementHooks, type HubContext } from '../context';
import { errors } from '../errors';
import { BODY_OPTIONAL } from '../openapi';
import { MANAGEMENT_ERRORS, SECURITY, errorResponses, idempotencyHeaders, pageSchema, tokenSchema, tokenWithSecretSchema } from '../schemas';

const tokenId = Type.Object({ id: Type.String({ description: 'tok_ followed by 16 base62 characters.' }) });

const listTokensQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: API_LIMITS.listLimitMax, default: API_LIMITS.listLimitDefault })),
  cursor: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Opaque: the nextCursor of the previous page. One that is not of the form the hub gives is 422; one of that form positions the walk in the caller\'s own tokens only.',
    }),
  ),
  search: Type.Optional(Type.String({ maxLength: API_LIMITS.nameMaxLength, description: 'Matches within names (a literal substring).' })),
  maskedKey: Type.Optional(
    Type.String({
      maxLength: API_LIMITS.maskedKeyMaxLength,
      description: 'Keeps only the tokens with exactly this maskedKey (either mask form; see docs/api.md).',
    }),
  ),
});

const lookupTokenBody = Type.Object({
  secret: Type.String({
    description: 'The thub_… secret to identify. Any text is accepted: one that is not a secret of this workspace is a 404.',
  }),
});

const createTokenBody = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: API_LIMITS.nameMaxLength,
    pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$',
    description: 'Lowercase letters, digits and hyphens, starting and ending with a letter or digit; unique in the workspace.',
  }),
  endpoints: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    minItems: 1,
    maxItems: API_LIMITS.endpointsMax,
    uniqueItems: true,
    description: 'Distinct ids of endpoints of the workspace.',
  }),
  expiresAt: Type.Optional(
    Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description:
        'Omitted: now + policy.defaultLifetimeDays. Else at least 1 minute and at most policy.maxLifetimeDays ahead; null only where policy.allowNoExpiry.',
    }),
  ),
});

const rotateTokenBody = Type.Object({
  graceSeconds: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: API_LIMITS.graceSecondsMax,
      default: 0,
      description: 'How long the previous secret keeps working.',
    }),
  ),
});

/** A route whose body may be left out altogether: it then means {}. */
function emptyBodyIsObject(request: FastifyRequest, _reply: FastifyReply, done: () => void) {
  if (request.body === undefined) request.body = {};
  done();
}

export const tokenRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  const { service } = context;
  useManagementHooks(app, context);

  app.get(
    '/v1/tokens',
    {
      schema: {
        operationId: 'getV1Tokens',
        summary: 'Tokens of the workspace, newest first, by keyset pagination.',
        security: SECURITY.accountKey,
        querystring: listTokensQuery,
        response: {
          200: pageSchema(tokenSchema),
          ...errorResponses(...MANAGEMENT_ERRORS, 422),
        },
      },
    },
    async (request) => {
      const { limit = API_LIMITS.listLimitDefault, cursor, search, maskedKey } = request.query;
      return service.list(workspaceOf(request), { limit, cursor, search, maskedKey });
    },
  );

  // Registered before GET /v1/tokens/:id for readability only: fastify's router prefers the static segment
  // "lookup" to the :id parameter whatever the order, and no POST /v1/tokens/:id route exists.
  // Limited per account key, and never a failed authentication whatever it finds: the account key authenticated,
  // and the secret in the body is a question, not a credential of this request.
  app.post(
    '/v1/tokens/lookup',
    {
      schema: {
        operationId: 'postV1TokensLookup',
        summary:
          'The token of this workspace that a secret authenticates as (expired, or rotated out but within its grace period, included); 404 for anything else. Limited per account key (429); never counted as a failed authentication.',
        security: SECURITY.accountKey,
        body: lookupTokenBody,
        response: { 200: { ...tokenSchema, description: 'OK' }, ...errorResponses(...MANAGEMENT_ERRORS, 404, 422) },
      },
    },
    async (request) => {
      const wait = context.lookupLimiter.take(accountKeyOf(request));
      if (wait > 0) throw errors.lookupsLimited(wait);
      return service.lookup(workspaceOf(request), request.body.secret);
    },
  );

  app.get(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'getV1TokensId',
        summary: 'One token.',
        security: SECURITY.accountKey,
        params: tokenId,
        response: { 200: { ...tokenSchema, description: 'OK' }, ...errorResponses(...MANAGEMENT_ERRORS, 404) },
      },
    },
    async (request) => service.get(workspaceOf(request), request.params.id),
  );

  app.post(
    '/v1/tokens',
    {
      schema: {
        operationId: 'postV1Tokens',
        summary: 'Creates a token; the secret is in this response only.',
        security: SECURITY.accountKey,
        body: createTokenBody,
        headers: idempotencyHeaders,
        response: { 201: { ...tokenWithSecretSchema, description: 'Created' }, ...errorResponses(...MANAGEMENT_ERRORS, 409, 422) },
      },
    },
    async (request, reply) => {
      const result = await service.create(workspaceOf(request), request.body, request.headers['idempotency-key'], auditContextOf(request));
      reply.code(201);
      return result;
    },
  );

  app.post(
    '/v1/tokens/:id/rotate',
    {
      schema: {
        operationId: 'postV1TokensIdRotate',
        [BODY_OPTIONAL]: true,
        summary: 'Gives the token a new secret; the previous one keeps working for graceSeconds.',
        security: SECURITY.accountKey,
        params: tokenId,
        body: rotateTokenBody,
        headers: idempotencyHeaders,
        response: { 201: { ...tokenWithSecretSchema, description: 'Created' }, ...errorResponses(...MANAGEMENT_ERRORS, 404, 409, 422) },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request, reply) => {
      const graceSeconds = request.body.graceSeconds ?? 0;
      const result = await service.rotate(
        workspaceOf(request),
        request.params.id,
        graceSeconds,
        request.headers['idempotency-key'],
        auditContextOf(request),
      );
      reply.code(201);
      return result;
    },
  );

  app.delete(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'deleteV1TokensId',
        summary: 'Deletes (revokes) the token at once.',
        security: SECURITY.accountKey,
        params: tokenId,
        response: { 204: Type.Null({ description: 'No content' }), ...errorResponses(...MANAGEMENT_ERRORS, 404) },
      },
    },
    async (request, reply) => {
      await service.remove(workspaceOf(request), request.params.id, auditContextOf(request));
      // No body: a 204 has none (fastify drops it), and the schema's null says so.
      reply.code(204).send(null);
    },
  );
};
