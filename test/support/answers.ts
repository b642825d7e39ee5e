// One request over a real socket, and the part of an answer two ways through the hub must agree on: for the tests
// that a node:http fast path (src/hub/fastInvoke.ts, fastVerify.ts) answers exactly as fastify's route.
import http from 'http';

export interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The headers both ways must agree on (Date, Connection and Keep-Alive are node:http's own in both). */
export const COMPARED_HEADERS = ['content-type', 'content-length', 'retry-after'];

export function pick(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of COMPARED_HEADERS) out[name] = headers[name] === undefined ? undefined : String(headers[name]);
  return out;
}

/** One request over a real socket, with exactly these headers (no client defaults added). */
export function overHttp(port: number, url: string, headers: Record<string, string>, body?: string, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: pick(res.headers), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
