// Named query parameters (src/hub/stores/params.ts): PostgreSQL's `$n` list built from the same `@name` text and
// object that better-sqlite3 binds itself.
import assert from 'assert';
import { listParams, named } from '../../src/hub/stores/params';

describe('named query parameters', () => {
  it('numbers each name once, in order of first use, and binds a repeated name once', () => {
    const query = named('UPDATE t SET a = CASE WHEN @at::bigint IS NULL THEN NULL ELSE a END, b = @at, c = @id WHERE d = @digest OR e = @digest', {
      digest: 'D',
      id: 'I',
      at: null,
    });
    assert.strictEqual(query.text, 'UPDATE t SET a = CASE WHEN $1::bigint IS NULL THEN NULL ELSE a END, b = $1, c = $2 WHERE d = $3 OR e = $3');
    assert.deepStrictEqual(query.values, [null, 'I', 'D']);
  });

  it('refuses a name the parameters lack, and ignores parameters the query does not name', () => {
    assert.throws(() => named('SELECT @a, @b', { a: 1 }), /@b/);
    assert.deepStrictEqual(named('SELECT @a', { a: 1, unused: 2 }).values, [1]);
  });

  it('a list query names every value any of its variants uses; search is a literal LIKE pattern', () => {
    assert.deepStrictEqual(listParams('ws_1', { limit: 5, after: { createdAt: 7, id: 'tok_x' }, search: '50%_a', maskedKey: 'm' }), {
      workspaceId: 'ws_1',
      afterCreatedAt: 7,
      afterId: 'tok_x',
      pattern: '%50\\%\\_a%',
      maskedKey: 'm',
      limit: 5,
    });
    assert.deepStrictEqual(listParams('ws_1', { limit: 5 }), { workspaceId: 'ws_1', afterCreatedAt: null, afterId: null, pattern: null, maskedKey: null, limit: 5 });
  });
});
