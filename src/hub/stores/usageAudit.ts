// The rows of the audit trail and of usage counts, for both stores: one text of each statement (with `@name`
// parameters) and one row mapping, so the two stores write and read them alike. An event names keys by id and mask
// only: never a secret.
import type { AuditAction, AuditContext, AuditRecord } from '../store';

export const INSERT_AUDIT = `INSERT INTO audit_events (workspace_id, at, action, token_id, token_name, endpoint_id, subject_key_id,
    subject_masked_key, actor_key_id, actor_masked_key, actor_label, client_address, user_agent)
  VALUES (@workspaceId, @at, @action, @tokenId, @tokenName, @endpointId, @subjectKeyId, @subjectMaskedKey, @actorKeyId,
    @actorMaskedKey, @actorLabel, @clientAddress, @userAgent)`;

export interface AuditSubject {
  tokenId?: string;
  tokenName?: string;
  endpointId?: string;
  subjectKey?: { id: string; maskedKey: string };
}

/** The parameters of INSERT_AUDIT. */
export function auditParams(workspaceId: string, action: AuditAction, at: number, context: AuditContext, subject: AuditSubject) {
  const actor = context.actor.kind === 'account_key' ? context.actor : null;
  return {
    workspaceId,
    at,
    action,
    tokenId: subject.tokenId ?? null,
    tokenName: subject.tokenName ?? null,
    endpointId: subject.endpointId ?? null,
    subjectKeyId: subject.subjectKey?.id ?? null,
    subjectMaskedKey: subject.subjectKey?.maskedKey ?? null,
    actorKeyId: actor?.accountKeyId ?? null,
    actorMaskedKey: actor?.maskedKey ?? null,
    actorLabel: actor?.label ?? null,
    clientAddress: context.clientAddress,
    userAgent: context.userAgent,
  };
}

type Row = Record<string, unknown>;

export function auditFrom(row: Row): AuditRecord {
  return {
    seq: Number(row.seq),
    workspaceId: row.workspace_id as string,
    at: Number(row.at),
    action: row.action as AuditAction,
    tokenId: (row.token_id as string | null) ?? null,
    tokenName: (row.token_name as string | null) ?? null,
    endpointId: (row.endpoint_id as string | null) ?? null,
    subjectKey: row.subject_key_id ? { id: row.subject_key_id as string, maskedKey: row.subject_masked_key as string } : null,
    actor: row.actor_key_id
      ? { kind: 'account_key', accountKeyId: row.actor_key_id as string, maskedKey: row.actor_masked_key as string, label: (row.actor_label as string | null) ?? null }
      : { kind: 'operator' },
    clientAddress: (row.client_address as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
  };
}

/** The listing's text: newest first, optionally before a position and for one token (with `@name` parameters). */
export function listAuditSql(query: { beforeSeq?: number; tokenId?: string }): string {
  return (
    'SELECT * FROM audit_events WHERE workspace_id = @workspaceId' +
    (query.beforeSeq !== undefined ? ' AND seq < @beforeSeq' : '') +
    (query.tokenId !== undefined ? ' AND token_id = @tokenId' : '') +
    ' ORDER BY seq DESC LIMIT @limit'
  );
}

export const UPSERT_USAGE = `INSERT INTO token_usage (token_id, day, endpoint_id, accepted, refused)
  VALUES (@tokenId, @day, @endpointId, @accepted, @refused)
  ON CONFLICT (token_id, day, endpoint_id) DO UPDATE
    SET accepted = token_usage.accepted + excluded.accepted, refused = token_usage.refused + excluded.refused`;

export const RAISE_LAST_CLIENT = `UPDATE tokens SET last_client_at = @at, last_client_address = @address, last_user_agent = @userAgent
  WHERE id = @tokenId AND (last_client_at IS NULL OR last_client_at < @at)`;
