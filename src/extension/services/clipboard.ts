// Copies secrets and clears them from the clipboard after the configured delay, if nothing else was copied since.
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../lifecycle';

export class SecretClipboard extends Disposable {
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    super();
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
  }

  async copySecret(secret: string, clearAfterSeconds: number): Promise<void> {
    await vscode.env.clipboard.writeText(secret);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (clearAfterSeconds > 0) {
      this.timer = setTimeout(() => void this.clearIfUnchanged(secret), clearAfterSeconds * 1000);
    }
  }

  private async clearIfUnchanged(secret: string): Promise<void> {
    this.timer = undefined;
    if ((await vscode.env.clipboard.readText()) === secret) await vscode.env.clipboard.writeText('');
  }
}
