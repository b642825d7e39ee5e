import * as assert from 'assert';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, BASE62_ALPHABET, SERVICE_KEY_PREFIX, checksumOf, generateToken } from '../../src/core/token';
import { TokenFinding, benchmarkScan, exposedFindings, pseudoRandomBase64, scanText } from '../../src/core/scanner';
import { withWrongChecksum } from '../support/tokens';

const access = generateToken(ACCESS_TOKEN_PREFIX);
const access2 = generateToken(ACCESS_TOKEN_PREFIX);
const account = generateToken(ACCOUNT_KEY_PREFIX);

function only(findings: TokenFinding[]): TokenFinding {
  assert.strictEqual(findings.length, 1, `expected one finding, got ${findings.length}`);
  return findings[0];
}

/** Deterministic base62 characters (xorshift32). */
function pseudoRandomBase62(length: number, seed: number): string {
  const alphabet = Buffer.from(BASE62_ALPHABET, 'latin1');
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = alphabet[state % 62];
  }
  return out.toString('latin1');
}

describe('scanner: scanText', () => {
  it('finds a valid access token and a valid account key, with kind, position and length', () => {
    assert.deepStrictEqual(scanText(access), [{ token: access, kind: 'access', index: 0, line: 0, column: 0, length: 54 }]);
    assert.deepStrictEqual(scanText(`key ${account}`), [
      { token: account, kind: 'account', index: 4, line: 0, column: 4, length: 54 },
    ]);
  });

  it('finds a service key as a service key, not as an access token', () => {
    const serviceKey = generateToken(SERVICE_KEY_PREFIX);
    assert.deepStrictEqual(scanText(`VERIFY_KEY=${serviceKey}`), [
      { token: serviceKey, kind: 'service', index: 11, line: 0, column: 11, length: 54 },
    ]);
    assert.deepStrictEqual(scanText(withWrongChecksum(serviceKey)), []);
  });

  it('ignores a wrong checksum', () => {
    assert.deepStrictEqual(scanText(withWrongChecksum(access)), []);
    assert.deepStrictEqual(scanText(`TOKEN=${withWrongChecksum(account)}\n`), []);
  });

  it('ignores a wrong prefix, even with a checksum right for that prefix', () => {
    const random = access.slice(5, 48);
    for (const prefix of ['thuc_', 'thax_', 'THUB_', 'tHub_', 'thub-', 'tkub_']) {
      const body = prefix + random;
      assert.deepStrictEqual(scanText(body + checksumOf(body)), [], prefix);
    }
  });

  it('ignores truncated tokens and tokens with an extra character', () => {
    assert.deepStrictEqual(scanText(access.slice(0, 53)), []);
    assert.deepStrictEqual(scanText(`"${access.slice(0, 53)}"`), []);
    assert.deepStrictEqual(scanText(`${access}a`), []);
    assert.deepStrictEqual(scanText(`${access}0`), []);
    assert.deepStrictEqual(scanText(`x${access}`), []);
    assert.deepStrictEqual(scanText(`9${access}`), []);
  });

  it('a token inside a longer base62 run is not a match', () => {
    const run = `${pseudoRandomBase62(500, 7)}${access}${pseudoRandomBase62(500, 8)}`;
    assert.deepStrictEqual(scanText(run), []);
    assert.deepStrictEqual(scanText(`${pseudoRandomBase62(3, 1)}${access}`), []);
  });

  it('non-base62 characters bound a token: punctuation, _, -, +, /, =, non-ASCII', () => {
    for (const [before, after] of [
      ['_', '_'],
      ['-', '-'],
      ['+', '/'],
      ['=', '=='],
      ['é', 'ü'],
      ['\t', '\0'],
      ['.', '.'],
    ]) {
      const text = `${before}${access}${after}`;
      assert.strictEqual(only(scanText(text)).index, before.length, JSON.stringify(before));
    }
  });

  it('finds tokens in JSON strings', () => {
    const json = JSON.stringify({ name: 'ci', secret: access, nested: { keys: [account] } }, null, 2);
    const findings = scanText(json);
    assert.deepStrictEqual(
      findings.map((f) => [f.token, f.index]),
      [
        [access, json.indexOf(access)],
        [account, json.indexOf(account)],
      ],
    );
    assert.deepStrictEqual(
      findings.map((f) => [f.line, f.column]),
      [
        [2, json.split('\n')[2].indexOf(access)],
        [5, json.split('\n')[5].indexOf(account)],
      ],
    );
  });

  it('finds tokens in URLs, quoted strings and after Bearer', () => {
    const url = `https://api.example.com/v1/invoke?token=${access}&x=1`;
    assert.strictEqual(only(scanText(url)).index, url.indexOf(access));
    const fragment = `https://h/#access_token=${access}`;
    assert.strictEqual(only(scanText(fragment)).token, access);
    for (const quoted of [`'${access}'`, `"${access}"`, `\`${access}\``, `(${access})`, `<${access}>`]) {
      assert.strictEqual(only(scanText(quoted)).index, 1, quoted);
    }
    const header = `curl -H "Authorization: Bearer ${account}" https://hub`;
    assert.strictEqual(only(scanText(header)).kind, 'account');
  });

  it('finds many tokens on one line with their columns', () => {
    const line = `${access},${account};${access2} ${withWrongChecksum(access)} "${access}"`;
    const findings = scanText(line);
    assert.deepStrictEqual(
      findings.map((f) => [f.token, f.line, f.column]),
      [
        [access, 0, 0],
        [account, 0, 55],
        [access2, 0, 110],
        [access, 0, 221],
      ],
    );
  });

  it('counts lines across LF, CRLF and lone CR line ends', () => {
    const text = `first\r\nsecond ${access}\rthird\n\n  ${account}\r\n\r\n\r${access2}`;
    assert.deepStrictEqual(
      scanText(text).map((f) => [f.token, f.line, f.column, f.index]),
      [
        [access, 1, 7, text.indexOf(access)],
        [account, 4, 2, text.indexOf(account)],
        [access2, 7, 0, text.indexOf(access2)],
      ],
    );
  });

  it('line and column agree with a naive count for many tokens in mixed line ends', () => {
    const ends = ['\n', '\r\n', '\r'];
    let text = '';
    for (let i = 0; i < 300; i++) {
      text += `${'x'.repeat(i % 7)} ${i % 3 === 0 ? account : access}${ends[i % 3]}${ends[(i * 7) % 3].repeat(i % 2)}`;
    }
    const findings = scanText(text);
    assert.strictEqual(findings.length, 300);
    for (const finding of findings) {
      const before = text.slice(0, finding.index);
      const lines = before.split(/\r\n|\r|\n/);
      assert.strictEqual(finding.line, lines.length - 1);
      assert.strictEqual(finding.column, lines[lines.length - 1].length);
    }
  });

  it('columns count UTF-16 code units, as editors do', () => {
    const text = `😀é ${access}`;
    assert.strictEqual(only(scanText(text)).column, 4);
  });

  it('is repeatable (the shared global pattern is reset)', () => {
    const text = `a ${access} b ${account}`;
    assert.deepStrictEqual(scanText(text), scanText(text));
    assert.strictEqual(scanText(text).length, 2);
  });

  it('finds nothing in empty text or text without candidates', () => {
    assert.deepStrictEqual(scanText(''), []);
    assert.deepStrictEqual(scanText('thub_ thak_ thub_short'), []);
  });

  it('10 MB of random base64 (and of base64url, which has `_`) yields no findings', function () {
    this.timeout(30_000);
    assert.deepStrictEqual(scanText(pseudoRandomBase64(10 * 1024 * 1024)), []);
    assert.deepStrictEqual(scanText(pseudoRandomBase64(10 * 1024 * 1024, [], 42, true)), []);
  });

  it('the benchmark input holds exactly the planted tokens, each on its own line', () => {
    const planted = [access, account, access2];
    const text = pseudoRandomBase64(100_000, planted);
    const findings = scanText(text);
    assert.deepStrictEqual(
      findings.map((f) => f.token),
      planted,
    );
    for (const f of findings) assert.strictEqual(f.column, 0);
  });

  it('200,000 random token-shaped candidates with random checksums yield no findings', function () {
    this.timeout(30_000);
    const body = pseudoRandomBase62(200_000 * 49, 12345);
    const parts: string[] = [];
    for (let i = 0; i < 200_000; i++) parts.push(`${i % 2 ? 'thub_' : 'thak_'}${body.slice(i * 49, i * 49 + 49)}`);
    const text = parts.join(' ');
    assert.deepStrictEqual(scanText(text), []);
    // The same text with one real token in the middle: exactly that one.
    const withOne = `${parts.slice(0, 1000).join(' ')} ${access} ${parts.slice(1000, 2000).join('\n')}`;
    assert.strictEqual(only(scanText(withOne)).token, access);
  });

  it('speed: prints the time to scan 10 MB (not asserted)', function () {
    this.timeout(60_000);
    const planted = Array.from({ length: 100 }, (_, i) => generateToken(i % 2 ? ACCESS_TOKEN_PREFIX : ACCOUNT_KEY_PREFIX));
    scanText(pseudoRandomBase64(1024 * 1024)); // warm up
    const result = benchmarkScan(10 * 1024 * 1024, planted);
    assert.strictEqual(result.findings, 100);
    console.log(`      scanText: ${(result.bytes / 1024 / 1024).toFixed(1)} MB in ${result.milliseconds.toFixed(1)} ms`);
  });
});

describe('exposedFindings (the tokenhub-ignore rule)', () => {
  const token = generateToken(ACCESS_TOKEN_PREFIX);
  const names = (text: string) => exposedFindings(text).map((finding) => finding.line);

  it('silences a token on a marked line or right below a marker, across line endings', () => {
    assert.deepStrictEqual(names(`a = "${token}" // tokenhub-ignore\n`), []);
    assert.deepStrictEqual(names(`# tokenhub-ignore\r\nb = "${token}"\r\n`), []);
    assert.deepStrictEqual(names(`// tokenhub-ignore\rc = "${token}"`), []);
  });

  it('reports a token two lines below a marker, or with no marker at all', () => {
    assert.deepStrictEqual(names(`// tokenhub-ignore\n\nd = "${token}"\n`), [2]);
    assert.deepStrictEqual(names(`e = "${token}"\n`), [0]);
  });
});
