// The tokenhub command line: init, endpoint, account-key, serve's errors, --help, and graceful shutdown.
import assert from 'assert';
import fs from 'fs';
import http from 'http';
import net from 'net';
import os from 'os';
import path from 'path';
import type { Token, TokenWithSecret } from '../../src/contract/types';
import { isValidToken } from '../../src/core/token';
import { runHubCli, startHub } from '../support/hub';
import { client, expectError } from './helpers';

describe('tokenhub command line', function () {
  this.timeout(30_000);
  let dir: string;
  let db: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-cli-'));
    db = path.join(dir, 'nested', 'folder', 'hub.db');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('init creates the folder and the workspace and prints exactly one JSON line', async () => {
    const res = await runHubCli(['init', '--workspace', 'acme', '--endpoint', 'chat-completions=Chat completions', '--endpoint', 'embeddings', '--db', db]);
    assert.strictEqual(res.code, 0, res.stderr);
    const lines = res.stdout.split('\n').filter(Boolean);
    assert.strictEqual(lines.length, 1);
    const out = JSON.parse(lines[0]);
    assert.deepStrictEqual(Object.keys(out), ['workspaceId', 'accountKey']);
    assert.match(out.workspaceId, /^ws_[0-9A-Za-z]{16}$/);
    assert.ok(isValidToken(out.accountKey, 'thak_'));
    assert.ok(fs.existsSync(db));
  });

  it('init reuses a workspace of that name and issues another account key', async () => {
    const first = JSON.parse((await runHubCli(['init', '--workspace', 'reuse', '--db', db])).stdout);
    const second = JSON.parse((await runHubCli(['init', '--workspace', 'reuse', '--endpoint', 'extra', '--db', db])).stdout);
    assert.strictEqual(second.workspaceId, first.workspaceId);
    assert.notStrictEqual(second.accountKey, first.accountKey);
    const list = await runHubCli(['endpoint', 'list', '--workspace', 'reuse', '--db', db]);
    assert.deepStrictEqual(list.stdout.trim().split('\n').map((l) => JSON.parse(l).id), ['extra']);
    const keys = await runHubCli(['account-key', 'list', '--workspace', 'reuse', '--db', db]);
    assert.strictEqual(keys.stdout.trim().split('\n').length, 2);
    assert.ok(!keys.stdout.includes(first.accountKey) && !keys.stdout.includes(second.accountKey), 'keys are listed masked');
  });

  it('uses .tokenhub/hub.db in the working directory by default', async () => {
    const res = await runHubCli(['init', '--workspace', 'here'], {}, dir);
    assert.strictEqual(res.code, 0, res.stderr);
    assert.ok(fs.existsSync(path.join(dir, '.tokenhub', 'hub.db')));
  });

  it('endpoint add and list, account-key create and revoke', async () => {
    const add = await runHubCli(['endpoint', 'add', '--workspace', 'acme', '--id', 'moderation', '--name', 'Moderation', '--description', 'Checks text', '--db', db]);
    assert.strictEqual(add.code, 0, add.stderr);
    assert.strictEqual(JSON.parse(add.stdout).status, 'added');
    const update = await runHubCli(['endpoint', 'add', '--workspace', 'acme', '--id', 'moderation', '--name', 'Moderation v2', '--db', db]);
    assert.strictEqual(JSON.parse(update.stdout).status, 'updated');
    const list = await runHubCli(['endpoint', 'list', '--workspace', 'acme', '--db', db]);
    assert.deepStrictEqual(list.stdout.trim().split('\n').map((l) => JSON.parse(l).id), ['chat-completions', 'embeddings', 'moderation']);
    const created = await runHubCli(['account-key', 'create', '--workspace', 'acme', '--db', db]);
    const { accountKey, accountKeyId } = JSON.parse(created.stdout);
    assert.ok(isValidToken(accountKey, 'thak_'));
    assert.match(accountKeyId, /^ak_/);
    assert.strictEqual((await runHubCli(['account-key', 'revoke', '--key', accountKey, '--db', db])).code, 0);
    const again = await runHubCli(['account-key', 'revoke', '--id', accountKeyId, '--db', db]);
    assert.strictEqual(again.code, 1);
    assert.match(again.stderr, /no such account key/);
    const missing = await runHubCli(['endpoint', 'list', '--workspace', 'nobody', '--db', db]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /no workspace "nobody"/);
  });

  it("endpoint upstreams: set by add --upstream (positional id too), changed and cleared by set-upstream, shown to the operator only", async () => {
    const lines = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l));
    const add = await runHubCli(['endpoint', 'add', 'speech', '--workspace', 'acme', '--upstream', 'http://127.0.0.1:9000/v1/', '--db', db]);
    assert.strictEqual(add.code, 0, add.stderr);
    assert.deepStrictEqual(JSON.parse(add.stdout).endpoint, { id: 'speech', name: 'speech', description: '', upstream: 'http://127.0.0.1:9000/v1' });
    const renamed = await runHubCli(['endpoint', 'add', '--workspace', 'acme', '--id', 'speech', '--name', 'Speech', '--db', db]);
    assert.strictEqual(JSON.parse(renamed.stdout).endpoint.upstream, 'http://127.0.0.1:9000/v1', 'add without --upstream keeps it');
    const changed = await runHubCli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'speech', 'https://speech.example.com', '--db', db]);
    assert.strictEqual(changed.code, 0, changed.stderr);
    let listed = lines((await runHubCli(['endpoint', 'list', '--workspace', 'acme', '--db', db])).stdout);
    assert.strictEqual(listed.find((e) => e.id === 'speech').upstream, 'https://speech.example.com');
    assert.strictEqual(listed.find((e) => e.id === 'chat-completions').upstream, null);
    assert.strictEqual((await runHubCli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'speech', '--clear', '--db', db])).code, 0);
    listed = lines((await runHubCli(['endpoint', 'list', '--workspace', 'acme', '--db', db])).stdout);
    assert.strictEqual(listed.find((e) => e.id === 'speech').upstream, null);
    const unknown = await runHubCli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'nothing', 'http://x', '--db', db]);
    assert.strictEqual(unknown.code, 1);
    assert.match(unknown.stderr, /no endpoint "nothing"; add it with: tokenhub endpoint add/);
    for (const [url, why] of [
      ['ftp://files.example.com', /http:\/\/ or https:\/\//],
      ['http://user:secret@api.example.com', /Leave the user name and password out/],
      ['http://api.example.com/?key=1', /Leave the query and fragment out/],
      ['not a url', /is not a URL/],
    ] as const) {
      const res = await runHubCli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'speech', url, '--db', db]);
      assert.strictEqual(res.code, 2, `${url}: ${res.stderr}`);
      assert.match(res.stderr, why);
      assert.ok(!res.stderr.includes('secret'), 'a refused URL\'s password is not echoed');
    }
    const both = await runHubCli(['endpoint', 'set-upstream', '--workspace', 'acme', '--id', 'speech', 'http://x', '--clear', '--db', db]);
    assert.strictEqual(both.code, 2);
  });

  it('--help on every command exits 0; usage errors exit 2 with one line', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['init', '--help'], ['endpoint', '--help'], ['account-key', '--help'], ['openapi', '--help']]) {
      const res = await runHubCli(args);
      assert.strictEqual(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stdout, /Usage/);
    }
    const usage: string[][] = [
      [],
      ['nope'],
      ['init'],
      ['init', '--workspace', 'has space'],
      ['init', '--workspace', 'x', '--endpoint', 'Bad_Id'],
      ['init', '--workspace', 'x', '--frobnicate'],
      ['serve', '--port', 'eighty'],
      ['serve', '--port', '70000'],
      ['serve', '--log-level', 'loud'],
      ['serve', '--db', 'mysql://localhost/x'],
      ['account-key', 'revoke'],
      ['endpoint', 'remove'],
    ];
    for (const args of usage) {
      const res = await runHubCli(args, {}, dir);
      assert.strictEqual(res.code, 2, `${args.join(' ')} exited ${res.code}: ${res.stderr}`);
      assert.ok(res.stderr.trim().length > 0);
    }
  });

  it('runtime errors exit 1 with a clear line: a folder or a file that is not a database, a port in use, a dead PostgreSQL', async () => {
    const folder = await runHubCli(['serve', '--port', '0', '--db', dir]);
    assert.strictEqual(folder.code, 1);
    assert.match(folder.stderr, /^tokenhub serve: Cannot open the database .*: it is a folder/);
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database, just text '.repeat(200));
    const notDb = await runHubCli(['init', '--workspace', 'x', '--db', junk]);
    assert.strictEqual(notDb.code, 1);
    assert.match(notDb.stderr, /Cannot open the database .*junk\.db: file is not a database/);
    assert.strictEqual(notDb.stderr.trim().split('\n').length, 1);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const busy = await runHubCli(['serve', '--port', String(port), '--db', db]);
      assert.strictEqual(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      server.close();
    }
    const dead = await runHubCli(['init', '--workspace', 'x', '--db', `postgres://nobody:secretpw@127.0.0.1:${port}/db`]);
    assert.strictEqual(dead.code, 1);
    assert.match(dead.stderr, /Cannot open the database postgres:\/\/nobody:\*\*\*@127\.0\.0\.1/);
    assert.ok(!dead.stderr.includes('secretpw'), 'the password is not printed');
  });

  it('a hub refuses a database set up with another pepper', async () => {
    const peppered = path.join(dir, 'peppered.db');
    assert.strictEqual((await runHubCli(['init', '--workspace', 'p', '--db', peppered], { TOKENHUB_PEPPER: 'one' })).code, 0);
    const other = await runHubCli(['init', '--workspace', 'p', '--db', peppered], { TOKENHUB_PEPPER: 'two' });
    assert.strictEqual(other.code, 1);
    assert.match(other.stderr, /same pepper/);
    const none = await runHubCli(['init', '--workspace', 'p', '--db', peppered]);
    assert.strictEqual(none.code, 1);
  });

  it('SIGTERM: finishes, writes last-used times, exits 0; a restart on the same database sees them', async () => {
    const hub = await startHub();
    let again: Awaited<ReturnType<typeof startHub>> | undefined;
    try {
      const ws = await hub.init('graceful', ['chat-completions']);
      const api = client(hub.url, ws.accountKey);
      const { token, secret } = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'used', endpoints: ['chat-completions'] })).body;
      // Many uses, then stop at once: the last one is only in memory until shutdown writes it.
      const uses = await Promise.all(Array.from({ length: 20 }, () => api.invoke('chat-completions', secret)));
      assert.ok(uses.every((r) => r.status === 200));
      const seen = (await api.get<Token>(`/v1/tokens/${token.id}`)).body.lastUsedAt;
      assert.ok(seen);
      again = await hub.restart();
      assert.strictEqual(hub.process.exitCode, 0, 'exit code 0 after SIGTERM');
      assert.match(hub.output(), /shutting down/);
      const after = await client(again.url, ws.accountKey).get<Token>(`/v1/tokens/${token.id}`);
      assert.strictEqual(after.body.lastUsedAt, seen, 'the newest use survived the restart');
      expectError(await client(again.url).invoke('embeddings', secret), 403, 'forbidden');
    } finally {
      if (again) await again.stop();
      else await hub.stop();
    }
  });

  it('SIGTERM while a request is in flight: that request is answered, new connections are refused, exit 0', async () => {
    const hub = await startHub();
    try {
      const ws = await hub.init('inflight', ['chat-completions']);
      const body = JSON.stringify({ name: 'late', endpoints: ['chat-completions'] });
      // Send the headers and half the body, then SIGTERM, then the rest.
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(`${hub.url}/v1/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ws.accountKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          hub.process.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 300);
        }, 200);
      });
      const exited = new Promise<number | null>((resolve) =>
        hub.process.exitCode !== null ? resolve(hub.process.exitCode) : hub.process.once('exit', (code) => resolve(code)),
      );
      const res = await answer;
      assert.strictEqual(res.status, 201, res.text);
      assert.strictEqual(await exited, 0, 'exit code 0 (stop() would send a second signal, which forces exit 1)');
      await assert.rejects(fetch(`${hub.url}/healthz`));
    } finally {
      await hub.stop();
    }
  });

  it('serve prints where it listens, with the real port for --port 0', async () => {
    const hub = await startHub();
    try {
      assert.match(hub.output(), new RegExp(`^Token Hub listening on http://127\\.0\\.0\\.1:${hub.port}$`, 'm'));
      assert.ok(hub.port > 0);
    } finally {
      await hub.stop();
    }
  });
});
