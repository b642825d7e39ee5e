// Property tests of the .env editor: random files built from lines of every kind, random edits.
import * as assert from 'assert';
import * as fc from 'fast-check';
import { parse as dotenvParse } from 'dotenv';
import { EnvEditError, findEnvVariable, listEnvEntries, quoteEnvValue, setEnvVariable, verifyEnvEdit } from '../../src/core/env';

function linesWithEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

const NAMES = ['TOKEN', 'A', 'DB_URL', '_x1', 'TOKENHUB_TOKEN', 'B'];

const plainChar = fc.constantFrom(...'abcXYZ019_-./:@+%,'.split(''), 'é', '✓');
const textChar = fc.constantFrom(...'ab Z9 _-#=:$\\'.split(''), 'é', '😀', '\t');
const plainValue = fc.array(plainChar, { maxLength: 12 }).map((chars) => chars.join(''));
const quotedContent = (quote: string, multiLine: boolean) =>
  fc
    .array(fc.oneof(textChar, fc.constantFrom(...`'"\``.split('').filter((q) => q !== quote)), multiLine ? fc.constant('\n') : textChar), {
      maxLength: 14,
    })
    // A backslash right before the closing quote would escape it; dotenv files in the wild do not do that.
    .map((chars) => chars.join('').replace(/\\+$/, ''));

const spacing = fc.constantFrom('', ' ', '  ', '\t');
const inlineComment = fc.option(
  fc.tuple(fc.constantFrom(' ', '  ', '\t'), fc.array(textChar, { maxLength: 8 })).map(([space, chars]) => `${space}# ${chars.join('')}`),
  { nil: '' },
);

const assignment = fc
  .record({
    exported: fc.boolean(),
    indent: fc.constantFrom('', '', ' '),
    name: fc.constantFrom(...NAMES),
    before: spacing,
    after: spacing,
    colon: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    value: fc.oneof(
      plainValue,
      fc.constantFrom(`'`, `"`, '`').chain((quote) =>
        fc.tuple(fc.boolean(), fc.constant(quote)).chain(([multi, q]) => quotedContent(q, multi).map((content) => `${q}${content}${q}`)),
      ),
    ),
    comment: inlineComment,
    trailing: fc.constantFrom('', '', ' '),
  })
  .map(({ exported, indent, name, before, after, colon, value, comment, trailing }) => {
    const separator = colon ? `: ${after}` : `${before}=${after}`;
    // An inline comment right after an unquoted value needs a space before `#`, which `inlineComment` gives.
    return `${indent}${exported ? 'export ' : ''}${name}${separator}${value}${comment || trailing}`;
  });

const comment = fc
  .tuple(fc.constantFrom('#', '# ', '  #'), fc.array(fc.oneof(textChar, fc.constantFrom('=', 'TOKEN=x', "'", '"')), { maxLength: 10 }))
  .map(([hash, chars]) => `${hash}${chars.join('')}`);
const blank = fc.constantFrom('', '   ', '\t');

const envFile = fc
  .record({
    lines: fc.array(fc.oneof({ weight: 5, arbitrary: assignment }, { weight: 2, arbitrary: comment }, { weight: 1, arbitrary: blank }), {
      maxLength: 12,
    }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    finalNewline: fc.boolean(),
    bom: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  })
  .map(({ lines, eol, finalNewline, bom }) => {
    // Multi-line values were generated with LF inside; the file's line end applies to them too.
    const body = lines.join('\n').replace(/\n/g, eol);
    return `${bom ? '\uFEFF' : ''}${body}${finalNewline && lines.length > 0 ? eol : ''}`;
  });

const newValue = fc.oneof(
  { weight: 3, arbitrary: plainValue },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(textChar, fc.constantFrom("'", '"', '`', '\n', '\r', '\\n', ' ', '\u2028', '~', '#', '=')), { maxLength: 16 })
      .map((chars) => chars.join('')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** An independent statement of which values a .env file can hold so that dotenv reads them back unchanged. */
function representable(value: string): boolean {
  const hasCr = value.includes('\r');
  const literalQuote = !value.includes("'") || !value.includes('`');
  const doubleQuotes = !value.includes('"') && !/\\[nr]/.test(value);
  // Else bare, when both of dotenv's parsers read it back exactly (a value holding all three quote characters).
  const bare = value !== '' && !/^['"`]/.test(value) && dotenvParse(`K=${value}\n`).K === value && dotenvParse(`K=${value}\n`, { fast: true }).K === value;
  return (!hasCr && literalQuote) || doubleQuotes || bare;
}

// Arbitrary text made of the characters and fragments dotenv's grammar cares about.
const noise = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('\nA=', '\nB =', '\n export A=', '\nB: ', "\nA='", '\nB="', '\nA=`', '\n#') },
      {
        weight: 5,
        arbitrary: fc.constantFrom(...'AB=: \t#\'"`\\\nx_.-'.split(''), '\r', '\r\n', 'export ', '\uFEFF', '\u2028', ' # c', 'é', '\\n'),
      },
    ),
    { maxLength: 40 },
  )
  .map((chars) => chars.join(''));

const RUNS = Number(process.env.ENV_PROPERTY_RUNS ?? 3000);

describe('env: properties', function () {
  this.timeout(60_000);

  it('the entries found are exactly what dotenv reads (random realistic files)', () => {
    fc.assert(
      fc.property(envFile, (text) => {
        const effective: Record<string, string> = {};
        for (const entry of listEnvEntries(text)) effective[entry.name] = entry.value;
        assert.deepStrictEqual(effective, { ...dotenvParse(text) });
      }),
      { numRuns: RUNS },
    );
  });

  it('the entries found are exactly what dotenv reads (random text)', () => {
    fc.assert(
      fc.property(noise, (text) => {
        const effective: Record<string, string> = {};
        for (const entry of listEnvEntries(text)) effective[entry.name] = entry.value;
        assert.deepStrictEqual(effective, { ...dotenvParse(text) });
      }),
      { numRuns: RUNS },
    );
  });

  it('every edit reads back as intended and leaves every other line byte-identical', () => {
    fc.assert(
      fc.property(envFile, fc.constantFrom(...NAMES, 'NEW_VAR'), newValue, (before, name, value) => {
        let result;
        try {
          result = setEnvVariable(before, name, value, { replace: true });
        } catch (error) {
          assert.ok(error instanceof EnvEditError, String(error));
          if (error.code === 'verification_failed') {
            // The one context-dependent case: a value ending in a backslash must be quoted, and `\'` (`\"`, `\``)
            // then reads as an escaped quote, so a later line ending in that quote would be swallowed. The edit
            // is refused rather than written wrong.
            assert.ok(value.endsWith('\\'), `verification failed for a value not ending in a backslash`);
            assert.strictEqual(setEnvVariable('', name, value).action, 'appended');
            return;
          }
          assert.strictEqual(error.code, 'unrepresentable_value', `${error.code}: ${error.message}`);
          assert.strictEqual(representable(value), false);
          return;
        }
        assert.ok(representable(value), 'an unrepresentable value was written');
        const after = result.text;
        for (const fast of [false, true]) {
          const was = dotenvParse(before, { fast });
          const now = dotenvParse(after, { fast });
          assert.strictEqual(now[name], value);
          assert.deepStrictEqual({ ...now, [name]: undefined }, { ...was, [name]: undefined });
        }
        const existing = findEnvVariable(before, name);
        const wasLines = linesWithEnds(before);
        const nowLines = linesWithEnds(after);
        if (!existing) {
          assert.strictEqual(result.action, 'appended');
          assert.ok(after.startsWith(before));
          assert.ok(nowLines[result.line].replace(/^\uFEFF/, '').replace(/^export /, '').startsWith(`${name}=`));
          assert.ok(!after.slice(before.length).replace(/^(\r\n|\r|\n)/, '').startsWith('\n'));
        } else {
          const last = existing.occurrences[existing.occurrences.length - 1];
          if (last.value === value) {
            assert.strictEqual(result.action, 'unchanged');
            assert.strictEqual(after, before);
          } else {
            assert.strictEqual(result.action, 'replaced');
          }
          assert.deepStrictEqual(nowLines.slice(0, last.line), wasLines.slice(0, last.line));
          const tail = wasLines.slice(last.endLine + 1);
          assert.deepStrictEqual(nowLines.slice(nowLines.length - tail.length), tail);
          // The text before the old value on its first line (indent, export, name, spacing) is kept.
          const keptPrefix = wasLines[last.line].match(/^[^=:]*[=:]/)![0];
          assert.ok(nowLines[last.line].startsWith(keptPrefix));
          assert.deepStrictEqual(
            result.duplicateLines,
            existing.occurrences.slice(0, -1).map((entry) => entry.line),
          );
        }
        if (before.startsWith('\uFEFF')) assert.ok(after.startsWith('\uFEFF'));
        // Idempotent.
        assert.strictEqual(setEnvVariable(after, name, value).action, 'unchanged');
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary text an edit either reads back exactly, lines outside the entry untouched, or is refused', () => {
    let refused = 0;
    fc.assert(
      fc.property(noise, fc.constantFrom('A', 'B', 'C'), newValue, (before, name, value) => {
        let result;
        try {
          result = setEnvVariable(before, name, value, { replace: true });
        } catch (error) {
          assert.ok(error instanceof EnvEditError, String(error));
          refused++;
          return;
        }
        assert.ok(verifyEnvEdit(before, result.text, name, value).ok);
        const existing = findEnvVariable(before, name);
        if (existing && result.action !== 'appended') {
          const last = existing.occurrences[existing.occurrences.length - 1];
          const wasLines = linesWithEnds(before);
          const nowLines = linesWithEnds(result.text);
          assert.deepStrictEqual(nowLines.slice(0, last.line), wasLines.slice(0, last.line));
          const tail = wasLines.slice(last.endLine + 1);
          assert.deepStrictEqual(nowLines.slice(nowLines.length - tail.length), tail);
        } else {
          assert.ok(result.text.startsWith(before));
        }
      }),
      { numRuns: RUNS },
    );
    // Refusals are the exception even on such text.
    assert.ok(refused < RUNS / 4, `${refused} refusals`);
  });

  it('quoteEnvValue writes what dotenv reads back, or refuses exactly the unrepresentable values', () => {
    fc.assert(
      fc.property(newValue, (value) => {
        let written: string;
        try {
          written = quoteEnvValue(value);
        } catch {
          assert.strictEqual(representable(value), false);
          return;
        }
        assert.ok(representable(value));
        assert.strictEqual(dotenvParse(`K=${written}\n`).K, value);
        assert.strictEqual(dotenvParse(`K=${written}\n`, { fast: true }).K, value);
      }),
      { numRuns: RUNS },
    );
  });
});
