// GET /v1/endpoints: the endpoints of the workspace, by id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { workspaceOf } from '../auth';
import { useManagementHooks, type HubContext } from '../context';
import { MANAGEMENT_ERRORS, SECURITY, endpointSchema, errorResponses } from '../schemas';

export const endpointRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  useManagementHooks(app, context);

  app.get(
    '/v1/endpoints',
    {
      schema: {
        operationId: 'getV1Endpoints',
        summary: 'The endpoints of the workspace.',
        security: SECURITY.accountKey,
        response: {
          200: Type.Object({ data: Type.Array(endpointSchema) }, { description: 'OK' }),
          ...errorResponses(...MANAGEMENT_ERRORS),
        },
      },
    },
    async (request) => ({ data: await context.store.listEndpoints(workspaceOf(request).id) }),
  );
};
