// The gateway, ANY /v1/gateway/{endpointId}/{path}, against a real upstream process (src/dev/upstream.ts): what a
// program calling a platform through the hub notices. Streams arrive as they are produced, large bodies pass both
// ways, the upstream's answer passes through, refusals never reach the upstream, and a dead or slow upstream is the
// contract's 502 or 504. The upstream lookup is the store's, so the suite runs on SQLite and on PostgreSQL.
import assert from 'assert';
import http from 'http';
import { Readable } from 'stream';
import type { Token, TokenWithSecret } from '../../src/contract/types';
import { generateToken } from '../../src/core/token';
import { freePort } from '../support/ports';
import { describeWithPostgres } from '../support/postgres';
import { startHub, type HubProcess } from '../support/hub';
import { startUpstream, type UpstreamProcess } from '../support/upstream';
import { call, client, expectError } from './helpers';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over node:http (which, unlike fetch, sends any header asked for: Connection, Keep-Alive, TE). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // node sends a DELETE's or OPTIONS' body without a length unless told it.
    const sized = body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const req = http.request(base + path, { method, headers: sized, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (res: RawResponse) => JSON.parse(res.body.toString('utf8'));
const MB = 1024 * 1024;

function gatewaySuite(label: string, database: () => Promise<string | undefined>) {
  describe(`gateway (${label})`, function () {
    this.timeout(60_000);
    let hub: HubProcess;
    let upstream: UpstreamProcess;
    let ws: { workspaceId: string; accountKey: string };
    let chat: TokenWithSecret; // chat-completions and moderation
    let embed: TokenWithSecret; // embeddings only
    const bearer = (t: TokenWithSecret) => ({ authorization: `Bearer ${t.secret}` });
    const count = async () => (await upstream.received()).length;

    before(async () => {
      upstream = await startUpstream();
      hub = await startHub({ db: await database() });
      ws = await hub.init('gw', ['chat-completions', 'embeddings', 'moderation']);
      for (const id of ['chat-completions', 'embeddings']) {
        const set = await hub.cli(['endpoint', 'set-upstream', '--workspace', 'gw', '--id', id, upstream.url]);
        assert.strictEqual(set.code, 0, set.stderr);
      }
      const api = client(hub.url, ws.accountKey);
      chat = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'chat', endpoints: ['chat-completions', 'moderation'] })).body;
      embed = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'embed', endpoints: ['embeddings'] })).body;
    });
    after(async () => {
      await hub?.stop();
      await upstream?.stop();
    });

    it('streams server-sent events as the upstream sends them: the first arrives before the last is sent', async () => {
      const res = await fetch(`${hub.url}/v1/gateway/chat-completions/v1/chat/completions?hold=1`, {
        method: 'POST',
        headers: { ...bearer(chat), 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      // The upstream holds its last event until it is released: everything before it must get through first.
      while (!text.includes('"content":" a"')) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended early: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
      assert.ok(!text.includes('[DONE]'), 'the last event has not been sent yet');
      await upstream.release();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      const words = text
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => JSON.parse(e.slice(6)).choices[0].delta.content)
        .join('');
      assert.strictEqual(words, 'Hello from the demo upstream: this answer streamed through the Token Hub gateway, one word at a time.');
      assert.ok(text.trimEnd().endsWith('data: [DONE]'));
    });

    it('a 20 MB upload reaches the upstream in full (beyond the 64 KiB body limit), and a 20 MB download comes back', async () => {
      const size = 20 * MB;
      let sent = 0;
      const chunk = Buffer.alloc(MB, 'u');
      const body = Readable.toWeb(
        Readable.from((function* () {
          while (sent < size) {
            sent += chunk.length;
            yield chunk;
          }
        })()),
      ) as ReadableStream;
      const up = await fetch(`${hub.url}/v1/gateway/chat-completions/upload`, {
        method: 'POST',
        headers: { ...bearer(chat), 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      assert.strictEqual(up.status, 200, await up.clone().text());
      assert.deepStrictEqual(await up.json(), { bytes: size });

      const down = await fetch(`${hub.url}/v1/gateway/chat-completions/download?bytes=${size}`, { headers: bearer(chat) });
      assert.strictEqual(down.status, 200);
      let received = 0;
      for await (const part of down.body as unknown as AsyncIterable<Uint8Array>) received += part.length;
      assert.strictEqual(received, size);
    });

    it('an upload sent with Expect: 100-continue (as curl sends large bodies) goes through', async () => {
      const body = Buffer.alloc(300_000, 'e');
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const req = http.request(`${hub.url}/v1/gateway/chat-completions/upload`, {
          method: 'POST',
          agent: false,
          headers: { ...bearer(chat), expect: '100-continue', 'content-length': String(body.length) },
        });
        req.on('continue', () => req.end(body));
        req.on('response', (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode!, headers: answer.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
      });
      assert.strictEqual(res.status, 200, res.body.toString());
      assert.deepStrictEqual(json(res), { bytes: body.length });
    });

    it('forwards path and query as sent; Authorization, hop-by-hop and client X-TokenHub-* headers are not forwarded; the hub says who called', async () => {
      const res = await raw(hub.url, 'GET', '/v1/gateway/chat-completions/echo/a%20b/c?x=1&y=%2F&x=2', {
        ...bearer(chat),
        connection: 'keep-alive, x-private-hop',
        'x-private-hop': 'for the hub only',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-tokenhub-token-id': 'tok_spoofed',
        'X-TokenHub-Workspace-Id': 'ws_spoofed',
        'x-tokenhub-extra': 'spoofed',
        'x-request-id': 'req-1',
        'user-agent': 'gateway-test/1.0',
      });
      assert.strictEqual(res.status, 200, res.body.toString());
      const echo = json(res);
      assert.strictEqual(echo.url, '/echo/a%20b/c?x=1&y=%2F&x=2');
      const sent = echo.headers as Record<string, string>;
      assert.strictEqual(sent['x-tokenhub-token-id'], chat.token.id);
      assert.strictEqual(sent['x-tokenhub-workspace-id'], ws.workspaceId);
      for (const name of ['authorization', 'x-private-hop', 'keep-alive', 'te', 'proxy-authorization', 'x-tokenhub-extra']) {
        assert.strictEqual(sent[name], undefined, `${name} was forwarded`);
      }
      assert.strictEqual(sent['x-request-id'], 'req-1', 'end-to-end headers pass');
      assert.strictEqual(sent['user-agent'], 'gateway-test/1.0');
      assert.strictEqual(sent.host, new URL(upstream.url).host, "the upstream's own Host");
      assert.ok(!JSON.stringify(echo).includes(chat.secret), 'the secret never reaches the upstream');
    });

    it("the upstream's hop-by-hop response headers are not passed on; its other headers are", async () => {
      const res = await raw(hub.url, 'GET', '/v1/gateway/chat-completions/echo?hopByHop=1', bearer(chat));
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.headers['x-upstream'], 'demo');
      assert.strictEqual(res.headers['x-upstream-private'], undefined, 'a header the upstream named in Connection');
      assert.notStrictEqual(res.headers['keep-alive'], 'timeout=5', "the upstream's Keep-Alive is its own");
    });

    it("the upstream's answer passes through as it is: any status, any method", async () => {
      const failed = await raw(hub.url, 'GET', '/v1/gateway/chat-completions/status/500', bearer(chat));
      assert.strictEqual(failed.status, 500);
      assert.deepStrictEqual(json(failed), { status: 500 }, "the upstream's own body, not the hub's error");
      const notAllowed = await raw(hub.url, 'PATCH', '/v1/gateway/chat-completions/status/405', bearer(chat), Buffer.from('{}'));
      assert.strictEqual(notAllowed.status, 405);
      assert.deepStrictEqual(json(notAllowed), { status: 405 });
      for (const method of ['DELETE', 'PUT', 'OPTIONS', 'PATCH']) {
        const res = await raw(hub.url, method, '/v1/gateway/embeddings/echo', bearer(embed), Buffer.from('body'));
        assert.strictEqual(res.status, 200, method);
        assert.strictEqual(json(res).method, method);
        assert.strictEqual(json(res).bytes, 4, `${method}: the body went through`);
      }
      const head = await raw(hub.url, 'HEAD', '/v1/gateway/embeddings/echo', bearer(embed));
      assert.strictEqual(head.status, 200);
      assert.strictEqual(head.body.length, 0);
      const received = await upstream.received();
      assert.strictEqual(received.at(-1)!.method, 'HEAD');
    });

    it('refusals (401, 403) are answered by the hub and never reach the upstream; invoke keeps its stand-in answer', async () => {
      const before = await count();
      const path = '/v1/gateway/chat-completions/echo';
      expectError(await call(hub.url, 'GET', path), 401, 'unauthorized');
      expectError(await call(hub.url, 'POST', path, { key: generateToken('thub_'), body: 'x'.repeat(100_000) }), 401, 'unauthorized');
      expectError(await call(hub.url, 'GET', path, { key: ws.accountKey }), 401, 'unauthorized');
      expectError(await call(hub.url, 'GET', path, { key: embed.secret }), 403, 'forbidden');
      expectError(await call(hub.url, 'GET', '/v1/gateway/nowhere/echo', { key: chat.secret }), 403, 'forbidden');
      const api = client(hub.url, ws.accountKey);
      const doomed = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'doomed', endpoints: ['chat-completions'] })).body;
      assert.strictEqual((await call(hub.url, 'GET', path, { key: doomed.secret })).status, 200);
      assert.strictEqual((await api.del(`/v1/tokens/${doomed.token.id}`)).status, 204);
      expectError(await call(hub.url, 'GET', path, { key: doomed.secret }), 401, 'unauthorized');
      assert.strictEqual(await count(), before + 1, 'only the one accepted call reached the upstream');

      const invoked = await client(hub.url).invoke('chat-completions', chat.secret);
      assert.deepStrictEqual(invoked.body, { endpoint: 'chat-completions', tokenId: chat.token.id });
      assert.strictEqual(await count(), before + 1, 'invoke never forwards');
    });

    it('404 not_found for an endpoint without an upstream; invoke still answers for it', async () => {
      const before = await count();
      const error = expectError(await call(hub.url, 'POST', '/v1/gateway/moderation/check', { key: chat.secret, json: { text: 'x' } }), 404, 'not_found');
      assert.match(error.message, /no upstream/);
      assert.strictEqual((await client(hub.url).invoke('moderation', chat.secret)).status, 200);
      assert.strictEqual(await count(), before);
    });

    it('every forwarded call is a use: Last Used is set', async () => {
      const fresh = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'fresh', endpoints: ['embeddings'] })).body;
      assert.strictEqual(fresh.token.lastUsedAt, null);
      assert.strictEqual((await raw(hub.url, 'POST', '/v1/gateway/embeddings/v1/embeddings', { ...bearer(fresh), 'content-type': 'application/json' }, Buffer.from('{"input":"hi"}'))).status, 200);
      const shown = (await client(hub.url, ws.accountKey).get<Token>(`/v1/tokens/${fresh.token.id}`)).body;
      assert.ok(shown.lastUsedAt !== null, 'the gateway call counts as a use');
    });

    it('an upstream that refuses the connection is 502 upstream_unavailable; the Endpoint objects never show upstreams', async () => {
      const closed = await freePort();
      const set = await hub.cli(['endpoint', 'set-upstream', '--workspace', 'gw', '--id', 'embeddings', `http://127.0.0.1:${closed}`]);
      assert.strictEqual(set.code, 0, set.stderr);
      try {
        expectError(await call(hub.url, 'GET', '/v1/gateway/embeddings/anything', { key: embed.secret }), 502, 'upstream_unavailable');
        const listed = await client(hub.url, ws.accountKey).get('/v1/endpoints');
        assert.ok(!listed.text.includes('127.0.0.1') && !listed.text.includes('upstream'), listed.text);
      } finally {
        await hub.cli(['endpoint', 'set-upstream', '--workspace', 'gw', '--id', 'embeddings', upstream.url]);
      }
    });
  });
}

gatewaySuite('SQLite', async () => undefined);

describeWithPostgres('gateway on PostgreSQL', (create) => gatewaySuite('PostgreSQL', () => create('gateway')));

describe('gateway timeouts', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let upstream: UpstreamProcess;
  let secret: string;

  before(async () => {
    upstream = await startUpstream();
    hub = await startHub({ args: ['--upstream-idle-timeout', '1'] });
    const ws = await hub.init('slow', ['chat-completions']);
    await hub.cli(['endpoint', 'set-upstream', '--workspace', 'slow', '--id', 'chat-completions', upstream.url]);
    secret = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'slow', endpoints: ['chat-completions'] })).body.secret;
  });
  after(async () => {
    await hub?.stop();
    await upstream?.stop();
  });

  it('an upstream that does not answer within the idle timeout is 504 upstream_timeout; one that does is answered', async () => {
    expectError(await call(hub.url, 'GET', '/v1/gateway/chat-completions/slow?ms=4000', { key: secret }), 504, 'upstream_timeout');
    assert.strictEqual((await call(hub.url, 'GET', '/v1/gateway/chat-completions/slow?ms=10', { key: secret })).status, 200);
  });
});
