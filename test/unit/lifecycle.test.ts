// The Disposable base of the extension's services: what is registered is released once, newest first, pending
// debounced runs too; and the keyed debouncer itself.
import * as assert from 'assert/strict';
import { Disposable, KeyedDebouncer, toDisposable } from '../../src/extension/lifecycle';

class Service extends Disposable {
  readonly debouncer = this._registerDebouncer();

  own(name: string, log: string[]) {
    return this._register(toDisposable(() => log.push(name)));
  }
}

describe('Disposable', () => {
  it('disposes what it registered once, newest first, cancels its pending runs, and disposes at once what comes after', () => {
    const log: string[] = [];
    const service = new Service();
    service.own('first', log);
    service.own('second', log);
    let fired = false;
    service.debouncer.schedule('x', 10, () => (fired = true));
    service.dispose();
    service.dispose();
    assert.deepEqual(log, ['second', 'first']);
    assert.equal(service.debouncer.size, 0);
    service.own('late', log);
    assert.deepEqual(log, ['second', 'first', 'late']);
    return new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => assert.equal(fired, false, 'the timer was cleared'));
  });

  it('the debouncer runs only the latest schedule of a key, each key on its own, and not a cancelled one', async () => {
    const debouncer = new KeyedDebouncer();
    const runs: string[] = [];
    debouncer.schedule('a', 5, () => runs.push('a1'));
    debouncer.schedule('a', 5, () => runs.push('a2'));
    debouncer.schedule('b', 5, () => runs.push('b'));
    debouncer.schedule('c', 5, () => runs.push('c'));
    debouncer.cancel('c');
    assert.equal(debouncer.isPending('a'), true);
    assert.equal(debouncer.isPending('c'), false);
    assert.equal(debouncer.size, 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(runs.sort(), ['a2', 'b']);
    assert.equal(debouncer.size, 0);
  });
});
