// Refreshes every token list on the interval of tokenHub.refreshIntervalSeconds, restarted when the setting changes.
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../lifecycle';
import { SettingsService } from './settings';
import { TokenLists } from './tokenLists';

export class AutoRefresh extends Disposable {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: SettingsService,
    private readonly lists: TokenLists,
  ) {
    super();
    this._register(toDisposable(() => this.timer && clearInterval(this.timer)));
    this._register(settings.onDidChange((event: vscode.ConfigurationChangeEvent) => event.affectsConfiguration('tokenHub.refreshIntervalSeconds') && this.schedule()));
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    const seconds = this.settings.read().refreshIntervalSeconds;
    this.timer = seconds > 0 ? setInterval(() => this.lists.invalidateAll(), seconds * 1000) : undefined;
  }
}
