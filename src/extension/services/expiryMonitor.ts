// "2 tokens expire soon" in the status bar, and at most one notification a day with a Rotate action.
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { expiryState } from '../../core/dates';
import { SettingsService } from './settings';
import { TokenLists } from './tokenLists';
import { COMMAND } from '../commands/ids';

const LAST_NOTICE_KEY = 'tokenHub.lastExpiryNoticeDay';

export class ExpiryMonitor extends Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(
    private readonly lists: TokenLists,
    private readonly settings: SettingsService,
    private readonly globalState: vscode.Memento,
    private readonly notify: (text: string, ...actions: string[]) => Thenable<string | undefined>,
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('tokenHub.expiry', vscode.StatusBarAlignment.Left, 50));
    this.item.name = vscode.l10n.t('Token Hub expiry warnings');
    this.item.command = 'tokenHub.tokens.focus';
    this._register(lists.onDidChange(() => this.update()));
    this._register(lists.onDidLoad(() => this.update()));
  }

  /** Tokens expiring within the warning window (not the already expired ones). */
  expiringSoon() {
    const { expiryWarningDays } = this.settings.read();
    return this.lists.loaded().filter(({ token }) => expiryState(token.expiresAt, expiryWarningDays, Date.now(), token.createdAt) === 'expiring');
  }

  update(): void {
    const expiring = this.expiringSoon();
    if (expiring.length === 0) {
      this.item.hide();
      return;
    }
    const { expiryWarningDays } = this.settings.read();
    this.item.text = `$(warning) ${expiring.length === 1 ? vscode.l10n.t('1 token expires soon') : vscode.l10n.t('{0} tokens expire soon', expiring.length)}`;
    this.item.tooltip = vscode.l10n.t(
      'Expiring within {0} days: {1}. Click to see them.',
      expiryWarningDays,
      expiring.map(({ token }) => token.name).join(', '),
    );
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
    void this.maybeNotify(expiring.map(({ token }) => token.name));
  }

  get statusText(): string | undefined {
    return this.expiringSoon().length > 0 ? this.item.text : undefined;
  }

  private async maybeNotify(names: string[]): Promise<void> {
    const today = new Date().toISOString().slice(0, 10);
    if (this.globalState.get<string>(LAST_NOTICE_KEY) === today) return;
    await this.globalState.update(LAST_NOTICE_KEY, today);
    const text = names.length === 1
      ? vscode.l10n.t('The token "{0}" expires soon. Rotate it to keep its programs working.', names[0])
      : vscode.l10n.t('{0} tokens expire soon: {1}. Rotate them to keep their programs working.', names.length, names.join(', '));
    const rotate = vscode.l10n.t('Rotate');
    const choice = await this.notify(text, rotate, vscode.l10n.t('Show Tokens'));
    if (choice === rotate) await vscode.commands.executeCommand(COMMAND.rotateToken);
    else if (choice) await vscode.commands.executeCommand('tokenHub.tokens.focus');
  }
}
