// The HubClient as the extension ships it: src/api/client.ts bundled with esbuild.js's own extension options (axios
// with the http adapter, four of its dependencies aliased to stand-ins), then every request the client makes, and
// each way one fails, against a real hub. Fails when an axios update reaches a stand-in or a dropped part.
import assert from 'assert';
import * as esbuild from 'esbuild';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import type * as Client from '../../src/api/client';
import { ACCESS_TOKEN_PREFIX, maskCandidates } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { freePort } from '../support/ports';
import { withWrongChecksum } from '../support/tokens';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('the bundled HubClient, on every request path, against a real hub', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let accountKey: string;
  let bundled: typeof Client;
  let scratch: string;

  before(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-bundled-client-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { extensionOptions } = require(path.join(REPO, 'esbuild.js')) as { extensionOptions: esbuild.BuildOptions };
    const outfile = path.join(scratch, 'client.js');
    await esbuild.build({ ...extensionOptions, absWorkingDir: REPO, entryPoints: ['src/api/client.ts'], outfile, minify: true, logLevel: 'silent' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    bundled = require(outfile) as typeof Client;
    hub = await startHub();
    ({ accountKey } = await hub.init('bundle', ['chat-completions', 'embeddings']));
  });
  after(async () => {
    await hub?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('health, workspace, endpoints, create, list (pages, search, mask), get, lookup, invoke, rotate and delete work', async () => {
    const client = new bundled.HubClient({ baseUrl: hub.url, accountKey });
    assert.deepStrictEqual(await client.health(), { ok: true });
    assert.strictEqual((await client.getWorkspace()).name, 'bundle');
    assert.deepStrictEqual((await client.listEndpoints()).map((e) => e.id).sort(), ['chat-completions', 'embeddings']);
    const created = [];
    for (const name of ['alpha', 'beta', 'gamma']) created.push(await client.createToken({ name, endpoints: ['chat-completions'] }));
    assert.ok(created[0].secret.startsWith(ACCESS_TOKEN_PREFIX));
    const first = await client.listTokens({ limit: 2 });
    assert.strictEqual(first.data.length, 2);
    assert.ok(first.nextCursor);
    assert.strictEqual((await client.listTokens({ limit: 2, cursor: first.nextCursor })).data.length, 1);
    assert.deepStrictEqual((await client.listAllTokens('bet')).map((t) => t.name), ['beta']);
    assert.strictEqual((await client.listTokens({ maskedKey: maskCandidates(created[2].secret)[0] })).data[0]?.id, created[2].token.id);
    assert.strictEqual((await client.getToken(created[0].token.id)).name, 'alpha');
    assert.strictEqual((await client.lookupToken(created[1].secret))?.id, created[1].token.id);
    assert.strictEqual(await client.lookupToken(`${ACCESS_TOKEN_PREFIX}${'x'.repeat(49)}`), undefined);
    assert.strictEqual((await client.invoke('chat-completions', created[0].secret)).tokenId, created[0].token.id);
    const rotated = await client.rotateToken(created[0].token.id, {});
    assert.notStrictEqual(rotated.secret, created[0].secret);
    await client.deleteToken(created[1].token.id);
    assert.deepStrictEqual((await client.listAllTokens()).map((t) => t.name).sort(), ['alpha', 'gamma']);
  });

  it('an HTTP error, a refused key, a hub that is not there and one that does not answer each give their HubRequestError', async () => {
    const client = new bundled.HubClient({ baseUrl: hub.url, accountKey });
    await assert.rejects(client.createToken({ name: 'gamma', endpoints: ['chat-completions'] }), (error: Client.HubRequestError) => {
      assert.strictEqual(error.name, 'HubRequestError');
      return error.kind === 'http' && error.status === 409 && error.code === 'name_taken';
    });
    await assert.rejects(client.getToken('tok_0000000000000000'), (error: Client.HubRequestError) => error.status === 404);
    const refused = new bundled.HubClient({ baseUrl: hub.url, accountKey: withWrongChecksum(accountKey) });
    await assert.rejects(refused.getWorkspace(), (error: Client.HubRequestError) => error.isUnauthorized);

    const closedPort = await freePort();
    const nobody = new bundled.HubClient({ baseUrl: `http://127.0.0.1:${closedPort}`, accountKey, retries: 0 });
    await assert.rejects(nobody.getWorkspace(), (error: Client.HubRequestError) => error.kind === 'network' && error.isUnreachable);

    // A server that accepts and never answers: the client's timeout.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const slow = new bundled.HubClient({ baseUrl: `http://127.0.0.1:${port}`, accountKey, timeoutMs: 300, retries: 0 });
      await assert.rejects(slow.getWorkspace(), (error: Client.HubRequestError) => error.kind === 'timeout');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
