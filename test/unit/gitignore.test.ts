import * as assert from 'assert';
import { GitignoreSource, appendGitignoreEntry, compileGitignores, gitignorePatternFor, isIgnoredByRules, parseGitignore } from '../../src/core/gitignore';

/** [path, ignored?] with a trailing `/` on folders. */
type Expectation = [string, boolean];

interface Case {
  title: string;
  sources: GitignoreSource[];
  expect: Expectation[];
  ignoreCase?: boolean;
}

const root = (text: string): GitignoreSource[] => [{ dir: '', text }];

// Every expectation here was checked against git 2.39 (`git ls-files -o -i --exclude-standard` on real files; the
// ignoreCase case on a case-insensitive file system), and random patterns against git as well while writing this.
const gitignoreCases: Case[] = [
  {
    title: 'a plain name matches at any depth, files and folders',
    sources: root('.env\n'),
    expect: [
      ['.env', true],
      ['app/.env', true],
      ['app/.env/', true],
      ['app/.env.local', false],
      ['x.env', false],
      ['.envrc', false],
    ],
  },
  {
    title: 'comments and blank lines',
    sources: root('# .env\n\n   \n#secret\n'),
    expect: [
      ['.env', false],
      ['# .env', false],
      ['#secret', false],
    ],
  },
  {
    title: 'escaped # and ! are literal',
    sources: root('\\#secret\n\\!important\n'),
    expect: [
      ['#secret', true],
      ['!important', true],
      ['important', false],
      ['secret', false],
    ],
  },
  {
    title: 'negation: last match wins',
    sources: root('*.env\n!prod.env\n'),
    expect: [
      ['dev.env', true],
      ['prod.env', false],
      ['deep/prod.env', false],
      ['deep/test.env', true],
    ],
  },
  {
    title: 'negation then re-ignore',
    sources: root('*.log\n!keep.log\nkeep.log\n'),
    expect: [['keep.log', true]],
  },
  {
    title: 'leading / anchors to the folder of the .gitignore',
    sources: root('/.env\n/build\n'),
    expect: [
      ['.env', true],
      ['app/.env', false],
      ['build/', true],
      ['build/x.js', true],
      ['src/build/x.js', false],
    ],
  },
  {
    title: 'a slash in the middle anchors too',
    sources: root('config/secrets.json\n'),
    expect: [
      ['config/secrets.json', true],
      ['app/config/secrets.json', false],
    ],
  },
  {
    title: 'trailing / matches folders only',
    sources: root('logs/\n'),
    expect: [
      ['logs/', true],
      ['logs', false],
      ['logs/today.txt', true],
      ['app/logs/x', true],
      ['app/logs', false],
    ],
  },
  {
    title: 'a file inside an ignored folder cannot be re-included',
    sources: root('secrets/\n!secrets/keep.txt\n'),
    expect: [
      ['secrets/keep.txt', true],
      ['secrets/other.txt', true],
    ],
  },
  {
    title: 'ignore the contents, re-include one file',
    sources: root('secrets/*\n!secrets/keep.txt\n'),
    expect: [
      ['secrets/keep.txt', false],
      ['secrets/other.txt', true],
      ['secrets/', false],
    ],
  },
  {
    title: 'the classic: ignore all but one deep path',
    sources: root('/*\n!/foo\n/foo/*\n!/foo/bar\n'),
    expect: [
      ['x', true],
      ['foo/', false],
      ['foo/x', true],
      ['foo/bar/', false],
      ['foo/bar/baz', false],
    ],
  },
  {
    title: '* does not cross /',
    sources: root('docs/*.md\n'),
    expect: [
      ['docs/a.md', true],
      ['docs/sub/a.md', false],
      ['docs/.md', true],
    ],
  },
  {
    title: '? matches one character but not /',
    sources: root('file?.txt\na?b\n'),
    expect: [
      ['file1.txt', true],
      ['file.txt', false],
      ['file12.txt', false],
      ['a/b', false],
      ['axb', true],
    ],
  },
  {
    title: 'leading **/',
    sources: root('**/secrets.json\n**/tmp/\n'),
    expect: [
      ['secrets.json', true],
      ['a/b/secrets.json', true],
      ['tmp/', true],
      ['a/tmp/x', true],
      ['a/tmp', false],
    ],
  },
  {
    title: 'trailing /**',
    sources: root('out/**\n'),
    expect: [
      ['out/a', true],
      ['out/a/b/c', true],
      ['out/', false],
      ['out', false],
      ['x/out/a', false],
    ],
  },
  {
    title: '/**/ in the middle: zero or more folders',
    sources: root('a/**/b\n'),
    expect: [
      ['a/b', true],
      ['a/x/b', true],
      ['a/x/y/b', true],
      ['a/xb', false],
      ['c/a/b', false],
    ],
  },
  {
    title: 'other runs of * are plain *',
    sources: root('a**b\nfoo/**bar\n'),
    expect: [
      ['aXb', true],
      ['a/b', false],
      ['x/aXXb', true],
      ['foo/xbar', true],
      ['foo/x/bar', false],
    ],
  },
  {
    title: "git's quirk: ** right after the literal start of a pattern acts as a leading **",
    sources: root('foo**/bar\n'),
    expect: [
      ['foobar', true],
      ['foo/x/bar', true],
      ['fooX/bar', true],
      ['foo/bar2', false],
    ],
  },
  {
    title: 'character classes: sets, ranges, negation with ! and ^',
    sources: root('[abc].txt\nlog[0-9].txt\nv[!0-9]\nw[^a-z]\n'),
    expect: [
      ['a.txt', true],
      ['d.txt', false],
      ['log5.txt', true],
      ['logx.txt', false],
      ['vx', true],
      ['v1', false],
      ['w1', true],
      ['wq', false],
    ],
  },
  {
    title: 'character classes: ] first, - last, escapes, POSIX classes',
    sources: root('[]x]1\n[a-]2\n[\\]]3\n[[:digit:]]4\n[[:upper:][:space:]]5\n'),
    expect: [
      [']1', true],
      ['x1', true],
      ['-2', true],
      ['a2', true],
      ['b2', false],
      [']3', true],
      ['74', true],
      ['x4', false],
      ['Q5', true],
      [' 5', true],
      ['q5', false],
    ],
  },
  {
    title: 'a class never matches /',
    sources: root('a[/]b\na[!x]c\n'),
    expect: [
      ['a/b', false],
      ['a/c', false],
      ['ayc', true],
    ],
  },
  {
    title: 'an unclosed [ or an unknown [:class:] never matches',
    sources: root('[abc\nx[[:nope:]]\n'),
    expect: [
      ['[abc', false],
      ['a', false],
      ['xa', false],
    ],
  },
  {
    title: 'trailing spaces are dropped unless escaped',
    sources: root('trail   \nkeep\\ \n'),
    expect: [
      ['trail', true],
      ['trail   ', false],
      ['keep ', true],
      ['keep', false],
    ],
  },
  {
    title: 'CRLF .gitignore and a BOM',
    sources: root('\uFEFF.env\r\n!.env.example\r\n*.pem\r\n'),
    expect: [
      ['.env', true],
      ['.env.example', false],
      ['key.pem', true],
    ],
  },
  {
    title: 'backslash escapes of special characters',
    sources: root('\\*literal\nq\\?\n\\[x]\n'),
    expect: [
      ['*literal', true],
      ['aliteral', false],
      ['q?', true],
      ['qx', false],
      ['[x]', true],
      ['x', false],
    ],
  },
  {
    title: 'a nested .gitignore applies to its folder, relative to it, and overrides the root one',
    sources: [
      { dir: '', text: '*.env\n/top-only\n' },
      { dir: 'app', text: '!local.env\n/generated\n' },
    ],
    expect: [
      ['x.env', true],
      ['app/x.env', true],
      ['app/local.env', false],
      ['app/sub/local.env', false],
      ['local.env', true],
      ['app/generated', true],
      ['generated', false],
      ['app/sub/generated', false],
      ['top-only', true],
      ['app/top-only', false],
    ],
  },
  {
    title: 'order of sources given does not matter: deeper wins',
    sources: [
      { dir: 'app', text: '!keep.env\n' },
      { dir: '', text: '*.env\n' },
    ],
    expect: [
      ['app/keep.env', false],
      ['keep.env', true],
    ],
  },
  {
    title: 'a .gitignore inside an ignored folder cannot re-include',
    sources: [
      { dir: '', text: 'vendor/\n' },
      { dir: 'vendor', text: '!*\n' },
    ],
    expect: [['vendor/lib.js', true]],
  },
  {
    title: 'dir given as ./sub/ is the same as sub',
    sources: [{ dir: './sub/', text: 'x\n' }],
    expect: [
      ['sub/x', true],
      ['x', false],
    ],
  },
  {
    title: 'case-sensitive by default, insensitive on request',
    sources: root('Secrets.txt\nBIN/\n'),
    expect: [
      ['Secrets.txt', true],
      ['secrets.txt', false],
    ],
  },
  {
    title: 'ignoreCase',
    sources: [
      { dir: '', text: 'Secrets.txt\n' },
      { dir: 'App', text: '!SECRETS.TXT\n' },
    ],
    ignoreCase: true,
    expect: [
      ['secrets.txt', true],
      ['app/secrets.txt', false],
    ],
  },
  {
    // git compares bytes: `?` is one byte of the UTF-8 name, `[é]` a bracket of é's two bytes.
    title: 'non-ASCII names are matched byte by byte, as git does',
    sources: root('data-?.csv\nx[é]y\nz[é][é]w\np??q\nÜber*\n'),
    expect: [
      ['data-é.csv', false],
      ['data-e.csv', true],
      ['xéy', false],
      ['zéw', true],
      ['péq', true],
      ['Über-alles', true],
      ['über-alles', false],
    ],
  },
  {
    // As git 2.39 with core.ignoreCase: the text is folded to lower case, ranges and [:upper:] take either case, and a
    // single upper-case letter in brackets matches nothing.
    title: 'ignoreCase folds ASCII letters only, as git does',
    sources: root('É*.txt\nabc[W-Y]\nq[X]\nr[[:upper:]]\n'),
    ignoreCase: true,
    expect: [
      ['É1.txt', true],
      ['é1.txt', false],
      ['ABCx', true],
      ['abcX', true],
      ['QX', false],
      ['rA', true],
      ['ra', true],
    ],
  },
  {
    title: "a folder whose name holds a backslash is that folder, not a path of two",
    sources: [{ dir: 'a\\b', text: '*.log\n' }],
    expect: [
      ['a\\b/x.log', true],
      ['a/b/x.log', false],
    ],
  },
  {
    title: 'a lone ! or / is no rule',
    sources: root('!\n/\n'),
    expect: [['x', false]],
  },
];

describe('gitignore: isIgnoredByRules', () => {
  for (const c of gitignoreCases) {
    describe(c.title, () => {
      for (const [path, ignored] of c.expect) {
        it(`${JSON.stringify(path)} ${ignored ? 'is' : 'is not'} ignored`, () => {
          assert.strictEqual(isIgnoredByRules(path, c.sources, { ignoreCase: c.ignoreCase }), ignored);
        });
      }
    });
  }

  it('isDirectory option is the same as a trailing /', () => {
    const sources = root('logs/\n');
    assert.strictEqual(isIgnoredByRules('logs', sources, { isDirectory: true }), true);
    assert.strictEqual(isIgnoredByRules('logs', sources), false);
  });

  it('paths may start with ./ or /, and the root itself is never ignored', () => {
    const sources = root('*\n');
    assert.strictEqual(isIgnoredByRules('./a', sources), true);
    assert.strictEqual(isIgnoredByRules('/a', sources), true);
    assert.strictEqual(isIgnoredByRules('', sources), false);
    assert.strictEqual(isIgnoredByRules('.', sources), false);
  });

  it('a compiled matcher answers many paths', () => {
    const matcher = compileGitignores(root('node_modules/\n*.log\n'));
    assert.deepStrictEqual(
      ['node_modules/a/b.js', 'src/a.ts', 'debug.log', 'src/x.log'].map((p) => matcher.isIgnored(p)),
      [true, false, true, true],
    );
  });

  it('parseGitignore reports the rules', () => {
    const rules = parseGitignore('# c\n!/build/\n*.log \n');
    assert.deepStrictEqual(
      rules.map(({ source, line, negated, directoryOnly, basenameOnly }) => ({ source, line, negated, directoryOnly, basenameOnly })),
      [
        { source: '!/build/', line: 1, negated: true, directoryOnly: true, basenameOnly: false },
        { source: '*.log', line: 2, negated: false, directoryOnly: false, basenameOnly: true },
      ],
    );
  });
});

describe('gitignore: appendGitignoreEntry', () => {
  const table: Array<[string, string, string, string]> = [
    ['empty file', '', '.env', '.env\n'],
    ['final newline kept', 'node_modules/\n', '.env', 'node_modules/\n.env\n'],
    ['no final newline', 'node_modules/', '.env', 'node_modules/\n.env\n'],
    ['CRLF', 'a\r\nb\r\n', '.env', 'a\r\nb\r\n.env\r\n'],
    ['CRLF without final newline', 'a\r\nb', '.env', 'a\r\nb\r\n.env\r\n'],
    ['only a BOM', '\uFEFF', '.env', '\uFEFF.env\n'],
    ['already there', 'a\n.env\nb\n', '.env', 'a\n.env\nb\n'],
    ['already there with CRLF and trailing spaces', 'a\r\n.env  \r\n', '.env', 'a\r\n.env  \r\n'],
    ['a different pattern is added', '/.env\n', '.env', '/.env\n.env\n'],
  ];
  for (const [title, text, entry, expected] of table) {
    it(title, () => {
      const result = appendGitignoreEntry(text, entry);
      assert.strictEqual(result, expected);
      assert.strictEqual(appendGitignoreEntry(result, entry), result);
    });
  }

  it('refuses an entry with a line break or nothing in it', () => {
    assert.throws(() => appendGitignoreEntry('', '.env\nx'), /one line/);
    assert.throws(() => appendGitignoreEntry('', '  '), /Give a pattern/);
  });

  it('after appending, the path is ignored', () => {
    const text = appendGitignoreEntry('*.log\n!.env\n', '.env');
    assert.strictEqual(isIgnoredByRules('.env', root(text)), true);
  });

  it('gitignorePatternFor escapes special characters and anchors the path', () => {
    const paths = ['.env', 'app/.env.local', 'we[i]rd*?.env', '#hash', '!bang', 'trailing ', 'back\\slash'];
    for (const path of paths) {
      const pattern = gitignorePatternFor(path);
      assert.ok(pattern.startsWith('/'));
      assert.strictEqual(isIgnoredByRules(path, root(`${pattern}\n`)), true, `${path} → ${pattern}`);
      assert.strictEqual(isIgnoredByRules(`sub/${path}`, root(`${pattern}\n`)), false, `sub/${path}`);
    }
    assert.strictEqual(gitignorePatternFor('we[i]rd*?.env'), '/we\\[i\\]rd\\*\\?.env');
    assert.strictEqual(isIgnoredByRules('weird.env', root(`${gitignorePatternFor('we[i]rd*?.env')}\n`)), false);
  });
});
