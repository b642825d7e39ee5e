// A lost answer: the hub created (or rotated) the token, but the connection broke before the client read the 201.
// A loopback proxy between the HubClient (src/api/client.ts) and a real hub forwards the first POST and resets the
// client's connection as soon as the hub's answer arrives. The client retries once with the same Idempotency-Key:
// - at once, to the same hub process: the hub replays its first answer, so the client ends with exactly one token
//   and a secret that works;
// - later than 10 minutes, or to a process that never held the answer (a second hub on the same database with its
//   clock 10 minutes ahead, TOKENHUB_TEST_CLOCK_OFFSET_MS): 409 idempotency_replayed, and the HubRequestError carries the
//   tokenId so the caller can find or delete the token whose secret it will never see.
// (The hub side of Idempotency-Key is in test/hub/contract.ts; this is the client and the wire together.)
import assert from 'assert';
import fs from 'fs';
import http from 'http';
import { HubClient, HubRequestError } from '../../src/api/client';
import type { TokenPage } from '../../src/contract/types';
import { startHub, type HubProcess } from '../support/hub';
import { client } from '../hub/helpers';
import { startLossyProxy, type LossyProxy } from './support';

const TEN_MINUTES_AHEAD = String(10 * 60_000 + 5_000);

describe('reliability: a lost answer to create or rotate', function () {
  this.timeout(60_000);
  let hub: HubProcess;
  let ahead: HubProcess;
  let proxy: LossyProxy;
  let accountKey: string;

  let dataDir: string;

  before(async () => {
    hub = await startHub();
    dataDir = hub.dataDir;
    ({ accountKey } = await hub.init('lossy', ['chat-completions']));
    ahead = await startHub({ db: hub.db, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: TEN_MINUTES_AHEAD } });
    proxy = await startLossyProxy(hub.port);
  });

  after(async () => {
    await proxy?.close();
    await ahead?.stop();
    await hub?.stop();
    // test/support/hub.ts removes the data folder after one restart, not after a restart of a restarted handle.
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // The HubClient (axios) keeps connections alive in Node's global agent: start every test without one, so that a
  // retry opens a new connection (and follows the proxy's upstream of that moment).
  beforeEach(() => http.globalAgent.destroy());
  afterEach(() => proxy.setUpstream(hub.port));

  const through = () => new HubClient({ baseUrl: proxy.url, accountKey, timeoutMs: 10_000 });
  const direct = () => client(hub.url, accountKey);
  const tokensNamed = async (name: string) => (await direct().get<TokenPage>(`/v1/tokens?search=${name}`)).body.data.filter((t) => t.name === name);

  it('create: the retry with the same key gets the first answer; one token, and its secret works', async () => {
    proxy.dropResponses(/^POST \/v1\/tokens HTTP\/1\.1$/);
    const before = proxy.dropped;
    const created = await through().createToken({ name: 'lost-once', endpoints: ['chat-completions'] });
    assert.strictEqual(proxy.dropped, before + 1, 'the first answer was really lost');
    const tokens = await tokensNamed('lost-once');
    assert.strictEqual(tokens.length, 1, 'exactly one token');
    assert.strictEqual(tokens[0].id, created.token.id);
    assert.strictEqual(tokens[0].maskedKey, created.token.maskedKey, 'the secret the client got is the token’s secret');
    const invoked = await direct().invoke('chat-completions', created.secret);
    assert.strictEqual(invoked.status, 200, invoked.text);
    assert.strictEqual(invoked.body.tokenId, created.token.id);
  });

  it('create: a retry that reaches a process without the answer (10 minutes later) gets 409 idempotency_replayed with the tokenId', async () => {
    // The first attempt goes to the hub; the retry, on a new connection, to the hub whose clock is 10 minutes ahead.
    proxy.dropResponses(/^POST \/v1\/tokens HTTP\/1\.1$/, 1, () => proxy.setUpstream(ahead.port));
    const error = await through()
      .createToken({ name: 'lost-late', endpoints: ['chat-completions'] }, { idempotencyKey: 'late-retry-1' })
      .then(() => assert.fail('the retry must not be answered with a new secret'), (e: unknown) => e);
    assert.ok(error instanceof HubRequestError, `expected a HubRequestError, got ${String(error)}`);
    assert.strictEqual(error.status, 409);
    assert.strictEqual(error.code, 'idempotency_replayed');
    const tokens = await tokensNamed('lost-late');
    assert.strictEqual(tokens.length, 1, 'exactly one token');
    assert.strictEqual(error.tokenId, tokens[0].id, 'the error names the token that was created');
    assert.ok(!error.message.includes('thub_'), 'no secret in the message');
    // The caller can clean up with the id it was given.
    await through().deleteToken(error.tokenId!);
    assert.strictEqual((await tokensNamed('lost-late')).length, 0);
  });

  it('create: the same after a restart of the hub 10 minutes later (the answer kept in memory is gone)', async () => {
    const key = 'restart-retry-1';
    const body = { name: 'lost-restart', endpoints: ['chat-completions'] };
    proxy.dropResponses(/^POST \/v1\/tokens HTTP\/1\.1$/);
    // No retries here: the first attempt fails with the lost answer, as if the client process had died.
    await assert.rejects(new HubClient({ baseUrl: proxy.url, accountKey, retries: 0 }).createToken(body, { idempotencyKey: key }), (e: unknown) =>
      e instanceof HubRequestError && e.kind === 'network',
    );
    hub = await hub.restart({ env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: TEN_MINUTES_AHEAD } });
    proxy.setUpstream(hub.port);
    const error = await through().createToken(body, { idempotencyKey: key }).then(
      () => assert.fail('the retry must not create another token'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof HubRequestError);
    assert.strictEqual(error.code, 'idempotency_replayed');
    const tokens = await tokensNamed('lost-restart');
    assert.strictEqual(tokens.length, 1);
    assert.strictEqual(error.tokenId, tokens[0].id);
    hub = await hub.restart({ env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: '0' } });
    proxy.setUpstream(hub.port);
  });

  it('rotate: the retry gets the same new secret, and the token was rotated once, not twice', async () => {
    const created = await direct().post('/v1/tokens', { name: 'rotate-lost', endpoints: ['chat-completions'] });
    assert.strictEqual(created.status, 201);
    const id = created.body.token.id as string;
    proxy.dropResponses(new RegExp(`^POST /v1/tokens/${id}/rotate HTTP/1\\.1$`));
    const before = proxy.dropped;
    const rotated = await through().rotateToken(id, { graceSeconds: 300 });
    assert.strictEqual(proxy.dropped, before + 1);
    assert.strictEqual(rotated.token.id, id);
    assert.strictEqual((await direct().invoke('chat-completions', rotated.secret)).status, 200, 'the secret the client got works');
    // A second rotation would have ended the first secret's grace (one previous secret at most): it still works.
    assert.strictEqual((await direct().invoke('chat-completions', created.body.secret)).status, 200, 'rotated once, not twice');
    const listed = await direct().get(`/v1/tokens/${id}`);
    assert.strictEqual(listed.body.maskedKey, rotated.token.maskedKey);
  });
});
