// The client address rule of `serve --trust-proxy` (fastify's trustProxy semantics), case by case.
import assert from 'assert';
import { peerAddress, trustEntryProblem, trustingProxies } from '../../src/hub/clientAddress';

describe('client address behind trusted proxies', () => {
  it('without trusted proxies: the peer, whatever X-Forwarded-For says', () => {
    assert.strictEqual(trustingProxies([]), peerAddress);
    assert.strictEqual(peerAddress('10.0.0.1', '1.2.3.4'), '10.0.0.1');
    assert.strictEqual(peerAddress(undefined, undefined), '');
  });

  it('from a trusted proxy: the rightmost entry that is not a trusted proxy', () => {
    const resolve = trustingProxies(['127.0.0.9', '10.0.0.0/8', 'fd00::/8']);
    assert.strictEqual(resolve('127.0.0.9', '203.0.113.7'), '203.0.113.7');
    assert.strictEqual(resolve('127.0.0.9', '198.51.100.1, 203.0.113.7'), '203.0.113.7', 'a client-made entry to the left changes nothing');
    assert.strictEqual(resolve('127.0.0.9', '203.0.113.7, 10.1.2.3'), '203.0.113.7', 'a second trusted proxy is skipped');
    assert.strictEqual(resolve('127.0.0.9', ['198.51.100.1', '203.0.113.7 , 10.1.2.3']), '203.0.113.7', 'several header lines');
    assert.strictEqual(resolve('::ffff:127.0.0.9', '203.0.113.7'), '203.0.113.7', 'an IPv4-mapped peer');
    assert.strictEqual(resolve('fd00::1', '2001:db8::5'), '2001:db8::5');
    assert.strictEqual(resolve('127.0.0.9', '10.0.0.1, 10.0.0.2'), '10.0.0.1', 'all trusted: the furthest');
    assert.strictEqual(resolve('127.0.0.9', undefined), '127.0.0.9', 'no header: the proxy itself');
    assert.strictEqual(resolve('127.0.0.9', ''), '127.0.0.9');
  });

  it('from anyone else, X-Forwarded-For is ignored', () => {
    const resolve = trustingProxies(['127.0.0.9']);
    assert.strictEqual(resolve('127.0.0.2', '10.9.9.9'), '127.0.0.2');
    assert.strictEqual(resolve(undefined, '10.9.9.9'), '');
  });

  it('entries are addresses or CIDR blocks', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0']) assert.strictEqual(trustEntryProblem(ok), undefined, ok);
    for (const bad of ['proxy.local', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0/8', '']) assert.ok(trustEntryProblem(bad), bad);
    assert.throws(() => trustingProxies(['nope']), /"nope" is not an IP address/);
  });
});
