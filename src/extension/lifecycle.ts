// The one base of services that own listeners, emitters, status items or timers (as vscode-pull-request-github's
// src/common/lifecycle.ts): what a service creates it registers, and dispose() releases all of it, newest first.
import * as vscode from 'vscode';

export function toDisposable(dispose: () => void): vscode.Disposable {
  return { dispose };
}

export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Owns `value` from now on: disposed with this service (at once, if this one is disposed already). */
  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.owned.push(value);
    return value;
  }

  protected _registerAll(...values: vscode.Disposable[]): void {
    for (const value of values) this._register(value);
  }

  /** A debouncer owned by this service: its pending runs are cancelled on dispose. */
  protected _registerDebouncer(): KeyedDebouncer {
    return this._register(new KeyedDebouncer());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const value of this.owned.splice(0).reverse()) value.dispose();
  }
}

/**
 * At most one pending run per key (a file, a document): scheduling a key again replaces its pending run, as typing
 * restarts a debounce. The leak guard's scans and the usage index's updates share it.
 */
export class KeyedDebouncer implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  schedule(key: string, delay: number, run: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, delay),
    );
  }

  /** Drops the key's pending run, if any. */
  cancel(key: string): void {
    const pending = this.timers.get(key);
    if (pending === undefined) return;
    clearTimeout(pending);
    this.timers.delete(key);
  }

  isPending(key: string): boolean {
    return this.timers.has(key);
  }

  /** How many runs are pending. */
  get size(): number {
    return this.timers.size;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
