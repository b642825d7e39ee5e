// A minimal keep-alive HTTP client for sequential management calls (node:http, one socket reused), the same for the
// hub and for the bare baseline so that the client's own cost cancels out of the ratios.
import http from 'http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Answer {
  status: number;
  body: string;
}

export function request(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function json<T>(url: string, method: string, headers: Record<string, string> = {}, body?: unknown, expect = 200): Promise<T> {
  const answer = await request(url, method, headers, body === undefined ? undefined : JSON.stringify(body));
  if (answer.status !== expect) throw new Error(`${method} ${url}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as T;
}
