// The token schema's fields that the serializer writes without escaping (schemas.ts, UNESCAPED_FORMAT) hold only
// text the hub makes itself: ids (newId), masks (maskCandidates: both forms a token may keep) and dates (isoTime).
// None of it may ever hold a character JSON escapes, or a page would be broken JSON; and no other field is marked.
import assert from 'assert';
import fc from 'fast-check';
import { isoTime } from '../../src/core/dates';
import { ACCESS_TOKEN_PREFIX, generateToken, maskCandidates } from '../../src/core/token';
import { newId } from '../../src/hub/digest';
import { UNESCAPED_FORMAT, tokenSchema } from '../../src/hub/schemas';

const needsNoEscape = (text: string) => JSON.stringify(text) === `"${text}"`;

describe('fields written without escaping', () => {
  it('are the token id, its mask and its three dates', () => {
    const properties = (tokenSchema as unknown as { properties: Record<string, { format?: string }> }).properties;
    const marked = Object.keys(properties).filter((name) => properties[name].format === UNESCAPED_FORMAT);
    assert.deepStrictEqual(marked, ['id', 'maskedKey', 'createdAt', 'expiresAt', 'lastUsedAt']);
  });

  it('property: ids, both mask forms and every date from 1970 to 9999 need no escaping', () => {
    for (let i = 0; i < 2000; i++) {
      const id = newId('tok_');
      assert.ok(needsNoEscape(id), id);
      for (const mask of maskCandidates(generateToken(ACCESS_TOKEN_PREFIX))) assert.ok(needsNoEscape(mask), mask);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        const text = isoTime(ms);
        assert.ok(needsNoEscape(text), text);
        assert.strictEqual(text, new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });
});
