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

  /** Timers by key, all cleared on dispose (debounces: a new one for a key replaces the one pending). */
  protected _registerTimers(): Map<string, NodeJS.Timeout> {
    const timers = new Map<string, NodeJS.Timeout>();
    this._register(
      toDisposable(() => {
        for (const timer of timers.values()) clearTimeout(timer);
        timers.clear();
      }),
    );
    return timers;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const value of this.owned.splice(0).reverse()) value.dispose();
  }
}
