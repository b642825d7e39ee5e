// GET /v1/audit: the workspace's management events, newest first, in the one order of the database's sequence
// (so events from every instance sharing the database interleave the same way for everyone).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { API_LIMITS } from '../../contract/types';
import { workspaceOf } from '../auth';
import { useManagementHooks, type HubContext } from '../context';
import { errors } from '../errors';
import { MANAGEMENT_ERRORS, SECURITY, errorResponses, pageSchema } from '../schemas';
import type { AuditRecord } from '../store';
import { fieldMessage } from '../tokens';

const nullableString = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], description });

const auditEventSchema = Type.Object(
  {
    id: Type.String({ description: 'evt_ and the event\'s place in the trail.' }),
    at: Type.String({ description: 'ISO 8601 UTC.' }),
    action: Type.String({
      enum: ['token.created', 'token.rotated', 'token.deleted', 'account_key.created', 'account_key.revoked', 'endpoint.changed'],
    }),
    tokenId: Type.Optional(Type.String()),
    tokenName: Type.Optional(Type.String({ description: 'The token\'s name when the event happened.' })),
    endpointId: Type.Optional(Type.String()),
    accountKey: Type.Optional(
      Type.Object({ accountKeyId: Type.String(), maskedKey: Type.String() }, { description: 'account_key.* events: the key created or revoked.' }),
    ),
    actor: Type.Object(
      {
        kind: Type.String({ enum: ['account_key', 'operator'] }),
        accountKeyId: Type.Optional(Type.String()),
        maskedKey: Type.Optional(Type.String()),
        label: Type.Optional(nullableString('The label given at tokenhub account-key create --label, or null.')),
      },
      { description: 'The account key of the HTTP call, or {"kind": "operator"} for the hub\'s command line.' },
    ),
    clientAddress: nullableString('null for the command line.'),
    userAgent: nullableString('null for the command line.'),
  },
  { title: 'AuditEvent' },
);

const auditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: API_LIMITS.listLimitMax, default: API_LIMITS.listLimitDefault })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque: the nextCursor of the previous page.' })),
  tokenId: Type.Optional(Type.String({ maxLength: 64, description: 'Only the events of this token.' })),
});

function encodeAuditCursor(seq: number): string {
  return Buffer.from(`audit:${seq}`, 'utf8').toString('base64url');
}

function decodeAuditCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = /^audit:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

export function auditEventOf(record: AuditRecord) {
  return {
    id: `evt_${record.seq}`,
    at: new Date(record.at).toISOString(),
    action: record.action,
    ...(record.tokenId !== null ? { tokenId: record.tokenId } : {}),
    ...(record.tokenName !== null ? { tokenName: record.tokenName } : {}),
    ...(record.endpointId !== null ? { endpointId: record.endpointId } : {}),
    ...(record.subjectKey !== null ? { accountKey: { accountKeyId: record.subjectKey.id, maskedKey: record.subjectKey.maskedKey } } : {}),
    actor: record.actor,
    clientAddress: record.clientAddress,
    userAgent: record.userAgent,
  };
}

export const auditRoutes: FastifyPluginAsyncTypebox<HubContext> = async (app, context) => {
  useManagementHooks(app, context);

  app.get(
    '/v1/audit',
    {
      schema: {
        operationId: 'getV1Audit',
        summary: 'The workspace\'s management events (tokens created, rotated, deleted; account keys created, revoked; endpoints changed), newest first.',
        security: SECURITY.accountKey,
        querystring: auditQuery,
        response: {
          200: pageSchema(auditEventSchema),
          ...errorResponses(...MANAGEMENT_ERRORS, 422),
        },
      },
    },
    async (request) => {
      const { limit = API_LIMITS.listLimitDefault, cursor, tokenId } = request.query;
      let beforeSeq: number | undefined;
      if (cursor !== undefined && cursor !== '') {
        beforeSeq = decodeAuditCursor(cursor) ?? undefined;
        if (beforeSeq === undefined) throw errors.invalid('cursor', fieldMessage('cursor', cursor));
      }
      // Token ids hold no NUL (PostgreSQL cannot compare text holding one): anything else matches nothing.
      if (tokenId && !/^[A-Za-z0-9_]+$/.test(tokenId)) return { data: [], nextCursor: null };
      const rows = await context.store.listAudit(workspaceOf(request).id, { limit: limit + 1, beforeSeq, tokenId: tokenId || undefined });
      const page = rows.slice(0, limit);
      return { data: page.map(auditEventOf), nextCursor: rows.length > limit ? encodeAuditCursor(page[page.length - 1].seq) : null };
    },
  );
};
