// POST /v1/verify: a platform's own gateway asks whether a token may call an endpoint. Authenticated by a service
// key (auth.ts); every body it sends is answered 200 with the verdict, which is decided by the same rules as invoke
// (invoke.ts's standingOf and the token's scope) and recorded as a use the same way (recordUse).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clientAddress } from '../auth';
import type { HubContext } from '../context';
import { replayedBody } from '../fastVerify';
import { SECURITY, errorResponses } from '../schemas';

const verifyBody = Type.Object({
  token: Type.Optional(Type.Unknown({ description: 'The thub_… secret the platform received. Anything else is answered "unknown".' })),
  endpoint: Type.Optional(Type.Unknown({ description: 'The endpoint id the request is for. Anything but an id of the token\'s scope is "forbidden".' })),
  clientAddress: Type.Optional(
    Type.String({ maxLength: 64, description: 'The address of the platform\'s client, recorded as the token\'s last client (default: the caller\'s).' }),
  ),
  userAgent: Type.Optional(Type.String({ maxLength: 256, description: 'The User-Agent of the platform\'s client (default: the caller\'s).' })),
});

const verdict = Type.Object(
  {
    valid: Type.Boolean(),
    tokenId: Type.Optional(Type.String()),
    workspaceId: Type.Optional(Type.String()),
    endpoints: Type.Optional(Type.Array(Type.String())),
    expiresAt: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'ISO 8601 UTC, or null.' })),
    reason: Type.Optional(
      Type.Unsafe<'unknown' | 'expired' | 'forbidden'>({
        type: 'string',
        enum: ['unknown', 'expired', 'forbidden'],
        description:
          'With valid false: unknown (no such secret: junk, a deleted token, a rotated-out secret past its grace), expired, or forbidden (a valid token not scoped to the endpoint).',
      }),
    ),
  },
  { title: 'Verdict', description: 'OK' },
);

export const verifyRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  app.addHook('onRequest', context.authenticateService);
  // A body the fast path (fastVerify.ts) read and left to the route is parsed from what it read.
  app.addHook('preParsing', (request, _reply, payload, done) => done(null, replayedBody(request.raw) ?? payload));

  app.post(
    '/v1/verify',
    {
      schema: {
        operationId: 'postV1Verify',
        summary:
          'For a platform\'s own gateway: whether the token may call the endpoint. 200 for every body a valid service key sends; records the use like invoke.',
        security: SECURITY.serviceKey,
        body: verifyBody,
        response: { 200: verdict, ...errorResponses(400, 401, 429, 503) },
      },
    },
    // The caller's address and User-Agent are recorded when the body names none.
    async (request) => context.decideVerify(request.body, () => clientAddress(request), request.headers['user-agent']),
  );
};
