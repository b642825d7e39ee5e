// Failed authentications per client address: after the limit, further failures get 429 rate_limited with
// Retry-After until the window ends; a valid credential from that address still works (it cannot be guessed, so
// refusing it would only let anyone lock others out).
import assert from 'assert';
import type { TokenWithSecret } from '../../src/contract/types';
import { generateToken } from '../../src/core/token';
import { startHub, type HubProcess } from '../support/hub';
import { call, client, expectError, sleep } from './helpers';

describe('rate limiting of failed authentications', function () {
  this.timeout(30_000);
  let hub: HubProcess;
  let ws: { workspaceId: string; accountKey: string };
  let secret: string;

  before(async () => {
    hub = await startHub({ args: ['--auth-failure-limit', '3', '--auth-failure-window', '2'] });
    ws = await hub.init('limited', ['chat-completions']);
    secret = (await client(hub.url, ws.accountKey).post<TokenWithSecret>('/v1/tokens', { name: 'ok', endpoints: ['chat-completions'] })).body.secret;
  });
  after(() => hub?.stop());

  const wrong = () => client(hub.url).invoke('chat-completions', generateToken('thub_'));

  it('counts failures of tokens and account keys, not successes, and blocks the address after the limit', async () => {
    expectError(await wrong(), 401, 'unauthorized');
    for (let i = 0; i < 10; i++) assert.strictEqual((await client(hub.url).invoke('chat-completions', secret)).status, 200);
    expectError(await call(hub.url, 'GET', '/v1/workspace', { key: generateToken('thak_') }), 401, 'unauthorized');
    for (let i = 0; i < 5; i++) expectError(await call(hub.url, 'GET', '/v1/workspace'), 401, 'unauthorized'); // no credential: not counted
    expectError(await wrong(), 401, 'unauthorized'); // third failure: still an answer
    const limited = await wrong();
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
    // While blocked, failures get 429 (no more guesses), but valid credentials from that address still work.
    assert.strictEqual((await client(hub.url).invoke('chat-completions', secret)).status, 200);
    assert.strictEqual((await client(hub.url, ws.accountKey).get('/v1/workspace')).status, 200);
    expectError(await call(hub.url, 'GET', '/v1/workspace', { key: generateToken('thak_') }), 429, 'rate_limited');
    expectError(await call(hub.url, 'GET', '/v1/workspace', { key: 'junk' }), 429, 'rate_limited');
    expectError(await call(hub.url, 'GET', '/v1/workspace'), 401, 'unauthorized'); // no credential: not a guess
    assert.strictEqual((await call(hub.url, 'GET', '/healthz')).status, 200, 'unauthenticated calls are not limited');
  });

  it('the window ends and the address may try again', async () => {
    await sleep(2100);
    assert.strictEqual((await client(hub.url).invoke('chat-completions', secret)).status, 200);
    assert.strictEqual((await client(hub.url, ws.accountKey).get('/v1/workspace')).status, 200);
    expectError(await wrong(), 401, 'unauthorized');
  });
});
