// The one HTTP client of the contract, shared by the extension, the CLI and the tests.
import axios, { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { randomUUID } from 'crypto';
import { redactSecrets } from '../core/redact';
import {
  ApiErrorBody,
  AuditPage,
  CreateTokenRequest,
  Endpoint,
  InvokeResult,
  RotateTokenRequest,
  Token,
  TokenPage,
  TokenUsage,
  TokenWithSecret,
  Workspace,
} from '../contract/types';

export type HubRequestErrorKind = 'http' | 'network' | 'timeout';

/** Every failure of a hub call, with a sentence a person can act on in `message`. Never carries a secret. */
/** What a request to the hub failed with, as the client sees it: one sentence for the person, the rest for code. */
export interface HubRequestErrorDetails {
  kind: HubRequestErrorKind;
  hubUrl: string;
  status?: number;
  code?: string;
  field?: string;
  /** For `idempotency_replayed`: the token the lost response created. */
  tokenId?: string;
  /** The low-level reason (ECONNREFUSED, a status line), for the log. */
  detail?: string;
  retryAfterSeconds?: number;
}

/** A request to the hub that failed (network, timeout or an HTTP error answer); the hub's own errors are src/hub/errors.ts. */
export class HubRequestError extends Error {
  readonly kind: HubRequestErrorKind;
  readonly hubUrl: string;
  readonly status?: number;
  readonly code?: string;
  readonly field?: string;
  readonly tokenId?: string;
  readonly detail?: string;
  readonly retryAfterSeconds?: number;

  constructor(message: string, details: HubRequestErrorDetails) {
    super(message);
    this.name = 'HubRequestError';
    this.kind = details.kind;
    this.hubUrl = details.hubUrl;
    this.status = details.status;
    this.code = details.code;
    this.field = details.field;
    this.tokenId = details.tokenId;
    this.detail = details.detail;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }

  get isUnreachable(): boolean {
    return this.kind !== 'http' || this.status === 503;
  }
}

export interface HubClientOptions {
  baseUrl: string;
  accountKey?: string;
  /** Per request; the default suits a hub on a LAN or loopback. */
  timeoutMs?: number;
  /** Extra attempts on network errors for create and rotate (same Idempotency-Key). */
  retries?: number;
}

export interface ListTokensOptions {
  limit?: number;
  cursor?: string | null;
  search?: string;
  /** Keeps only the tokens with exactly this mask (see maskCandidates in src/core/token.ts). */
  maskedKey?: string;
}

export interface MutationOptions {
  /** One key per user action, reused only for retries of that action. A fresh one is made when omitted. */
  idempotencyKey?: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'connection timed out',
};

const LOOKUP_URL = '/v1/tokens/lookup';

export function normaliseHubUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export class HubClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly timeoutMs: number;

  constructor(options: HubClientOptions) {
    this.baseUrl = normaliseHubUrl(options.baseUrl);
    this.retries = options.retries ?? 1;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: this.timeoutMs,
      headers: options.accountKey ? { Authorization: `Bearer ${options.accountKey}` } : {},
      // Every status is an answer; errors are mapped below so that no secret-bearing config leaks into an error.
      validateStatus: () => true,
      // Node's http adapter, by name: the bundle leaves out axios's browser adapters.
      adapter: 'http',
      maxRedirects: 0,
      proxy: false,
      transitional: { clarifyTimeoutError: true },
    });
  }

  health(): Promise<{ ok: boolean }> {
    return this.request({ method: 'GET', url: '/healthz' });
  }

  getWorkspace(): Promise<Workspace> {
    return this.request({ method: 'GET', url: '/v1/workspace' });
  }

  async listEndpoints(): Promise<Endpoint[]> {
    const page = await this.request<{ data: Endpoint[] }>({ method: 'GET', url: '/v1/endpoints' });
    return page.data;
  }

  listTokens(options: ListTokensOptions = {}): Promise<TokenPage> {
    const params: Record<string, string | number> = {};
    if (options.limit !== undefined) params.limit = options.limit;
    if (options.cursor) params.cursor = options.cursor;
    if (options.search) params.search = options.search;
    if (options.maskedKey) params.maskedKey = options.maskedKey;
    return this.request({ method: 'GET', url: '/v1/tokens', params });
  }

  /** Every token of the workspace, page by page. */
  async listAllTokens(search?: string): Promise<Token[]> {
    const all: Token[] = [];
    let cursor: string | null = null;
    do {
      const page: TokenPage = await this.listTokens({ limit: 200, cursor, search });
      all.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  getToken(id: string): Promise<Token> {
    return this.request({ method: 'GET', url: `/v1/tokens/${encodeURIComponent(id)}` });
  }

  /**
   * The token of this workspace that the secret authenticates as (expired, or rotated out but in its grace period,
   * included); undefined when there is none. Send a found secret only to a hub that lists a token with one of its
   * masks (listTokens with maskedKey), so that no hub learns another's secrets.
   */
  async lookupToken(secret: string): Promise<Token | undefined> {
    try {
      return await this.request<Token>({ method: 'POST', url: LOOKUP_URL, data: { secret } });
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** A token's calls per UTC day and endpoint over the last `days` days (1 to 90). */
  getTokenUsage(id: string, days = 30): Promise<TokenUsage> {
    return this.request({ method: 'GET', url: `/v1/tokens/${encodeURIComponent(id)}/usage`, params: { days } });
  }

  /** The workspace's audit trail, newest first (one token's events with `tokenId`). */
  listAudit(options: { tokenId?: string; limit?: number; cursor?: string } = {}): Promise<AuditPage> {
    return this.request({ method: 'GET', url: '/v1/audit', params: options });
  }

  createToken(body: CreateTokenRequest, options: MutationOptions = {}): Promise<TokenWithSecret> {
    return this.mutate({ method: 'POST', url: '/v1/tokens', data: body }, options);
  }

  rotateToken(id: string, body: RotateTokenRequest = {}, options: MutationOptions = {}): Promise<TokenWithSecret> {
    return this.mutate({ method: 'POST', url: `/v1/tokens/${encodeURIComponent(id)}/rotate`, data: body }, options);
  }

  async deleteToken(id: string): Promise<void> {
    await this.request({ method: 'DELETE', url: `/v1/tokens/${encodeURIComponent(id)}` });
  }

  /** Calls a protected endpoint with an access token (the stand-in the hub provides). */
  invoke(endpointId: string, secret: string): Promise<InvokeResult> {
    return this.request({
      method: 'POST',
      url: `/v1/endpoints/${encodeURIComponent(endpointId)}/invoke`,
      headers: { Authorization: `Bearer ${secret}` },
      data: {},
    });
  }

  /** Create and rotate: one retry with the same Idempotency-Key when the answer was lost on the way. */
  private async mutate<T>(config: AxiosRequestConfig, options: MutationOptions): Promise<T> {
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const withKey = { ...config, headers: { ...(config.headers ?? {}), 'Idempotency-Key': idempotencyKey } };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request<T>(withKey);
      } catch (error) {
        const retryable = error instanceof HubRequestError && error.kind !== 'http';
        if (!retryable || attempt >= this.retries) throw error;
      }
    }
  }

  private async request<T>(config: AxiosRequestConfig): Promise<T> {
    let response: AxiosResponse;
    try {
      response = await this.http.request(config);
    } catch (error) {
      throw this.networkError(error);
    }
    if (response.status >= 200 && response.status < 300) return response.data as T;
    throw this.httpError(response);
  }

  private networkError(error: unknown): HubRequestError {
    const axiosError = error as AxiosError;
    const code = axiosError?.code ?? '';
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
      const seconds = Math.round(this.timeoutMs / 1000);
      return new HubRequestError(
        `The hub at ${this.baseUrl} did not answer within ${seconds} seconds. Check your connection, then retry.`,
        { kind: 'timeout', hubUrl: this.baseUrl, detail: code },
      );
    }
    const reason = NETWORK_REASONS[code] ?? (code ? code.toLowerCase() : 'no answer');
    return new HubRequestError(
      `Cannot reach the hub at ${this.baseUrl} (${reason}). Check that it is running, then retry.`,
      { kind: 'network', hubUrl: this.baseUrl, detail: redactSecrets(`${code} ${axiosError?.message ?? String(error)}`) },
    );
  }

  private httpError(response: AxiosResponse): HubRequestError {
    const body = response.data as Partial<ApiErrorBody> | undefined;
    const apiError = body && typeof body === 'object' ? body.error : undefined;
    const code = apiError?.code;
    const retryAfter = Number(response.headers?.['retry-after']);
    let message: string;
    if (response.status === 401) {
      message = `The hub at ${this.baseUrl} refused the account key. Sign in again.`;
    } else if (response.status === 429) {
      const wait = Number.isFinite(retryAfter) ? ` Try again in ${retryAfter} seconds.` : ' Wait a moment, then try again.';
      // The hub has two limits: failed authentications per address, and lookups per account key.
      const reason = response.config?.url === LOOKUP_URL ? 'too many token lookups with this account key' : 'too many failed sign-ins';
      message = `The hub at ${this.baseUrl} is limiting requests after ${reason}.${wait}`;
    } else if (response.status >= 500) {
      message = `The hub at ${this.baseUrl} is unavailable right now (${response.status}). Retry in a moment.`;
    } else if (apiError?.message) {
      message = redactSecrets(apiError.message);
    } else {
      message = `The hub at ${this.baseUrl} answered ${response.status} unexpectedly. Check that the URL points at a Token Hub.`;
    }
    return new HubRequestError(message, {
      kind: 'http',
      hubUrl: this.baseUrl,
      status: response.status,
      code,
      field: apiError?.field,
      tokenId: apiError?.tokenId,
      detail: `HTTP ${response.status} ${code ?? ''}`.trim(),
      retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
    });
  }
}
