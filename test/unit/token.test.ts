// The token format of the contract (src/core/token.ts), with property-based tests (fast-check).
import assert from 'assert';
import { execFileSync } from 'child_process';
import fc from 'fast-check';
import {
  ACCESS_TOKEN_PREFIX,
  ACCOUNT_KEY_PREFIX,
  BASE62_ALPHABET,
  TOKEN_LENGTH,
  checksumOf,
  crc32,
  generateToken,
  isTokenAt,
  isValidToken,
  maskCandidates,
  maskToken,
  parseToken,
  toBase62,
} from '../../src/core/token';
import { withWrongChecksum } from '../support/tokens';

const prefixArb = fc.constantFrom(ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX);
const base62Char = fc.constantFrom(...BASE62_ALPHABET.split(''));
const randomPart = fc.string({ unit: base62Char, minLength: 43, maxLength: 43 });
/** A well-formed token built from an arbitrary random part (not only CSPRNG output). */
const tokenArb = fc.tuple(prefixArb, randomPart).map(([prefix, random]) => prefix + random + checksumOf(prefix + random));

describe('token format', () => {
  it('generates prefix + 43 base62 + 6 base62 checksum characters', () => {
    for (const prefix of [ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX] as const) {
      const token = generateToken(prefix);
      assert.strictEqual(token.length, TOKEN_LENGTH);
      assert.match(token, new RegExp(`^${prefix}[0-9A-Za-z]{49}$`));
      assert.ok(isValidToken(token, prefix));
      assert.ok(!isValidToken(token, prefix === ACCESS_TOKEN_PREFIX ? ACCOUNT_KEY_PREFIX : ACCESS_TOKEN_PREFIX));
    }
  });

  it('crc32 is the zlib CRC-32', () => {
    assert.strictEqual(crc32(''), 0);
    assert.strictEqual(crc32('123456789'), 0xcbf43926);
    assert.strictEqual(crc32('The quick brown fox jumps over the lazy dog'), 0x414fa339);
  });

  it('agrees with an independent CRC-32 (Python zlib) on random bodies', function () {
    let python = true;
    try {
      execFileSync('python3', ['-c', 'print(1)']);
    } catch {
      python = false;
    }
    if (!python) this.skip();
    const bodies = fc.sample(fc.tuple(prefixArb, randomPart).map(([p, r]) => p + r), 50);
    const out = execFileSync('python3', ['-c', 'import sys, zlib\nfor line in sys.stdin.read().split():\n print(zlib.crc32(line.encode()))'], {
      input: bodies.join('\n'),
    })
      .toString()
      .trim()
      .split('\n')
      .map(Number);
    assert.deepStrictEqual(bodies.map(crc32), out);
  });

  it('generated tokens are distinct and spread over the whole alphabet', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateToken(ACCESS_TOKEN_PREFIX)));
    assert.strictEqual(tokens.size, 2000);
    const seen = new Set([...tokens].flatMap((t) => t.slice(5, 48).split('')));
    assert.strictEqual(seen.size, 62);
  });

  it('property: parse(generate/format(x)) round-trips and the mask shows prefix, first 4 and last 4', () => {
    fc.assert(
      fc.property(tokenArb, (token) => {
        const parsed = parseToken(token);
        assert.ok(parsed);
        assert.strictEqual(parsed.prefix + parsed.random + parsed.checksum, token);
        // The contract's mask: the last 4 are the secret's own last 4 (its checksum's), matched by eye in a file.
        assert.strictEqual(maskToken(token), `${parsed.prefix}${parsed.random.slice(0, 4)}…${token.slice(-4)}`);
        assert.ok(token.endsWith(maskToken(token).slice(-4)));
        assert.ok(!maskToken(token).includes(parsed.random.slice(4, -4)));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: any single-character change breaks the token', () => {
    const anyChar = fc.oneof(base62Char, fc.constantFrom('_', '-', '.', ' ', '…', 'é', '\u0000'));
    fc.assert(
      fc.property(tokenArb, fc.nat(TOKEN_LENGTH - 1), anyChar, (token, index, replacement) => {
        fc.pre(token[index] !== replacement);
        const changed = token.slice(0, index) + replacement + token.slice(index + 1);
        assert.strictEqual(parseToken(changed), null, `${changed} still parses`);
        assert.ok(!isValidToken(changed));
      }),
      { numRuns: 5000 },
    );
  });

  it("the tests' withWrongChecksum breaks a token whatever its last character", () => {
    for (const last of BASE62_ALPHABET) {
      let token = generateToken(ACCESS_TOKEN_PREFIX);
      while (token.at(-1) !== last) token = generateToken(ACCESS_TOKEN_PREFIX);
      const wrong = withWrongChecksum(token);
      assert.notStrictEqual(wrong, token);
      assert.strictEqual(wrong.length, token.length);
      assert.ok(!isValidToken(wrong), wrong);
    }
  });

  it('property: dropping, adding or swapping characters breaks the token', () => {
    fc.assert(
      fc.property(tokenArb, fc.nat(TOKEN_LENGTH - 2), base62Char, (token, i, c) => {
        assert.strictEqual(parseToken(token.slice(0, i) + token.slice(i + 1)), null);
        assert.strictEqual(parseToken(token.slice(0, i) + c + token.slice(i)), null);
        if (token[i] !== token[i + 1]) {
          assert.strictEqual(parseToken(token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2)), null);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: random strings are almost never tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), prefixArb, fc.string({ unit: base62Char, minLength: 49, maxLength: 49 }), (s, prefix, body) => {
        assert.strictEqual(parseToken(s), null);
        // A right-shaped string with a random checksum: valid with chance 1/62^6; fast-check would not find one.
        const candidate = prefix + body;
        if (parseToken(candidate)) assert.strictEqual(checksumOf(candidate.slice(0, 48)), candidate.slice(48));
      }),
      { numRuns: 2000 },
    );
  });

  it('maskCandidates gives both mask forms of a secret: today\'s (the contract\'s) first, then version 0.1\'s', () => {
    // A fixed secret, so the expected strings are written out rather than recomputed by the same code.
    const random = 'Ab12' + 'x'.repeat(35) + 'Wxyz';
    const secret = ACCESS_TOKEN_PREFIX + random + checksumOf(ACCESS_TOKEN_PREFIX + random);
    const checksum = secret.slice(-6);
    assert.deepStrictEqual(maskCandidates(secret), [`thub_Ab12…${checksum.slice(-4)}`, 'thub_Ab12…Wxyz']);
    assert.strictEqual(maskCandidates(secret)[0], maskToken(secret));
  });

  it('property: maskCandidates are distinct, include maskToken, and never show the middle of the secret', () => {
    fc.assert(
      fc.property(tokenArb, (token) => {
        const parsed = parseToken(token)!;
        const candidates = maskCandidates(token);
        assert.strictEqual(new Set(candidates).size, candidates.length);
        assert.ok(candidates.includes(maskToken(token)));
        assert.ok(candidates.includes(`${parsed.prefix}${parsed.random.slice(0, 4)}…${token.slice(-4)}`));
        assert.ok(candidates.length === 1 || candidates.length === 2);
        for (const mask of candidates) assert.ok(!mask.includes(parsed.random.slice(4, -4)));
      }),
      { numRuns: 2000 },
    );
  });

  it('maskCandidates of anything that is not a well-formed token is empty', () => {
    assert.deepStrictEqual(maskCandidates('thub_notatoken'), []);
    assert.deepStrictEqual(maskCandidates(''), []);
    assert.deepStrictEqual(maskCandidates(generateToken(ACCESS_TOKEN_PREFIX).slice(0, -1) + '!'), []);
  });

  it('masks unrecognised input without echoing it', () => {
    assert.strictEqual(maskToken('thub_notatoken'), 'thub_…');
    assert.strictEqual(maskToken('password123'), '…');
    assert.strictEqual(parseToken(undefined as unknown as string), null);
  });

  it('toBase62 is fixed-width and refuses values that do not fit', () => {
    assert.strictEqual(toBase62(0n, 3), '000');
    assert.strictEqual(toBase62(61n, 2), '0z');
    assert.strictEqual(toBase62(62n, 2), '10');
    assert.throws(() => toBase62(62n ** 3n, 3), RangeError);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 62n ** 6n - 1n }), (n) => {
        const text = toBase62(n, 6);
        assert.strictEqual(text.length, 6);
        const back = [...text].reduce((acc, ch) => acc * 62n + BigInt(BASE62_ALPHABET.indexOf(ch)), 0n);
        assert.strictEqual(back, n);
      }),
    );
  });
});

/** The contract's definition, written the slow way (a regular expression and checksumOf's BigInt base62). */
function contractValid(candidate: string, prefix?: string): boolean {
  const match = /^(thub_|thak_)([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/.exec(candidate);
  return match !== null && (prefix === undefined || match[1] === prefix) && checksumOf(match[1] + match[2]) === match[3];
}

describe('the in-place token check (isTokenAt), used by the invoke path and the scanner', () => {
  it('property: isValidToken and isTokenAt agree with the contract on tokens, mutated tokens and random strings', () => {
    const mutated = fc.tuple(tokenArb, fc.nat(TOKEN_LENGTH - 1), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })).map(
      ([t, i, c]) => t.slice(0, i) + c + t.slice(i + 1),
    );
    const candidates = fc.oneof(tokenArb, mutated, fc.string({ maxLength: 60, unit: 'binary' }), prefixArb.map((p) => p + 'x'.repeat(49)));
    const around = fc.string({ maxLength: 8, unit: 'binary' });
    fc.assert(
      fc.property(candidates, fc.option(prefixArb, { nil: undefined }), around, around, (candidate, prefix, before, after) => {
        const expected = contractValid(candidate, prefix);
        assert.strictEqual(isValidToken(candidate, prefix), expected, candidate);
        assert.strictEqual(isTokenAt(before + candidate + after, before.length, prefix), expected && candidate.length === TOKEN_LENGTH, candidate);
      }),
      { numRuns: 20_000 },
    );
  });
});
