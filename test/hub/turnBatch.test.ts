// perTurn (src/hub/stores/turnBatch.ts): the same question asked in one turn of the event loop is one query, sent
// after the turn; a later turn asks again (so it sees what was committed since); a failed query fails its askers.
import assert from 'assert';
import { perTurn } from '../../src/hub/stores/turnBatch';

describe('perTurn', () => {
  it('one query per key per turn, sent after the turn, and a new query in the next turn', async () => {
    const asked: string[] = [];
    let answer = 'first';
    const lookup = perTurn(async (key) => {
      asked.push(key);
      return `${key}:${answer}`;
    });
    const turn1 = [lookup('a'), lookup('b'), lookup('a'), lookup('a')];
    assert.deepStrictEqual(asked, [], 'nothing is sent while the turn runs');
    assert.deepStrictEqual(await Promise.all(turn1), ['a:first', 'b:first', 'a:first', 'a:first']);
    assert.deepStrictEqual(asked, ['a', 'b']);
    answer = 'changed';
    assert.strictEqual(await lookup('a'), 'a:changed', 'a later turn asks again');
    assert.deepStrictEqual(asked, ['a', 'b', 'a']);
  });

  it('a failed query rejects every lookup that shared it, and only those', async () => {
    const lookup = perTurn(async (key) => {
      if (key === 'down') throw new Error('database unavailable');
      return key;
    });
    const results = await Promise.allSettled([lookup('down'), lookup('down'), lookup('up')]);
    assert.deepStrictEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['database unavailable', 'database unavailable', 'up'],
    );
  });
});
