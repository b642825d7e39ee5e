// A small upstream service for the gateway: what `npm start`'s demo endpoints forward to, and what the gateway's
// tests and benchmark forward to. Run as its own process: `node dist/dev.js upstream [--port N]`; it prints "Upstream listening on http://127.0.0.1:PORT" once it listens, on 127.0.0.1 only.
//   POST /v1/chat/completions   a chat completion streamed as server-sent events, one word per event, then [DONE]
//                               (?hold=1: the last event waits for POST /_release, so a test can see the first one
//                               arrive before the last is sent)
//   POST /v1/embeddings         JSON: a small deterministic embedding of the request's "input"
//   POST|PUT /upload            reads the whole body and answers {"bytes": N}
//   GET /download?bytes=N       N bytes of "x", streamed in 64 KiB chunks
//   GET /slow?ms=N              answers after N ms
//   ANY /status/CODE            answers CODE with a JSON body
//   ANY other path              echoes {"method", "url", "headers", "bytes"}
//   GET /_received              (not forwarded by anyone: the tests ask it directly) every request it received
import http from 'http';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

const WORDS = 'Hello from the demo upstream: this answer streamed through the Token Hub gateway, one word at a time.'.split(' ');

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createUpstream(): http.Server {
  const received: Received[] = [];
  const releases: Array<() => void> = [];

  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    if (url.pathname === '/_received') return json(res, 200, received);
    if (url.pathname === '/_release') {
      for (const release of releases.splice(0)) release();
      return json(res, 200, { released: true });
    }
    const entry: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes: 0 };
    received.push(entry);
    // Counted as it streams in, so a large upload is never held whole.
    const body: Buffer[] = [];
    const keep = url.pathname !== '/upload';
    await new Promise<void>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        entry.bytes += chunk.length;
        if (keep && entry.bytes <= 1 << 20) body.push(chunk);
      });
      req.on('end', resolve);
      req.on('error', () => resolve());
    });

    if (url.pathname === '/v1/chat/completions' && req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const hold = url.searchParams.get('hold') === '1';
      const delay = hold ? 0 : Number(url.searchParams.get('delayMs') ?? 80);
      for (let i = 0; i < WORDS.length; i++) {
        if (i === WORDS.length - 1 && hold) await new Promise<void>((resolve) => releases.push(resolve));
        else if (i > 0 && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: (i === 0 ? '' : ' ') + WORDS[i] } }] })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    if (url.pathname === '/v1/embeddings' && req.method === 'POST') {
      let input = '';
      try {
        input = String((JSON.parse(Buffer.concat(body).toString('utf8')) as { input?: unknown }).input ?? '');
      } catch {
        return json(res, 400, { error: { message: 'Send a JSON body such as {"input": "some text"}.' } });
      }
      const vector = Array.from({ length: 8 }, (_, i) => Number((Math.sin(input.length + i * 7 + [...input].reduce((a, c) => a + c.charCodeAt(0), 0)) / 2).toFixed(4)));
      return json(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector }], model: 'demo-embedding' });
    }
    if (url.pathname === '/upload') return json(res, 200, { bytes: entry.bytes });
    if (url.pathname === '/download') {
      let left = Number(url.searchParams.get('bytes') ?? 0);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (url.pathname === '/slow') {
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 1000)));
      return json(res, 200, { slow: true });
    }
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return json(res, Number(status[1]), { status: Number(status[1]) });
    // Hop-by-hop headers in the answer: a proxy must not pass them on.
    res.setHeader('x-upstream', 'demo');
    if (url.searchParams.get('hopByHop') === '1') {
      res.setHeader('connection', 'keep-alive, x-upstream-private');
      res.setHeader('keep-alive', 'timeout=5');
      res.setHeader('x-upstream-private', 'for the next hop only');
    }
    return json(res, 200, { method: req.method, url: req.url, headers: req.headers, bytes: entry.bytes });
  });
}

/** Runs the upstream until SIGTERM/SIGINT; `--port N` (default 0: any free one). */
export async function runUpstream(argv: string[]): Promise<number> {
  const at = argv.indexOf('--port');
  const port = at === -1 ? 0 : Number(argv[at + 1]);
  const server = createUpstream();
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write(`Upstream listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}

