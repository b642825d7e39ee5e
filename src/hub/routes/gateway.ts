// ANY /v1/gateway/{endpointId}/{path}: the hub as a platform's front door. A call with an access token scoped to the
// endpoint (invoke.ts's decision: the same limiter, lookup, expiry, scope and recorded use as invoke) is forwarded
// by @fastify/reply-from to the endpoint's upstream with {path} and the query appended. Bodies stream both ways: this
// plugin's content-type parser hands the request stream on unread (no 64 KiB limit), an authorised request is exempt
// from the 30 s request limit (server.ts), and the upstream's answer is piped back as it arrives (server-sent events
// included). The gateway's own limits are the upstream connect timeout and the idle timeout (no byte for that long).
import replyFrom, { type FastifyReplyFromOptions } from '@fastify/reply-from';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { IncomingHttpHeaders } from 'http';
import { Type } from 'typebox';
import { clientAddress } from '../auth';
import type { HubContext } from '../context';
import { HubError, errors } from '../errors';
import { SECURITY, errorResponses } from '../schemas';
import { exemptFromRequestTimeout } from '../server';
import type { TokenAuthRecord } from '../store';
import { upstreamError } from '../wireError';

export const GATEWAY_URL = '/v1/gateway/:endpointId/*';

export interface GatewayOptions {
  /** How long connecting to an upstream may take (default 10 s): then 504 upstream_timeout. */
  connectTimeoutMs: number;
  /** How long an upstream may send nothing, for its headers or between body chunks (default 300 s). */
  idleTimeoutMs: number;
}

export const GATEWAY_DEFAULTS: GatewayOptions = { connectTimeoutMs: 10_000, idleTimeoutMs: 300_000 };

/** Hop-by-hop headers (RFC 9110 7.6.1 and the older ones proxies still meet): never forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The headers without the hop-by-hop ones, those the Connection header names, and those `drop` says no to: one copy
 * (no `delete`, which would slow every later access to the object).
 */
function withoutHopByHop(headers: IncomingHttpHeaders, drop?: (name: string) => boolean): IncomingHttpHeaders {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((n) => n.trim()) : [];
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || (named.length > 0 && named.includes(name)) || drop?.(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/**
 * Not forwarded to an upstream beyond the hop-by-hop ones: the credential; Expect (node:http has already answered
 * 100-continue to the client, and undici sends none); and every X-TokenHub-* header, as only the hub says who called.
 */
const notForwarded = (name: string) => name === 'authorization' || name === 'expect' || name.startsWith('x-tokenhub-');

const TOKEN_HEADER = 'x-tokenhub-token-id';
const WORKSPACE_HEADER = 'x-tokenhub-workspace-id';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token a gateway request was authorised with (set just before it is forwarded). */
    gatewayToken: TokenAuthRecord | null;
  }
}

export const gatewayRoutes: FastifyPluginAsyncTypebox<HubContext & { gateway: GatewayOptions }> = async (app, context) => {
  const { connectTimeoutMs, idleTimeoutMs } = context.gateway;
  await app.register(replyFrom, {
    disableRequestLogging: true,
    // One undici agent for every upstream: a pool per origin, TLS certificates checked (reply-from's default is not to).
    // (`tls` is what reply-from reads to turn certificate checks off; its types leave it out.)
    undici: {
      connections: 128,
      pipelining: 1,
      tls: { rejectUnauthorized: true },
      connect: { timeout: connectTimeoutMs, rejectUnauthorized: true },
      headersTimeout: idleTimeoutMs,
      bodyTimeout: idleTimeoutMs,
    } as unknown as FastifyReplyFromOptions['undici'],
    destroyAgent: true,
    // Never retried: a request may not be safe to send twice, and its body has been streamed already.
    retryMethods: [],
  });
  app.decorateRequest('gatewayToken', null);

  // Whatever the body is, it goes on as the stream it arrived as: no parsing, no size limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  function refuse(request: FastifyRequest, reply: FastifyReply, error: HubError) {
    // The body has not been read: rather than read a large upload to its end, close the connection after the answer.
    if (!request.raw.complete) reply.header('connection', 'close');
    return reply.send(error);
  }

  async function forward(request: FastifyRequest<{ Params: { endpointId: string } }>, reply: FastifyReply) {
    const endpoint = request.params.endpointId;
    const outcome = await context.decideInvoke(clientAddress(request), request.headers.authorization, endpoint, request.headers['user-agent']);
    if (outcome instanceof HubError) return refuse(request, reply, outcome);
    const upstream = await context.store.endpointUpstream(outcome.workspaceId, endpoint);
    if (upstream === null) {
      return refuse(request, reply, errors.notFound(`The endpoint "${endpoint}" has no upstream service behind this hub's gateway; use POST /v1/endpoints/${endpoint}/invoke, or ask the hub's operator to set one.`));
    }
    // {path} and the query as the client sent them (still percent-encoded), after /v1/gateway/{endpointId}.
    const raw = request.raw.url as string;
    const rest = raw.slice(raw.indexOf('/', '/v1/gateway/'.length));
    try {
      decodeURIComponent(rest);
    } catch {
      return refuse(request, reply, errors.badRequest('The request path is not valid percent-encoded text.'));
    }
    request.gatewayToken = outcome;
    exemptFromRequestTimeout(request.raw);
    return reply.from(upstream + rest, {
      rewriteRequestHeaders: (_request, headers) => {
        const out = withoutHopByHop(headers, notForwarded);
        out[TOKEN_HEADER] = outcome.id;
        out[WORKSPACE_HEADER] = outcome.workspaceId;
        return out;
      },
      rewriteHeaders: (headers) => withoutHopByHop(headers),
      onError: (errorReply, { error }) => errorReply.send(upstreamError(error, request.log)),
    });
  }

  // One route per method (each its own operation in the OpenAPI document); GET's HEAD twin forwards HEAD.
  for (const method of ['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const) {
    app.route({
      method,
      url: GATEWAY_URL,
      schema: {
        operationId: `${method.toLowerCase()}V1GatewayEndpointIdPath`,
        summary: GATEWAY_SUMMARY,
        security: SECURITY.accessToken,
        params: Type.Object({
          endpointId: Type.String({ description: 'The endpoint to call.' }),
          '*': Type.String({ description: "The path to append to the endpoint's upstream URL." }),
        }),
        response: {
          '2XX': Type.Unknown({ description: "The upstream's answer, passed through as it is (any status, its headers and body)." }),
          ...errorResponses(400, 401, 403, 404, 429, 502, 503, 504),
        },
      },
      // OpenAPI has no wildcard: the document names the rest of the path {path}.
      config: {
        swaggerTransform: ({ schema, url }: { schema: FastifySchema; url: string }) => ({
          schema: { ...schema, params: DOCUMENTED_PARAMS },
          url: url.replace(/\*$/, ':path'),
        }),
      },
      handler: forward,
    });
  }
};

const DOCUMENTED_PARAMS = Type.Object({
  endpointId: Type.String({ description: 'The endpoint to call.' }),
  path: Type.String({ description: "The rest of the path (may be empty, may hold slashes), appended to the endpoint's upstream URL." }),
});

const GATEWAY_SUMMARY =
  "The gateway: forwarded to the endpoint's upstream with {path} and the query appended (Authorization removed, X-TokenHub-Token-Id and X-TokenHub-Workspace-Id added); bodies stream both ways, and the upstream's answer, any status, passes through. 401, 403 and 429 before anything is forwarded; 404 for an endpoint without an upstream.";
