// POST /v1/endpoints/{id}/invoke, the stand-in for a protected endpoint, as a fastify route: the way app.inject,
// requests with a body and unusual URLs take. Plain requests are answered before fastify by fastInvoke.ts; both
// decide with invoke.ts and answer the same bytes (test/hub/invokeFastPath.test.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import { clientAddress } from '../auth';
import type { HubContext } from '../context';
import { HubError } from '../errors';
import type { InvokeOutcome } from '../invoke';
import { SECURITY, errorResponses } from '../schemas';
import { JSON_CONTENT_TYPE, wireOf } from '../wireError';

export const INVOKE_URL = '/v1/endpoints/:endpointId/invoke';

export const invokeRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  function answer(reply: FastifyReply, endpoint: string, outcome: InvokeOutcome) {
    if (!(outcome instanceof HubError)) return reply.send({ endpoint, tokenId: outcome.id });
    const wire = wireOf(outcome);
    if (wire.retryAfter !== undefined) reply.header('Retry-After', wire.retryAfter);
    return reply.code(wire.status).header('content-type', JSON_CONTENT_TYPE).send(wire.body);
  }

  app.post(
    INVOKE_URL,
    {
      schema: {
        operationId: 'postV1EndpointsEndpointIdInvoke',
        summary:
          'Stand-in for a protected endpoint: 200 for a valid token scoped to the endpoint; 403 for a valid token not scoped to it (also when the workspace has no such endpoint); 404 for an id longer than 256 characters.',
        security: SECURITY.accessToken,
        params: Type.Object({ endpointId: Type.String({ description: 'The endpoint to call.' }) }),
        response: {
          200: Type.Object({ endpoint: Type.String(), tokenId: Type.String() }, { description: 'OK' }),
          ...errorResponses(400, 401, 403, 404, 429, 503),
        },
      },
    },
    (request, reply) => {
      const endpoint = request.params.endpointId;
      const outcome = context.decideInvoke(clientAddress(request), request.headers.authorization, endpoint, request.headers['user-agent']);
      if (outcome instanceof Promise) {
        outcome.then(
          (settled) => answer(reply, endpoint, settled),
          (error) => reply.send(error),
        );
      } else answer(reply, endpoint, outcome);
    },
  );
};
