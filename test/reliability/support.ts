// Helpers of the reliability tests: a loopback TCP proxy that can lose a response, a raw HTTP/1.1 exchange over a
// socket (for requests fetch would refuse to send), the resident memory of a process, and small waits.
import fs from 'fs';
import http from 'http';
import net from 'net';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resident set size of a live process in KiB (Linux: VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

export interface LossyProxy {
  url: string;
  port: number;
  /** Responses swallowed so far (the client's connection was reset instead). */
  readonly dropped: number;
  /** Requests whose head matched a drop rule (they reached the hub). */
  readonly seen: string[];
  /** Where new connections go from now on (connections already open keep their upstream). */
  setUpstream(port: number): void;
  /**
   * Loses the response of the next `count` requests whose request line matches: the request is forwarded to the
   * hub, and when the hub's first response bytes arrive the client's connection is reset instead of answered.
   * `onDrop` runs just before the reset (a test may move the upstream there, so that the retry goes elsewhere).
   */
  dropResponses(requestLine: RegExp, count?: number, onDrop?: () => void): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a hub. It forwards bytes both ways unchanged. A request line is recognised
 * at the start of a chunk from the client (HTTP clients write the head of a request in one piece), which is all a
 * test of one request at a time needs.
 */
export async function startLossyProxy(upstreamPort: number): Promise<LossyProxy> {
  let upstream = upstreamPort;
  let dropped = 0;
  const rules: Array<{ line: RegExp; left: number; onDrop?: () => void }> = [];
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const hub = net.connect(upstream, '127.0.0.1');
    sockets.add(client);
    sockets.add(hub);
    let loseNext: { onDrop?: () => void } | undefined;
    client.on('data', (chunk) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 512)).split('\r\n', 1)[0];
      const rule = rules.find((r) => r.left > 0 && r.line.test(head));
      if (rule) {
        rule.left--;
        loseNext = rule;
        seen.push(head);
      }
      hub.write(chunk);
    });
    hub.on('data', (chunk) => {
      if (loseNext) {
        // The hub has answered (and so committed): the client never hears of it.
        const { onDrop } = loseNext;
        loseNext = undefined;
        dropped++;
        onDrop?.();
        client.resetAndDestroy();
        hub.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      hub.destroy();
    };
    client.on('close', end);
    hub.on('close', end);
    client.on('error', () => undefined);
    hub.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    hub.on('close', () => sockets.delete(hub));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get dropped() {
      return dropped;
    },
    seen,
    setUpstream(next) {
      upstream = next;
    },
    dropResponses(line, count = 1, onDrop) {
      rules.push({ line, left: count, onDrop });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RawResponse {
  /** Status from the status line; 0 when the connection closed without an answer. */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Everything received, for messages. */
  raw: string;
}

/**
 * Sends bytes as they are over a fresh connection and reads the answer until the server closes the connection
 * (requests should carry `Connection: close`). Decodes a chunked body. Rejects after `timeoutMs` without an end.
 */
export function rawExchange(
  port: number,
  request: Buffer,
  options: { timeoutMs?: number; localAddress?: string; head?: boolean } = {},
): Promise<RawResponse> {
  const { timeoutMs = 10_000, localAddress, head = false } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no end of the answer within ${timeoutMs} ms; received ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks), head));
      } catch (error) {
        reject(error);
      }
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    // A reset after the answer (the server closing while our request bytes were still arriving) is normal.
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

/** Parses one HTTP/1.1 answer (after any 1xx interim answers); `head`: the answer to a HEAD request (no body). */
export function parseResponse(data: Buffer, head = false): RawResponse {
  const raw = data.toString('latin1');
  if (data.length === 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw };
  while (/^HTTP\/1\.1 1\d\d[ \r]/.test(data.toString('latin1', 0, 14))) {
    const interimEnd = data.indexOf('\r\n\r\n');
    if (interimEnd < 0) break;
    data = data.subarray(interimEnd + 4);
  }
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`an answer without the end of its head: ${JSON.stringify(raw.slice(0, 300))}`);
  const lines = data.toString('latin1', 0, headEnd).split('\r\n');
  const statusLine = /^HTTP\/1\.1 (\d{3})(?: .*)?$/.exec(lines[0]);
  if (!statusLine) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`a malformed header line in the answer: ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(headEnd + 4);
  if (head) return { status: Number(statusLine[1]), headers, body: Buffer.alloc(0), raw };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) throw new Error('a truncated chunked body in the answer');
      const size = parseInt(body.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size)) throw new Error('a bad chunk size in the answer');
      if (size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length) throw new Error(`an answer shorter (${body.length}) than its Content-Length (${length})`);
    body = body.subarray(0, length);
  }
  return { status: Number(statusLine[1]), headers, body, raw };
}

/** Median of a list of numbers (the list is sorted in place). */
export function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * One request with node:http (no keep-alive unless an agent is given), optionally from another loopback address
 * (127.0.0.2, …: Linux routes all of 127/8 to the loopback interface), so that tests can be several clients.
 */
export function httpRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; json?: unknown; headers?: Record<string, string>; localAddress?: string; agent?: http.Agent } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let payload: string | undefined;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const request = http.request(
      baseUrl + path,
      { method, headers, localAddress: options.localAddress, agent: options.agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
