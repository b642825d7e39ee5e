// npm start's demo loop, minus VS Code: the demo folder's call.js, run as a person runs it (`node call.js` in the
// folder), against a real hub and the demo upstream. With a token in .env it prints the streamed answer; after the
// token is deleted the hub refuses it and the program says so; without a token it says what to do.
import assert from 'assert';
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { TokenWithSecret } from '../../src/contract/types';
import { DEMO_UPSTREAM_ENDPOINTS, DEMO_WORKSPACE, demoPaths, ensureDemoFolder } from '../../src/dev/start';
import { startHub, type HubProcess } from '../support/hub';
import { startUpstream, type UpstreamProcess } from '../support/upstream';
import { client } from './helpers';

function runCall(folder: string, hubUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOKENHUB_URL: hubUrl };
  delete env.TOKENHUB_TOKEN;
  return new Promise((resolve) => {
    execFile(process.execPath, ['call.js'], { cwd: folder, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the demo: call.js through the gateway', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let upstream: UpstreamProcess;
  let repo: string;
  let folder: string;
  let accountKey: string;

  before(async () => {
    upstream = await startUpstream();
    hub = await startHub();
    accountKey = (await hub.init(DEMO_WORKSPACE, ['chat-completions', 'embeddings', 'moderation'])).accountKey;
    for (const id of DEMO_UPSTREAM_ENDPOINTS) {
      assert.strictEqual((await hub.cli(['endpoint', 'set-upstream', '--workspace', DEMO_WORKSPACE, '--id', id, upstream.url])).code, 0);
    }
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-demo-call-'));
    const paths = demoPaths(repo);
    ensureDemoFolder(paths);
    folder = paths.folder;
  });
  after(async () => {
    await hub?.stop();
    await upstream?.stop();
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  it('without a token in .env it says to insert one', async () => {
    const run = await runCall(folder, hub.url);
    assert.strictEqual(run.code, 1);
    assert.match(run.stderr, /There is no TOKENHUB_TOKEN in \.env yet: insert a token/);
  });

  it('create → insert → run: the streamed answer; delete → run: refused (401), saying what to do', async () => {
    const api = client(hub.url, accountKey);
    const created = (await api.post<TokenWithSecret>('/v1/tokens', { name: 'demo-call', endpoints: ['chat-completions'] })).body;
    fs.appendFileSync(path.join(folder, '.env'), `TOKENHUB_TOKEN=${created.secret}\n`);
    const works = await runCall(folder, hub.url);
    assert.strictEqual(works.code, 0, works.stderr);
    assert.match(works.stdout, /Hello from the demo upstream: this answer streamed through the Token Hub gateway, one word at a time\./);
    assert.ok(!works.stdout.includes(created.secret) && !works.stderr.includes(created.secret), 'the program never prints the secret');

    assert.strictEqual((await api.del(`/v1/tokens/${created.token.id}`)).status, 204);
    const refused = await runCall(folder, hub.url);
    assert.strictEqual(refused.code, 1);
    assert.match(refused.stderr, /The hub refused the token \(401\).*Create a new one in the Token Hub view and insert it into \.env\./);
  });

  it('a hub that is not running is named, with what to do', async () => {
    const run = await runCall(folder, 'http://127.0.0.1:9');
    assert.strictEqual(run.code, 1);
    assert.match(run.stderr, /Cannot reach the hub at http:\/\/127\.0\.0\.1:9; start it with npm start/);
  });
});
