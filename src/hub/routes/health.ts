// GET /healthz: liveness only, the database is not consulted.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SECURITY, errorResponses } from '../schemas';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealthz',
        summary: 'Liveness: the process answers (the database is not consulted).',
        security: SECURITY.none,
        response: { 200: Type.Object({ ok: Type.Boolean() }, { description: 'OK' }), ...errorResponses() },
      },
    },
    // Answered in the request's own turn, as every handler that needs no await.
    (_request, reply) => {
      reply.send({ ok: true });
    },
  );
};
