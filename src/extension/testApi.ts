// What activate() returns in the extension-host tests only (ExtensionMode.Test), and the stand-ins that only test mode
// builds: the test-only reach into the extension stands here, not in the services production code uses.
import * as vscode from 'vscode';
import { Answer, MessageOptions, PickQuestion, Prompter, TextQuestion } from './flows/prompter';
import { Services } from './commands/services';
import { ExpiryMonitor } from './services/expiryMonitor';
import { LeakGuard } from './services/leakGuard';
import { ViewProgress } from './services/progress';
import { TokenUsages } from './services/tokenUsages';
import { TokenTreeProvider, TreeNode } from './views/tokenTree';
import { UsagePanels } from './views/usagePanel';

/**
 * What activate() returns in the extension-host tests only (ExtensionMode.Test): a way to script prompts and to
 * observe state. Outside tests nothing is exported, so no other extension can reach the secrets through us.
 */
export interface TokenHubApi {
  services: Services;
  /** The tree's data, as the view reads it. */
  tree: TokenTreeProvider;
  secretStorage: vscode.SecretStorage;
  expiry: ExpiryMonitor;
  treeView: vscode.TreeView<TreeNode>;
  leakGuard: LeakGuard;
  usages: TokenUsages;
  /** The Show Usage views: what each one shows now. */
  usagePanels: UsagePanels;
  /** The view's progress: what is being waited on right now. */
  progress: ViewProgress;
  /** Each quick input the real prompter opens (in use after setPrompter(undefined)). */
  onDidShowQuickInput: vscode.Event<vscode.QuickInput>;
  setPrompter(prompter: Prompter | undefined): void;
  /** Token secrets go through `storage` (a stand-in over secretStorage, such as one that refuses) until called with undefined. */
  useTokenSecretStorage(storage: vscode.SecretStorage | undefined): void;
}

/**
 * Built in test mode only: the SecretStorage under the token secrets, which the test API can point at a stand-in
 * (VS Code here always has a keyring; the tests need one that refuses). Changes still come from the real storage,
 * which every stand-in wraps.
 */
export class SwappableSecretStorage implements vscode.SecretStorage {
  private current: vscode.SecretStorage;
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly real: vscode.SecretStorage) {
    this.current = real;
    this.onDidChange = real.onDidChange;
  }

  get(key: string): Thenable<string | undefined> {
    return this.current.get(key);
  }

  store(key: string, value: string): Thenable<void> {
    return this.current.store(key, value);
  }

  delete(key: string): Thenable<void> {
    return this.current.delete(key);
  }

  use(storage: vscode.SecretStorage | undefined): void {
    this.current = storage ?? this.real;
  }
}

/**
 * Built in test mode only: the prompter every service is given, which the test API points at a scripted one (VS Code
 * refuses modal dialogs while tests run) and back at the real one.
 */
export class SwappablePrompter implements Prompter {
  private current: Prompter;

  constructor(private readonly real: Prompter) {
    this.current = real;
  }

  use(prompter: Prompter | undefined): void {
    this.current = prompter ?? this.real;
  }

  askText(question: TextQuestion): Promise<Answer<string>> {
    return this.current.askText(question);
  }

  pickOne<T>(question: PickQuestion<T>): Promise<Answer<T>> {
    return this.current.pickOne(question);
  }

  pickMany<T>(question: PickQuestion<T>): Promise<Answer<T[]>> {
    return this.current.pickMany(question);
  }

  message(text: string, options: MessageOptions, ...actions: string[]): Promise<string | undefined> {
    return this.current.message(text, options, ...actions);
  }
}
