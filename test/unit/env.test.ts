import * as assert from 'assert';
import { parse as dotenvParse } from 'dotenv';
import {
  EnvEditError,
  detectLineEnding,
  findEnvVariable,
  findSecretInEnv,
  listEnvEntries,
  parseEnv,
  quoteEnvValue,
  replaceSecretInEnv,
  setEnvVariable,
  verifyEnvChanges,
  verifyEnvEdit,
} from '../../src/core/env';

/** Lines with their own line ends (LF, CRLF, CR), as the bytes of the file hold them. */
function linesWithEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/** Every line outside [first, last] of `before` is in `after`, byte for byte and in order (before and after the edit). */
function assertUntouchedLines(before: string, after: string, first: number, last: number): void {
  const was = linesWithEnds(before);
  const now = linesWithEnds(after);
  assert.deepStrictEqual(now.slice(0, first), was.slice(0, first), 'lines before the edited entry changed');
  const tail = was.slice(last + 1);
  assert.deepStrictEqual(now.slice(now.length - tail.length), tail, 'lines after the edited entry changed');
}

interface Case {
  title: string;
  before: string;
  name?: string;
  value: string;
  replace?: boolean;
  after: string;
  action: 'appended' | 'replaced' | 'unchanged';
  line: number;
  duplicateLines?: number[];
}

const cases: Case[] = [
  { title: 'empty file', before: '', value: 'v1', after: 'TOKEN=v1\n', action: 'appended', line: 0 },
  { title: 'only a BOM', before: '\uFEFF', value: 'v1', after: '\uFEFFTOKEN=v1\n', action: 'appended', line: 0 },
  { title: 'only comments', before: '# a\n# b\n', value: 'v1', after: '# a\n# b\nTOKEN=v1\n', action: 'appended', line: 2 },
  { title: 'only a comment, no final newline', before: '# a', value: 'v1', after: '# a\nTOKEN=v1\n', action: 'appended', line: 1 },
  { title: 'only blank lines', before: '\n\n', value: 'v1', after: '\n\nTOKEN=v1\n', action: 'appended', line: 2 },
  {
    title: 'CRLF without a final newline',
    before: 'A=1\r\nB=2',
    value: 'v1',
    after: 'A=1\r\nB=2\r\nTOKEN=v1\r\n',
    action: 'appended',
    line: 2,
  },
  {
    title: 'CRLF, replace in place',
    before: 'A=1\r\nTOKEN=old\r\nB=2\r\n',
    value: 'v1',
    after: 'A=1\r\nTOKEN=v1\r\nB=2\r\n',
    action: 'replaced',
    line: 1,
  },
  {
    title: 'mixed line ends: the dominant one (CRLF) is used',
    before: 'A=1\r\nB=2\r\nC=3\n',
    value: 'v1',
    after: 'A=1\r\nB=2\r\nC=3\nTOKEN=v1\r\n',
    action: 'appended',
    line: 3,
  },
  { title: 'lone CR line ends', before: 'A=1\rB=2\r', value: 'v1', after: 'A=1\rB=2\rTOKEN=v1\r', action: 'appended', line: 2 },
  {
    title: 'duplicates: the last one (the one dotenv uses) is replaced, the others left',
    before: 'TOKEN=first\nA=1\nTOKEN=second\nB=2\n',
    value: 'v1',
    after: 'TOKEN=first\nA=1\nTOKEN=v1\nB=2\n',
    action: 'replaced',
    line: 2,
    duplicateLines: [0],
  },
  {
    title: 'single-quoted value becomes unquoted when it can',
    before: "TOKEN='old value'\n",
    value: 'v1',
    after: 'TOKEN=v1\n',
    action: 'replaced',
    line: 0,
  },
  {
    title: 'double-quoted value with an inline comment keeps the comment',
    before: 'TOKEN="old" # the token\n',
    value: 'v1',
    after: 'TOKEN=v1 # the token\n',
    action: 'replaced',
    line: 0,
  },
  { title: 'backtick-quoted value', before: 'TOKEN=`old`\nA=1\n', value: 'v1', after: 'TOKEN=v1\nA=1\n', action: 'replaced', line: 0 },
  { title: 'export prefix is kept', before: 'export TOKEN=old\n', value: 'v1', after: 'export TOKEN=v1\n', action: 'replaced', line: 0 },
  {
    title: 'whitespace around = and after the value is kept',
    before: 'export  TOKEN \t=  old  \nA=1\n',
    value: 'v1',
    after: 'export  TOKEN \t=  v1  \nA=1\n',
    action: 'replaced',
    line: 0,
  },
  {
    title: 'spaces around =, value needing quotes',
    before: 'TOKEN = old\n',
    value: 'a b#c',
    after: "TOKEN = 'a b#c'\n",
    action: 'replaced',
    line: 0,
  },
  {
    title: 'unquoted value with inline comment',
    before: 'TOKEN=old # keep me\nB=2\n',
    value: 'thub_x',
    after: 'TOKEN=thub_x # keep me\nB=2\n',
    action: 'replaced',
    line: 0,
  },
  {
    title: 'unicode around and in the value',
    before: '# café ☕\nNAME=Zoë\nTOKEN=old\n',
    value: 'naïve-✓-😀',
    after: '# café ☕\nNAME=Zoë\nTOKEN=naïve-✓-😀\n',
    action: 'replaced',
    line: 2,
  },
  {
    title: 'BOM before the variable on the first line',
    before: '\uFEFFTOKEN=old\nA=1\n',
    value: 'v1',
    after: '\uFEFFTOKEN=v1\nA=1\n',
    action: 'replaced',
    line: 0,
  },
  { title: 'BOM, append', before: '\uFEFFA=1', value: 'v1', after: '\uFEFFA=1\nTOKEN=v1\n', action: 'appended', line: 1 },
  {
    title: "another variable's multi-line value holding TOKEN= is not a variable",
    before: 'CERT="-----BEGIN-----\nTOKEN=fake\n-----END-----"\nA=1\n',
    value: 'v1',
    after: 'CERT="-----BEGIN-----\nTOKEN=fake\n-----END-----"\nA=1\nTOKEN=v1\n',
    action: 'appended',
    line: 4,
  },
  {
    title: 'multi-line value replaced as a whole',
    before: "A=1\nTOKEN='line1\nline2'\nB=2\n",
    value: 'v1',
    after: 'A=1\nTOKEN=v1\nB=2\n',
    action: 'replaced',
    line: 1,
  },
  {
    title: '= in other values and in the new value',
    before: 'URL=postgres://u:p@h/db?x=1\nTOKEN=old\n',
    value: 'a=b',
    after: "URL=postgres://u:p@h/db?x=1\nTOKEN='a=b'\n",
    action: 'replaced',
    line: 1,
  },
  { title: 'single quote in the value: double quotes', before: 'A=1\n', value: "it's", after: 'A=1\nTOKEN="it\'s"\n', action: 'appended', line: 1 },
  {
    title: 'both quote kinds in the value: backticks',
    before: 'A=1\n',
    value: `it's "x"`,
    after: 'A=1\nTOKEN=`it\'s "x"`\n',
    action: 'appended',
    line: 1,
  },
  {
    title: 'line break in the value of a CRLF file',
    before: 'A=1\r\n',
    value: 'l1\nl2',
    after: "A=1\r\nTOKEN='l1\r\nl2'\r\n",
    action: 'appended',
    line: 1,
  },
  {
    title: 'line break and a single quote: double quotes with \\n',
    before: '',
    value: "it's\nx",
    after: 'TOKEN="it\'s\\nx"\n',
    action: 'appended',
    line: 0,
  },
  {
    title: 'both quote kinds and a line break: backticks',
    before: '',
    value: `a'b"c\nd`,
    after: 'TOKEN=`a\'b"c\nd`\n',
    action: 'appended',
    line: 0,
  },
  { title: 'empty value', before: 'TOKEN=old\n', value: '', after: 'TOKEN=\n', action: 'replaced', line: 0 },
  { title: 'no final newline, replace', before: 'A=1\nTOKEN=old', value: 'v1', after: 'A=1\nTOKEN=v1', action: 'replaced', line: 1 },
  { title: 'KEY: value style', before: 'TOKEN: old\n', value: 'v1', after: 'TOKEN: v1\n', action: 'replaced', line: 0 },
  {
    title: 'empty value with a comment',
    before: 'TOKEN= # fill me\n',
    value: 'v1',
    after: 'TOKEN=v1 # fill me\n',
    action: 'replaced',
    line: 0,
  },
  {
    title: 'empty value with a comment, spaces around =',
    before: 'TOKEN =   # fill me\n',
    value: 'v1',
    after: 'TOKEN = v1  # fill me\n',
    action: 'replaced',
    line: 0,
  },
  { title: 'empty value, KEY: style', before: 'TOKEN: \n', value: 'v1', after: 'TOKEN: v1\n', action: 'replaced', line: 0 },
  { title: 'empty value, spaces before =', before: 'TOKEN = \n', value: 'v1', after: 'TOKEN = v1\n', action: 'replaced', line: 0 },
  { title: 'dollar sign: single quotes', before: '', value: '$HOME/x', after: "TOKEN='$HOME/x'\n", action: 'appended', line: 0 },
  { title: 'backslash: single quotes', before: '', value: 'a\\nb', after: "TOKEN='a\\nb'\n", action: 'appended', line: 0 },
  {
    title: 'commented-out assignment is not an occurrence',
    before: '# TOKEN=old\n',
    value: 'v1',
    after: '# TOKEN=old\nTOKEN=v1\n',
    action: 'appended',
    line: 1,
  },
  { title: 'indented assignment', before: '  TOKEN=old\n', value: 'v1', after: '  TOKEN=v1\n', action: 'replaced', line: 0 },
  { title: 'same value: unchanged', before: 'A=1\nTOKEN=v1\n', value: 'v1', after: 'A=1\nTOKEN=v1\n', action: 'unchanged', line: 1 },
  {
    title: 'all variables exported: the new one too',
    before: 'export A=1\nexport B=2\n',
    value: 'v1',
    after: 'export A=1\nexport B=2\nexport TOKEN=v1\n',
    action: 'appended',
    line: 2,
  },
  {
    title: 'carriage return in the value: double quotes with \\r',
    before: '',
    value: 'a\r\nb',
    after: 'TOKEN="a\\r\\nb"\n',
    action: 'appended',
    line: 0,
  },
  {
    title: 'file ending inside an unclosed quote',
    before: 'A="unclosed',
    value: 'x y',
    after: "A=\"unclosed\nTOKEN='x y'\n",
    action: 'appended',
    line: 1,
  },
];

describe('env: setEnvVariable on nasty files', () => {
  for (const c of cases) {
    it(c.title, () => {
      const name = c.name ?? 'TOKEN';
      const result = setEnvVariable(c.before, name, c.value, { replace: c.replace ?? true });
      assert.strictEqual(result.text, c.after);
      assert.strictEqual(result.action, c.action);
      assert.strictEqual(result.line, c.line);
      assert.deepStrictEqual(result.duplicateLines, c.duplicateLines ?? []);
      // dotenv reads exactly the intended value, and the same for everything else.
      assert.strictEqual(dotenvParse(result.text)[name], c.value);
      assert.strictEqual(dotenvParse(result.text, { fast: true })[name], c.value);
      assert.deepStrictEqual(verifyEnvEdit(c.before, result.text, name, c.value), { ok: true, problems: [] });
      // Untouched lines are byte-identical.
      const existing = findEnvVariable(c.before, name);
      if (c.action === 'appended') {
        assert.strictEqual(existing, undefined);
        assert.ok(result.text.startsWith(c.before));
      } else {
        const last = existing!.occurrences[existing!.occurrences.length - 1];
        assert.strictEqual(result.existingLine, last.line);
        assertUntouchedLines(c.before, result.text, last.line, last.endLine);
      }
      // Setting it again changes nothing.
      const again = setEnvVariable(result.text, name, c.value);
      assert.strictEqual(again.action, 'unchanged');
      assert.strictEqual(again.text, result.text);
    });
  }
});

describe('env: refusals', () => {
  it('refuses to replace without replace: true, naming every line', () => {
    const text = 'TOKEN=a\nB=1\nTOKEN=b\n';
    assert.throws(
      () => setEnvVariable(text, 'TOKEN', 'c'),
      (error: unknown) =>
        error instanceof EnvEditError &&
        error.code === 'variable_exists' &&
        JSON.stringify(error.lines) === '[0,2]' &&
        error.message === 'TOKEN is already set on line 3; confirm to replace its value.',
    );
  });

  it('refuses invalid names with the validation sentence', () => {
    for (const name of ['', '1ABC', 'A-B', 'A B', 'A=B']) {
      assert.throws(
        () => setEnvVariable('', name, 'x'),
        (error: unknown) => error instanceof EnvEditError && error.code === 'invalid_name',
      );
    }
  });

  it('refuses values no quoting can hold, with a sentence and without echoing the value', () => {
    for (const value of ["a'b\"c`d\ne", "a'b\"c`d #x", "'a'b\"c`d", 'cr\rand"quote', 'cr\rand\\n']) {
      assert.throws(
        () => setEnvVariable('A=1\n', 'TOKEN', value),
        (error: unknown) =>
          error instanceof EnvEditError &&
          error.code === 'unrepresentable_value' &&
          /^The value contains .*\.$/.test(error.message) &&
          !error.message.includes(value),
      );
    }
  });

  it('writes a value holding all three quote characters bare when dotenv reads it back exactly', () => {
    for (const value of ["a'b\"c`d", "a'b\"c`d\\n", "x=\"y\" 'z' `w`"]) {
      const { text } = setEnvVariable('A=1\n', 'TOKEN', value);
      assert.equal(text, `A=1\nTOKEN=${value}\n`);
      assert.equal(parseEnv(text).TOKEN, value);
      assert.equal(parseEnv(text, { fast: true }).TOKEN, value);
    }
  });

  it('names the real reason when no writing of the value reads back', () => {
    const reason = (value: string) => {
      try {
        setEnvVariable('', 'TOKEN', value);
      } catch (error) {
        return (error as Error).message;
      }
      return 'written';
    };
    assert.match(reason("a'b\"c`d\ne"), /single quotes, double quotes and backticks.*because it spans lines/);
    assert.match(reason("a'b\"c`d #x"), /because it contains #, which starts a comment/);
    assert.match(reason("'a'b\"c`d"), /because it starts with a quote/);
    assert.match(reason("a'b`c\\n #"), /single quotes and backticks, and the text \\n or \\r/);
    assert.match(reason('cr\rand"quote'), /carriage return.*and also a double quote/);
    for (const message of [reason("a'b\"c`d\ne"), reason('cr\rand"quote')]) assert.doesNotMatch(message, /backslash followed by/);
  });

  it('refuses when the only possible quotings would change how dotenv reads a later line', () => {
    // Later lines end with a lone quote of each kind. A value ending in a backslash, quoted, ends in `\'` (or
    // `\"`, `\``), which dotenv reads as an escaped quote, so the value would run on to that later quote.
    const text = "TOKEN=old\nB=x'\nC=y\"\nD=z`\n";
    assert.throws(
      () => setEnvVariable(text, 'TOKEN', 'ends with \\', { replace: true }),
      (error: unknown) =>
        error instanceof EnvEditError &&
        error.code === 'verification_failed' &&
        error.message.startsWith('Writing TOKEN here would change how dotenv reads'),
    );
    // Where nothing follows, the same value is fine.
    assert.strictEqual(setEnvVariable('TOKEN=old\n', 'TOKEN', 'ends with \\', { replace: true }).text, "TOKEN='ends with \\'\n");
  });
});

describe('env: reading', () => {
  const text = [
    '\uFEFF# settings',
    'export A=1',
    'B = "two words" # comment',
    "MULTI='line1",
    'C=not-a-variable',
    "line3'",
    'B=second',
    'D: yaml-style',
    'E=',
    '',
  ].join('\r\n');

  it('lists entries as dotenv reads them, multi-line values included', () => {
    assert.deepStrictEqual(listEnvEntries(text), [
      { name: 'A', value: '1', line: 1, endLine: 1, exported: true },
      { name: 'B', value: 'two words', line: 2, endLine: 2, exported: false },
      { name: 'MULTI', value: 'line1\nC=not-a-variable\nline3', line: 3, endLine: 5, exported: false },
      { name: 'B', value: 'second', line: 6, endLine: 6, exported: false },
      { name: 'D', value: 'yaml-style', line: 7, endLine: 7, exported: false },
      { name: 'E', value: '', line: 8, endLine: 8, exported: false },
    ]);
    const effective = Object.fromEntries(listEnvEntries(text).map((entry) => [entry.name, entry.value]));
    assert.deepStrictEqual(effective, { ...dotenvParse(text) });
  });

  it('findEnvVariable reports the last occurrence as the value and every line', () => {
    const found = findEnvVariable(text, 'B')!;
    assert.strictEqual(found.value, 'second');
    assert.strictEqual(found.line, 6);
    assert.deepStrictEqual(
      found.occurrences.map((entry) => entry.line),
      [2, 6],
    );
    assert.strictEqual(findEnvVariable(text, 'C'), undefined);
    assert.strictEqual(findEnvVariable(text, 'NOPE'), undefined);
  });

  it('dotenv (both parsers) keeps the last of duplicate names, which is what findEnvVariable reports', () => {
    const dup = 'X=1\nX=2\nX=3\n';
    assert.strictEqual(dotenvParse(dup).X, '3');
    assert.strictEqual(dotenvParse(dup, { fast: true }).X, '3');
    assert.strictEqual(findEnvVariable(dup, 'X')!.value, '3');
  });

  it('findSecretInEnv finds every variable holding the secret', () => {
    const secret = 'thub_secret';
    const env = `A=${secret}\nB="${secret}" # old\nA=other\nC='${secret}x'\nexport D=${secret}\n`;
    assert.deepStrictEqual(findSecretInEnv(env, secret), [
      { name: 'A', line: 0, effective: false },
      { name: 'B', line: 1, effective: true },
      { name: 'D', line: 4, effective: true },
    ]);
    assert.deepStrictEqual(findSecretInEnv(env, ''), []);
  });

  it('detectLineEnding picks the dominant one', () => {
    assert.strictEqual(detectLineEnding(''), '\n');
    assert.strictEqual(detectLineEnding('a\r\nb\r\nc\n'), '\r\n');
    assert.strictEqual(detectLineEnding('a\nb\nc\r\n'), '\n');
    assert.strictEqual(detectLineEnding('a\rb\r'), '\r');
  });
});

describe('env: rotation', () => {
  it('replaceSecretInEnv replaces every occurrence of the old secret, keeping the rest', () => {
    const before = 'A=old\r\nB="old" # b\r\nC=keep\r\nexport D=old\r\nA=other\r\n';
    const result = replaceSecretInEnv(before, 'old', 'thub_new');
    assert.strictEqual(result.text, 'A=thub_new\r\nB=thub_new # b\r\nC=keep\r\nexport D=thub_new\r\nA=other\r\n');
    assert.deepStrictEqual(result.replaced, [
      { name: 'A', line: 0 },
      { name: 'B', line: 1 },
      { name: 'D', line: 3 },
    ]);
    assert.deepStrictEqual(parseEnv(result.text), { A: 'other', B: 'thub_new', C: 'keep', D: 'thub_new' });
  });

  it('replaceSecretInEnv leaves a file without the secret as it is', () => {
    assert.deepStrictEqual(replaceSecretInEnv('A=1\n', 'old', 'new'), { text: 'A=1\n', replaced: [] });
  });
});

describe('env: verifyEnvEdit', () => {
  it('accepts an exact edit', () => {
    assert.deepStrictEqual(verifyEnvEdit('A=1\nB=2\n', 'A=1\nB=3\n', 'B', '3'), { ok: true, problems: [] });
  });

  it('reports a wrong value, a changed, lost or new variable, naming no value', () => {
    const wrong = verifyEnvEdit('A=1\nB=2\n', 'A=1\nB=4\n', 'B', 'secret-3');
    assert.strictEqual(wrong.ok, false);
    assert.ok(wrong.problems.includes('dotenv would read B differently from the value intended.'));
    assert.ok(wrong.problems.every((problem) => !problem.includes('secret-3')));

    const changed = verifyEnvEdit('A=1\nB=2\n', 'A=9\nB=3\n', 'B', '3');
    assert.deepStrictEqual(changed.problems, [
      'The edit would change the value dotenv reads for A.',
      'The edit would change the value dotenv (fast parser) reads for A.',
    ]);
    assert.ok(verifyEnvEdit('A=1\nB=2\n', 'B=3\n', 'B', '3').problems.includes('The edit would make dotenv lose A.'));
    assert.ok(verifyEnvEdit('B=2\n', 'B=3\nC=1\n', 'B', '3').problems.includes('The edit would make dotenv see a new variable C.'));
    assert.ok(verifyEnvEdit('A=1\n', 'A=1\n', 'B', '3').problems.includes('dotenv would not find B in the edited file.'));
  });

  it('catches an edit that swallows the next line into a quote', () => {
    const result = verifyEnvChanges('A=1\nB=x\nC=2\n', 'A=1\nB="x\nC=2"\n', { B: 'x' });
    assert.strictEqual(result.ok, false);
  });
});

describe('env: quoteEnvValue', () => {
  const table: Array<[string, string]> = [
    ['plain', 'plain'],
    ['thub_AbC123', 'thub_AbC123'],
    ['https://h/p?q=1', "'https://h/p?q=1'"],
    ['', ''],
    [' lead', "' lead'"],
    ['trail ', "'trail '"],
    ['a#b', "'a#b'"],
    ['~/x', "'~/x'"],
    ['a;b', "'a;b'"],
    ["'", '"\'"'],
    ['"', `'"'`],
    ['`', "'`'"],
    ["'\"", '`\'"`'],
    ['a\tb', "'a\tb'"],
    ['a\u2028b', "'a\u2028b'"],
  ];
  for (const [value, written] of table) {
    it(`${JSON.stringify(value)} → ${written}`, () => {
      assert.strictEqual(quoteEnvValue(value), written);
      assert.strictEqual(dotenvParse(`K=${written}\n`).K, value);
      assert.strictEqual(dotenvParse(`K=${written}\n`, { fast: true }).K, value);
    });
  }
});
