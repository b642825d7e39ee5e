// A reverse proxy as its own process, as nginx's `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for` is:
// every request goes on to the target with the client's address appended to X-Forwarded-For, from the proxy's own
// loopback address (`from`, e.g. 127.0.0.9), so the hub sees one peer for all clients. For the trusted-proxy tests.
//
//   const proxy = await startLoopbackProxy(hub.url, '127.0.0.9');
//   await httpRequest(proxy.url, 'GET', '/v1/workspace', { key, localAddress: '127.0.0.2' });   // a client
//   await proxy.stop();
import { spawn } from 'child_process';
import http from 'http';

export interface LoopbackProxy {
  url: string;
  stop(): Promise<void>;
}

function serve(target: string, from: string): void {
  const server = http.createServer((req, res) => {
    const peer = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    const headers = { ...req.headers, 'x-forwarded-for': prior ? `${prior}, ${peer}` : peer };
    const upstream = http.request(target + req.url, { method: req.method, headers, localAddress: from, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`Proxy listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

export function startLoopbackProxy(target: string, from: string): Promise<LoopbackProxy> {
  const child = spawn(process.execPath, [__filename, target, from], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error('the proxy did not start within 20 s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Proxy listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`the proxy exited before listening: ${output}`)));
  });
}

if (require.main === module) serve(process.argv[2]!, process.argv[3]!);
