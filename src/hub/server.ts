// The node:http server under fastify: the invoke and verify fast paths in front of fastify's handler, the request time limit
// (which the gateway's streamed requests are exempt from), and the answers node:http gives below the routes (unparsable requests, headers over 16 KiB, a request that did
// not arrive in time, an unsupported Expect) in the contract's error shape.
import http from 'http';
import type { Socket } from 'net';
import { errors } from './errors';
import { JSON_CONTENT_TYPE, wireOf, type WireError } from './wireError';

/** How long a client may take to send one whole request (headers and body); gateway requests are exempt. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Requests being forwarded by the gateway (routes/gateway.ts): their bodies stream for as long as they take. */
const streaming = new WeakSet<http.IncomingMessage>();

/**
 * Exempts an authorised gateway request from the request limit: the upstream's idle timeout bounds it instead. A
 * refused one is not exempt: it is answered and, its body still unread, its connection closed.
 */
export function exemptFromRequestTimeout(req: http.IncomingMessage): void {
  streaming.add(req);
}

/** The options fastify hands its serverFactory, its defaults applied (fastify.js). */
export interface ServerFactoryOptions {
  http?: http.ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

/**
 * The response each connection is answering, tracked here so that a client error on the connection can tell
 * whether an answer has already started (node:http itself keeps that in a private field). A response holds its
 * socket (the public `response.socket`) from when it is given the connection until it has finished writing.
 */
const responding = new WeakMap<Socket, http.ServerResponse>();

function track(socket: Socket, res: http.ServerResponse): void {
  const current = responding.get(socket);
  // A pipelined request's response waits for the one before it: the one being written stays the current one.
  if (current === undefined || current.socket !== socket) responding.set(socket, res);
}

/** How long a connection closing after its last answer goes on reading (and dropping) what its client still sends. */
const LINGER_MS = 2_000;
/** Connections closing after their last answer: what still arrives on them is no request. */
const lingering = new WeakSet<Socket>();

/**
 * node:http's close after a last answer (Connection: close), in place of socket.destroySoon: that destroys the socket
 * once the answer is written, and with request bytes still unread (a body nobody reads: GET /openapi.json's, the
 * rest of an upload refused with 413) the kernel answers them with a reset, and the client drops the end of the
 * answer it was still receiving. Here this side is ended (FIN after the answer) and what still arrives is read and
 * dropped until the client closes, for at most LINGER_MS: the lingering close of nginx and Apache.
 */
function lingeringClose(this: Socket): void {
  if (this.destroyed || lingering.has(this)) return;
  lingering.add(this);
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
  this.once('end', () => this.destroy());
  this.end();
  this.resume();
}

/** A fast path: false, having done nothing, for a request it leaves to fastify (`fallback`, which it may also call later). */
export type FastPath = (req: http.IncomingMessage, res: http.ServerResponse, fallback: http.RequestListener) => boolean;

/**
 * fastify's serverFactory: a node:http server that offers each request to the fast path first. fastify applies
 * its timeouts only to a server it creates itself (lib/server.js), so they are applied here from its options.
 */
export function createHubServer(fast: FastPath) {
  return (handler: http.RequestListener, factoryOptions: unknown): http.Server => {
    const resolved = factoryOptions as ServerFactoryOptions;
    const server = http.createServer(resolved.http ?? {}, (req, res) => {
      // A request pipelined after one that closed the connection: nothing may answer it (this side has ended).
      if (lingering.has(req.socket)) return void req.socket.destroy();
      track(req.socket, res);
      if (!fast(req, res, handler)) handler(req, res);
    });
    server.on('connection', (socket: Socket) => {
      socket.destroySoon = lingeringClose;
    });
    server.keepAliveTimeout = resolved.keepAliveTimeout;
    server.setTimeout(resolved.connectionTimeout);
    if (resolved.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = resolved.maxRequestsPerSocket;
    // The whole request, headers and body, must arrive within 30 s (node checks every 30 s): fastify's default (no
    // limit) let a client that stops half-way through a body hold its connection open for ever. The headers' limit
    // must not be the larger one, or node applies that one to the whole request.
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    // node:http answers an Expect other than 100-continue with an empty 417 unless the server listens for it.
    server.on('checkExpectation', (_request, response: http.ServerResponse) => {
      const wire = wireOf(errors.badRequest('The hub supports no Expect but "100-continue".'));
      response.writeHead(417, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(wire.body), connection: 'close' });
      response.end(wire.body);
    });
    return server;
  };
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'The request did not arrive in full in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'The request headers are larger than 16 KiB.' },
};

/**
 * node:http's clientError (fastify's clientErrorHandler): a request it cannot parse, or one that did not arrive in
 * time. Answers 400 (408, 431) bad_request in the contract's shape and closes the connection. Like node:http
 * itself, it writes nothing when a response on this connection has already started; unlike it, it lets that
 * response finish before closing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // Closing already (lingeringClose): what still arrives is dropped, whatever node's parser makes of it.
  if (error.code === 'ECONNRESET' || socket.destroyed || lingering.has(socket)) return;
  const current = responding.get(socket);
  const mine = current !== undefined && current.socket === socket;
  // node:http's request limit is server-wide; a gateway request (a large upload, a long stream) may take longer,
  // bounded by the gateway's own idle timeout instead. node reports each request's timeout once.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && mine && streaming.has(current.req)) return;
  const started = mine && current.headersSent;
  if (started && !current.writableFinished) {
    // A response under way (bytes after a request that said Connection: close, say) is finished first: destroying
    // the socket now would throw away what it has written and leave the client with no answer at all.
    current.once('finish', () => lingeringClose.call(socket));
    current.once('close', () => {
      if (!current.writableFinished) socket.destroy();
    });
    return;
  }
  if (socket.writable && !started) {
    const known = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, reason: 'Bad Request', message: 'The request is not valid HTTP/1.1.' };
    const wire: WireError = wireOf(errors.badRequest(known.message));
    socket.write(
      `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(wire.body)}\r\nConnection: close\r\n\r\n${wire.body}`,
    );
    return lingeringClose.call(socket);
  }
  socket.destroy();
}
