// The verify fast path: POST /v1/verify with a small, plain JSON body and a service key, answered straight from
// node:http with the route's own decision (invoke.ts's verifyDecider, auth.ts's serviceKeyOf), without fastify's
// router, parsing, validation and serializer. A request is the fast path's only when its headers are the usual
// ones; once its body is read, anything unusual in it (or a key that is not a service key) is handed to fastify with
// the body replayed (replayedBody), so every error is the route's own (test/hub/verifyFastPath.test.ts holds the two
// equal).
import type { FastifyBaseLogger } from 'fastify';
import type { IncomingMessage, RequestListener, ServerResponse } from 'http';
import { Readable } from 'stream';
import type { AddressResolver } from './clientAddress';
import { bearer, serviceKeyOf } from './auth';
import type { Digester } from './digest';
import type { Verdict, VerifyDecider, VerifyRequest } from './invoke';
import type { Store } from './store';
import { JSON_CONTENT_TYPE, toWireError, writeWire } from './wireError';

export const VERIFY_URL = '/v1/verify';

/** A verify body is a token, an endpoint id and two short strings: anything longer goes to fastify. */
const MAX_FAST_BODY_BYTES = 4096;
const PLAIN_LENGTH = /^[1-9][0-9]{0,3}$/;
/** The body schema's fields and their maxLength (routes/verify.ts); any other field goes to fastify. */
const STRING_FIELDS: Record<string, number> = { clientAddress: 64, userAgent: 256 };
/** What fastify's JSON parser (secure-json-parse) looks at twice, or refuses: left to it. */
const SUSPECT = /__proto__|constructor|\\u/;

/** Bodies the fast path read but left to fastify, for the route's preParsing hook to hand back. */
const replays = new WeakMap<IncomingMessage, Buffer>();

/** The body the fast path already read from this request, as a stream for fastify to parse (once), else undefined. */
export function replayedBody(req: IncomingMessage): Readable | undefined {
  const body = replays.get(req);
  if (body === undefined) return undefined;
  replays.delete(req);
  return Readable.from([body]);
}

/** Returns false, having done nothing, for a request that is not the fast path's; `fallback` is fastify. */
export type FastVerify = (req: IncomingMessage, res: ServerResponse, fallback: RequestListener) => boolean;

/** The body when it is a plain one the route would take as it is (valid against its schema), else undefined. */
function plainBody(raw: Buffer): VerifyRequest | undefined {
  const text = raw.toString('utf8');
  if (SUSPECT.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === 'token' || name === 'endpoint') continue;
    const max = STRING_FIELDS[name];
    // A string no longer in UTF-16 units is no longer in code points (ajv's maxLength): the schema takes it.
    if (max === undefined || typeof value !== 'string' || value.length > max) return undefined;
  }
  return parsed as VerifyRequest;
}

/**
 * `address`: the client address rule of clientAddress.ts. `log`: fastify's logger. `closing`: fastify has started
 * closing, so the answer asks the client to close the connection, as fastify's route.js does.
 */
export function fastVerify(
  decide: VerifyDecider,
  store: Store,
  digest: Digester,
  address: AddressResolver,
  log: () => FastifyBaseLogger,
  closing: () => boolean,
): FastVerify {
  function answer(res: ServerResponse, verdict: Verdict): void {
    const body = JSON.stringify(verdict);
    res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
  const fail = (res: ServerResponse, error: unknown) => writeWire(res, toWireError(error, log()));

  function decideOn(req: IncomingMessage, res: ServerResponse, body: VerifyRequest): void {
    const headers = req.headers;
    let verdict: Verdict | Promise<Verdict>;
    try {
      verdict = decide(body, () => address(req.socket.remoteAddress, headers['x-forwarded-for']), headers['user-agent']);
    } catch (error) {
      return fail(res, error);
    }
    if (verdict instanceof Promise) verdict.then((settled) => answer(res, settled), (error) => fail(res, error));
    else answer(res, verdict);
  }

  function read(req: IncomingMessage, res: ServerResponse, fallback: RequestListener, secret: string): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // An aborted request has no one to answer: node:http closes its connection.
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const body = plainBody(raw);
      const handOver = () => {
        replays.set(req, raw);
        fallback(req, res);
      };
      if (body === undefined) return handOver();
      if (closing() && req.httpVersionMajor !== 2) res.setHeader('Connection', 'close');
      let key: ReturnType<typeof serviceKeyOf>;
      try {
        key = serviceKeyOf(store, digest, secret);
      } catch (error) {
        return fail(res, error);
      }
      // Not a service key: the route's hook answers it (401, or 429 once the address is blocked) and counts it.
      if (key instanceof Promise) key.then((found) => (found ? decideOn(req, res, body) : handOver()), (error) => fail(res, error));
      else if (key) decideOn(req, res, body);
      else handOver();
    });
  }

  return (req, res, fallback) => {
    if (req.method !== 'POST' || req.url !== VERIFY_URL) return false;
    const headers = req.headers;
    if (headers['content-type'] !== 'application/json' || headers['transfer-encoding'] !== undefined) return false;
    if (headers['content-encoding'] !== undefined || headers.expect !== undefined) return false;
    const length = headers['content-length'];
    if (length === undefined || !PLAIN_LENGTH.test(length) || Number(length) > MAX_FAST_BODY_BYTES) return false;
    const secret = bearer(headers.authorization);
    if (secret === undefined) return false;
    read(req, res, fallback, secret);
    return true;
  };
}
