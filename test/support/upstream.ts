// Starts the project's small upstream service (src/dev/upstream.ts, as `node dist/dev.js upstream`) as its own
// process on 127.0.0.1 and a free port, for the gateway's tests, demo test and benchmark.
//
//   const upstream = await startUpstream();
//   await hub.cli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'chat-completions', upstream.url]);
//   (await upstream.received()).length                  // every request it was sent
//   await upstream.release();                           // lets a held stream (?hold=1) send its last event
//   await upstream.stop();
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';

export const DEV_BIN = path.resolve(__dirname, '..', '..', '..', 'dist', 'dev.js');

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
}

export interface UpstreamProcess {
  url: string;
  port: number;
  process: ChildProcess;
  received(): Promise<ReceivedRequest[]>;
  release(): Promise<void>;
  stop(): Promise<void>;
}

export async function startUpstream(): Promise<UpstreamProcess> {
  if (!fs.existsSync(DEV_BIN)) throw new Error(`${DEV_BIN} is missing: run "node esbuild.js" first.`);
  const child = spawn(process.execPath, [DEV_BIN, 'upstream', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the upstream did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Upstream listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the upstream exited before listening:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    process: child,
    async received() {
      return (await (await fetch(`${url}/_received`)).json()) as ReceivedRequest[];
    },
    async release() {
      await (await fetch(`${url}/_release`, { method: 'POST' })).arrayBuffer();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
