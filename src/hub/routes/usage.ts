// GET /v1/tokens/{id}/usage: a token's calls per UTC day and endpoint, from the store's counts plus what this
// process has counted and not yet written (usageCounter.ts), and its last client.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { workspaceOf } from '../auth';
import { useManagementHooks, type HubContext } from '../context';
import { MANAGEMENT_ERRORS, SECURITY, errorResponses } from '../schemas';
import { DAY_MS, USAGE_RETENTION_DAYS, utcDay } from '../usageCounter';

const counts = Type.Object({ accepted: Type.Integer(), refused: Type.Integer() });

const usageSchema = Type.Object(
  {
    tokenId: Type.String(),
    days: Type.Array(
      Type.Object({
        date: Type.String({ description: 'The UTC day, YYYY-MM-DD.' }),
        accepted: Type.Integer(),
        refused: Type.Integer({ description: '403s and verify answers of forbidden.' }),
        byEndpoint: Type.Record(Type.String(), counts, { description: 'Only the endpoints with calls that day.' }),
      }),
      { description: 'Every UTC day of the window, oldest first, today last, zeros included.' },
    ),
    lastUsedAt: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'As the token\'s lastUsedAt.' }),
    lastClientAddress: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'The address of the latest call, accepted or refused.' }),
    lastUserAgent: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'The User-Agent of the latest call (at most 256 characters).' }),
  },
  { title: 'Usage', description: 'OK' },
);

export const usageRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  useManagementHooks(app, context);

  app.get(
    '/v1/tokens/:id/usage',
    {
      schema: {
        operationId: 'getV1TokensIdUsage',
        summary: `A token's calls per UTC day and endpoint over the last \`days\` days (1 to ${USAGE_RETENTION_DAYS}, default 30; kept ${USAGE_RETENTION_DAYS} days).`,
        security: SECURITY.accountKey,
        params: Type.Object({ id: Type.String({ description: 'tok_ followed by 16 base62 characters.' }) }),
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: USAGE_RETENTION_DAYS, default: 30 })) }),
        response: { 200: usageSchema, ...errorResponses(...MANAGEMENT_ERRORS, 404, 422) },
      },
    },
    async (request) => {
      const token = await context.service.get(workspaceOf(request), request.params.id);
      const window = request.query.days ?? 30;
      const today = utcDay(context.now());
      const first = today - window + 1;
      const stored = await context.store.getUsage(token.id, first);
      const pending = context.usage.pending(token.id);
      const days = Array.from({ length: window }, (_, i) => ({
        date: new Date((first + i) * DAY_MS).toISOString().slice(0, 10),
        accepted: 0,
        refused: 0,
        byEndpoint: {} as Record<string, { accepted: number; refused: number }>,
      }));
      for (const count of [...stored.counts, ...pending.counts]) {
        const day = days[count.day - first];
        if (day === undefined) continue;
        day.accepted += count.accepted;
        day.refused += count.refused;
        const byEndpoint = (day.byEndpoint[count.endpointId] ??= { accepted: 0, refused: 0 });
        byEndpoint.accepted += count.accepted;
        byEndpoint.refused += count.refused;
      }
      const last = [stored.lastClient, pending.lastClient].reduce((a, b) => (b !== null && (a === null || b.at > a.at) ? b : a), null);
      return {
        tokenId: token.id,
        days,
        lastUsedAt: token.lastUsedAt,
        lastClientAddress: last?.address ?? null,
        lastUserAgent: last?.userAgent ?? null,
      };
    },
  );
};
