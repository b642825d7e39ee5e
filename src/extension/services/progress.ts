// Waiting on the hub shows in the Token Hub view's progress bar, where the person is looking, so a slow hub never
// leaves the view still as if frozen. (An open quick input shows its own busy state: flows/vscodePrompter.ts.)
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';

export const TOKENS_VIEW_ID = 'tokenHub.tokens';

export class ViewProgress extends Disposable {
  private readonly running = new Map<number, string>();
  private nextId = 0;
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  /** What is being waited on right now (a sentence each), oldest first. */
  get active(): string[] {
    return [...this.running.values()];
  }

  /** Runs `task` with the view's progress bar showing; `title` says what it waits for ("Creating "x"…"). */
  run<T>(title: string, task: () => Promise<T>): Promise<T> {
    const id = this.nextId++;
    return Promise.resolve(
      vscode.window.withProgress({ location: { viewId: TOKENS_VIEW_ID }, title }, async () => {
        this.running.set(id, title);
        this.changed.fire();
        try {
          return await task();
        } finally {
          this.running.delete(id);
          this.changed.fire();
        }
      }),
    );
  }
}
