// The Disposable base of the extension's services: what is registered is released once, newest first, timers too.
import * as assert from 'assert/strict';
import { Disposable, toDisposable } from '../../src/extension/lifecycle';

class Service extends Disposable {
  readonly timers = this._registerTimers();

  own(name: string, log: string[]) {
    return this._register(toDisposable(() => log.push(name)));
  }
}

describe('Disposable', () => {
  it('disposes what it registered once, newest first, clears its timers, and disposes at once what comes after', () => {
    const log: string[] = [];
    const service = new Service();
    service.own('first', log);
    service.own('second', log);
    let fired = false;
    service.timers.set('x', setTimeout(() => (fired = true), 10));
    service.dispose();
    service.dispose();
    assert.deepEqual(log, ['second', 'first']);
    assert.equal(service.timers.size, 0);
    service.own('late', log);
    assert.deepEqual(log, ['second', 'first', 'late']);
    return new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => assert.equal(fired, false, 'the timer was cleared'));
  });
});
