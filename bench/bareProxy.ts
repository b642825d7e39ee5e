// The gateway's baseline in `npm run bench`: a bare node:http reverse proxy, run as its own process, that forwards
// /v1/gateway/{endpointId}/{path} to the upstream given in argv[2] (path and query appended, keep-alive connections,
// bodies piped both ways) without checking anything. Prints its port on stdout.
import http from 'http';

const upstream = new URL(process.argv[2]!);
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const PREFIX = '/v1/gateway/';

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const rest = url.startsWith(PREFIX) ? url.slice(url.indexOf('/', PREFIX.length)) : url;
  const headers = { ...req.headers, host: upstream.host };
  delete headers.authorization;
  delete headers.connection;
  const forward = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: upstream.pathname.replace(/\/$/, '') + rest, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(forward);
});
server.keepAliveTimeout = 72_000; // as fastify's
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
