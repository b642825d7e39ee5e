// GET /v1/workspace: the workspace of the account key.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Workspace } from '../../contract/types';
import { workspaceOf } from '../auth';
import { useManagementHooks, type HubContext } from '../context';
import { MANAGEMENT_ERRORS, SECURITY, errorResponses, workspaceSchema } from '../schemas';

export const workspaceRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  useManagementHooks(app, context);

  app.get(
    '/v1/workspace',
    {
      schema: {
        operationId: 'getV1Workspace',
        summary: 'The workspace of the account key.',
        security: SECURITY.accountKey,
        response: { 200: { ...workspaceSchema, description: 'OK' }, ...errorResponses(...MANAGEMENT_ERRORS) },
      },
    },
    async (request): Promise<Workspace> => {
      const { id, name, policy } = workspaceOf(request);
      return { id, name, policy };
    },
  );
};
