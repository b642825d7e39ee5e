import * as assert from 'assert/strict';
import { redactSecrets } from '../../src/core/redact';
import { generateToken, maskToken } from '../../src/core/token';

describe('redactSecrets', () => {
  it('replaces access tokens and account keys with their masked form', () => {
    const token = generateToken('thub_');
    const key = generateToken('thak_');
    const text = `created ${token} with key ${key}.`;
    const redacted = redactSecrets(text);
    assert.equal(redacted, `created ${maskToken(token)} with key ${maskToken(key)}.`);
    assert.ok(!redacted.includes(token.slice(9, -4)));
  });

  it('hides malformed token-like strings and bearer credentials entirely', () => {
    assert.equal(redactSecrets('thub_abcdefghijk'), 'thub_…');
    assert.equal(redactSecrets('Authorization: Bearer some-opaque-value'), 'Authorization: Bearer …');
    assert.equal(redactSecrets('nothing secret here'), 'nothing secret here');
  });
});
