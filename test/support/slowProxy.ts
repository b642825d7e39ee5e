// A loopback proxy in front of a real hub that can hold chosen requests back until the test releases them: a slow
// hub, with the real hub's answers. Binds 127.0.0.1 on a port the OS picks; the test that starts it stops it.
//
//   const proxy = await startSlowProxy(hub.url);
//   const held = proxy.hold('POST', /^\/v1\/tokens$/);   // the next matching request waits
//   … start the action …; await held.arrived; … assert the waiting state …; held.release(); … assert it is gone …
//   await proxy.stop();
import http from 'http';
import type { AddressInfo } from 'net';

export interface HeldRequest {
  /** Resolves when a matching request has come in (and is being held). */
  readonly arrived: Promise<void>;
  /** Lets the held request (and any later match of this hold) through to the hub. */
  release(): void;
}

export interface SlowProxy {
  url: string;
  /** Holds the next request with this method whose path (with its query, as sent) matches. */
  hold(method: string, path: RegExp): HeldRequest;
  stop(): Promise<void>;
}

interface Hold {
  method: string;
  path: RegExp;
  caught: boolean;
  arrive: () => void;
  released: Promise<void>;
}

export async function startSlowProxy(target: string): Promise<SlowProxy> {
  const upstream = new URL(target);
  const holds: Hold[] = [];
  const server = http.createServer((request, response) => {
    const hold = holds.find((candidate) => !candidate.caught && candidate.method === request.method && candidate.path.test(request.url ?? '/'));
    if (hold) {
      hold.caught = true;
      hold.arrive();
    }
    // The body is forwarded as it streams; only the start of the forwarding waits for the release.
    void (hold?.released ?? Promise.resolve()).then(() => {
      const forwarded = http.request(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', () => response.destroy());
      request.pipe(forwarded);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(method, path) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ method, path, caught: false, arrive, released });
      return { arrived, release };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
