// Free TCP ports on the loopback interface for servers started by tests.
import net from 'net';

/** A port that was free on 127.0.0.1 a moment ago (the OS chose it; there is a small window for a race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
