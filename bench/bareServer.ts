// The baseline of `npm run bench`: a bare node:http server, run as its own process, that answers like the hub
// without checking anything. Prints its port on stdout.
//   POST (any path)   200 {"endpoint":"chat-completions","tokenId":"tok_…"} (the invoke answer; the body is read and dropped)
//   GET /size/N       200 a JSON document of exactly N bytes (a stand-in for a token page of that size)
//   anything else     the invoke answer
import http from 'http';

const INVOKE = Buffer.from(JSON.stringify({ endpoint: 'chat-completions', tokenId: 'tok_0123456789abcdef' }));
const sized = new Map<number, Buffer>();

function ofSize(n: number): Buffer {
  let body = sized.get(n);
  if (!body) {
    const wrapper = '{"data":"","nextCursor":null}';
    body = Buffer.from(`{"data":"${'x'.repeat(Math.max(0, n - wrapper.length))}","nextCursor":null}`);
    sized.set(n, body);
  }
  return body;
}

const server = http.createServer((req, res) => {
  const match = req.method === 'GET' && req.url ? /^\/size\/(\d{1,8})$/.exec(req.url) : null;
  const body = match ? ofSize(Number(match[1])) : INVOKE;
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  };
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    answer();
  } else {
    req.resume();
    req.on('end', answer);
  }
});
server.keepAliveTimeout = 72_000; // as fastify's
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
