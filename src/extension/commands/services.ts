// What the commands are given by the composition root (extension.ts). Built once, injected, never global.
import { Prompter } from '../flows/prompter';
import { SecretClipboard } from '../services/clipboard';
import { ConnectionManager } from '../services/connections';
import { EnvFileService } from '../services/envFiles';
import { SecretInjection } from '../services/injection';
import { Logger } from '../services/logger';
import { ViewProgress } from '../services/progress';
import { SettingsService } from '../services/settings';
import { TokenLists } from '../services/tokenLists';
import { TokenSecretStore } from '../services/tokenSecrets';
import { TokenOwners } from '../services/leakOwners';
import { LeakGuard } from '../services/leakGuard';
import { TokenUsages } from '../services/tokenUsages';

export interface Services {
  connections: ConnectionManager;
  lists: TokenLists;
  secrets: TokenSecretStore;
  settings: SettingsService;
  logger: Logger;
  envFiles: EnvFileService;
  clipboard: SecretClipboard;
  /** Every question and message (in extension-host tests, one the test API can point at a scripted prompter). */
  prompter: Prompter;
  /** The tokens given to this window's new terminals and debug sessions. */
  injection: SecretInjection;
  /** The view's progress bar while the hub is waited on. */
  progress: ViewProgress;
  /** Where each token lives, who owns a found secret, and the leak guard (set by the composition root). */
  usages?: TokenUsages;
  owners?: TokenOwners;
  leakGuard?: LeakGuard;
}
