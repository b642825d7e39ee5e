// The invoke fast path: POST /v1/endpoints/{id}/invoke without a body, answered straight from node:http with the
// decision of invoke.ts, without fastify's router, request and reply objects and the hooks around them. It takes
// only the requests fastify would hand to the route's handler untouched, and answers them with the bytes the route
// would (test/hub/invokeFastPath.test.ts holds the two equal); everything else goes on to fastify.
import type { FastifyBaseLogger } from 'fastify';
import type { AddressResolver } from './clientAddress';
import type { IncomingMessage, ServerResponse } from 'http';
import { HubError } from './errors';
import type { InvokeDecider, InvokeOutcome } from './invoke';
import { INVOKE_URL } from './routes/invoke';
import { JSON_CONTENT_TYPE, toWireError, wireOf, writeWire } from './wireError';

/** fastify's routerOptions.maxParamLength (server.ts): a longer id is fastify's 404, not the route's. */
export const MAX_PARAM_LENGTH = 256;

// The route's URL around its one parameter, from the route itself.
const [PREFIX, SUFFIX] = INVOKE_URL.split(':endpointId');
/** An endpoint id fastify's router takes as it is: no escapes, no query, no slash, at most maxParamLength. */
const PLAIN_ENDPOINT_ID = new RegExp(`^[A-Za-z0-9._~-]{1,${MAX_PARAM_LENGTH}}$`);

/** Returns false, having done nothing, for every request that is not the fast path's to answer. */
export type FastInvoke = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Takes a request when fastify would call the route's handler straight away: no Content-Type, no
 * Transfer-Encoding, no or an empty Content-Length (fastify's handle-request.js), and a plain endpoint id.
 * `address`: the client address rule of clientAddress.ts, as fastify's requests use it. `log`: fastify's logger (it exists once fastify does). `closing`: fastify has started closing, so the answer
 * asks the client to close the connection, as fastify's route.js does.
 */
export function fastInvoke(decide: InvokeDecider, address: AddressResolver, log: () => FastifyBaseLogger, closing: () => boolean): FastInvoke {
  function answer(res: ServerResponse, endpoint: string, outcome: InvokeOutcome): void {
    if (outcome instanceof HubError) return writeWire(res, wireOf(outcome));
    // The endpoint id is plain (PLAIN_ENDPOINT_ID): nothing in it to escape.
    const body = `{"endpoint":"${endpoint}","tokenId":${JSON.stringify(outcome.id)}}`;
    res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
  const fail = (res: ServerResponse, error: unknown) => writeWire(res, toWireError(error, log()));

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url as string;
    if (!url.endsWith(SUFFIX) || !url.startsWith(PREFIX)) return false;
    const headers = req.headers;
    if (headers['content-type'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    if (length !== undefined && length !== '0') return false;
    const endpoint = url.slice(PREFIX.length, url.length - SUFFIX.length);
    if (!PLAIN_ENDPOINT_ID.test(endpoint)) return false;

    if (closing() && req.httpVersionMajor !== 2) res.setHeader('Connection', 'close');
    let outcome: InvokeOutcome | Promise<InvokeOutcome>;
    try {
      outcome = decide(address(req.socket.remoteAddress, headers['x-forwarded-for']), headers.authorization, endpoint, headers['user-agent']);
    } catch (error) {
      fail(res, error);
      return true;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => answer(res, endpoint, settled),
        (error) => fail(res, error),
      );
    } else answer(res, endpoint, outcome);
    return true;
  };
}
