// The contract of docs/api.md as TypeScript types, shared by the hub, the extension, the CLI and the tests.

export interface WorkspacePolicy {
  defaultLifetimeDays: number;
  maxLifetimeDays: number;
  allowNoExpiry: boolean;
}

export interface Workspace {
  id: string;
  name: string;
  policy: WorkspacePolicy;
}

export interface Endpoint {
  id: string;
  name: string;
  description: string;
}

export interface Token {
  id: string;
  name: string;
  maskedKey: string;
  endpoints: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface TokenPage {
  data: Token[];
  nextCursor: string | null;
}

export interface CreateTokenRequest {
  name: string;
  endpoints: string[];
  /** Omitted: the workspace default lifetime. null: never expires (only where the policy allows it). */
  expiresAt?: string | null;
}

export interface RotateTokenRequest {
  graceSeconds?: number;
}

export interface TokenWithSecret {
  token: Token;
  secret: string;
}

export interface UsageCounts {
  accepted: number;
  /** 403s and verify answers of forbidden. */
  refused: number;
}

/** GET /v1/tokens/{id}/usage: every UTC day of the window, oldest first, zeros included. */
export interface TokenUsage {
  tokenId: string;
  days: Array<UsageCounts & { date: string; byEndpoint: Record<string, UsageCounts> }>;
  lastUsedAt: string | null;
  lastClientAddress: string | null;
  lastUserAgent: string | null;
}

export type AuditAction = 'token.created' | 'token.rotated' | 'token.deleted' | 'account_key.created' | 'account_key.revoked' | 'endpoint.changed';

export interface AuditEvent {
  id: string;
  at: string;
  action: AuditAction;
  tokenId?: string;
  tokenName?: string;
  endpointId?: string;
  actor: { kind: 'account_key'; accountKeyId: string; maskedKey: string; label: string | null } | { kind: 'operator' };
  clientAddress: string | null;
  userAgent: string | null;
}

export interface AuditPage {
  data: AuditEvent[];
  nextCursor: string | null;
}

export interface InvokeResult {
  endpoint: string;
  tokenId: string;
}

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'name_taken'
  | 'idempotency_replayed'
  | 'idempotency_mismatch'
  | 'rate_limited'
  | 'service_unavailable'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | `invalid_${string}`;

export interface ApiErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    tokenId?: string;
  };
}

export const API_LIMITS = {
  nameMaxLength: 64,
  endpointsMax: 50,
  listLimitMax: 200,
  listLimitDefault: 50,
  graceSecondsMax: 86400,
  idempotencyKeyMaxLength: 255,
  bodyLimitBytes: 64 * 1024,
  minExpiryAheadMs: 60_000,
  /** Longer than either mask form (thub_ + 4 + … + 4): a longer maskedKey filter is a 422. */
  maskedKeyMaxLength: 64,
} as const;
