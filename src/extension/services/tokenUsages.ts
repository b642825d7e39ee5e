// Where each token lives: the usage index (src/core/usageIndex.ts) over the workspace's files, built in the
// background after activation (a status bar item shows the progress; clicking it stops the build), then kept
// current from file events and editor changes, never by rescanning. Each secret found is tied to its token by the
// secret (TokenOwners: SecretStorage or the hub's lookup), never by its mask; one no connected workspace holds live
// is "not live" (unknown or revoked). Secrets are kept in memory only and named by their hash everywhere else.
import * as fs from 'fs';
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { Token } from '../../contract/types';
import { isEnvLikeFile } from '../../core/scanFile';
import { BuildResult, inUnindexedFolder, Usage, UsageIndex } from '../../core/usageIndex';
import { Connection } from './connections';
import { TokenIdentity, TokenOwners } from './leakOwners';
import { Logger } from './logger';
import { SettingsService } from './settings';
import { COMMAND } from '../commands/ids';

const TYPE_DEBOUNCE_MS = 300;
const FILE_EVENT_DEBOUNCE_MS = 100;

export class TokenUsages extends Disposable {
  readonly index: UsageIndex;
  private readonly identities = new Map<string, TokenIdentity>();
  private readonly debouncer = this._registerDebouncer();
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** After places were found, changed or tied to a token (the tree listens). */
  readonly onDidChange = this.changed.event;
  private readonly status = this._register(vscode.window.createStatusBarItem('tokenHub.usages', vscode.StatusBarAlignment.Left, 0));
  private cancellation: vscode.CancellationTokenSource | undefined;
  private building: Promise<BuildResult | undefined> = Promise.resolve(undefined);
  private resolving: Promise<void> = Promise.resolve();
  private readonly toResolve = new Set<string>();

  constructor(
    private readonly owners: TokenOwners,
    private readonly settings: SettingsService,
    private readonly logger: Logger,
  ) {
    super();
    this.index = new UsageIndex((file) => {
      const uri = vscode.Uri.file(file);
      return isEnvLikeFile(file, this.settings.read(uri).envFile, vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath);
    });
    this.status.name = 'Token Hub: finding where tokens are used';
    this.status.command = COMMAND.cancelIndex;
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this._registerAll(
      watcher,
      this.index.onDidChange((hashes) => this.resolve(hashes)),
      owners.onDidForget(() => this.resolve(this.index.hashes())),
      watcher.onDidCreate((uri) => this.fileChanged(uri)),
      watcher.onDidChange((uri) => this.fileChanged(uri)),
      // File events can arrive late and coalesced (a folder deleted and made again): the disk decides.
      watcher.onDidDelete((uri) => this.index.filesUnder(uri.fsPath).forEach((file) => this.fileChanged(vscode.Uri.file(file)))),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length === 0 || !this.indexable(event.document.uri)) return;
        const document = event.document;
        this.debounce(document.uri.fsPath, TYPE_DEBOUNCE_MS, () => !document.isClosed && this.index.updateText(document.uri.fsPath, document.getText()));
      }),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (this.indexable(document.uri)) this.debounce(document.uri.fsPath, 0, () => this.index.updateText(document.uri.fsPath, document.getText()));
      }),
      // A closed editor's unsaved text is gone: the disk is the truth again.
      vscode.workspace.onDidCloseTextDocument((document) => this.fileChanged(document.uri)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.rebuild()),
    );
  }

  /** Starts the first build in the background; activation does not wait for it. */
  start(): void {
    setTimeout(() => void this.rebuild(), 0);
  }

  /** The running (or last) build; for tests and the benchmark. */
  get built(): Promise<BuildResult | undefined> {
    return this.building;
  }

  /** Resolves once every pending file event was applied and every found secret tied (for tests and commands). */
  async settled(): Promise<void> {
    while (this.debouncer.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.building;
    await this.resolving;
  }

  cancel(): void {
    this.cancellation?.cancel();
  }

  /** Indexes every file of the workspace again (files.exclude applies; .git and node_modules never). */
  rebuild(): Promise<BuildResult | undefined> {
    this.cancellation?.cancel();
    const cancellation = (this.cancellation = new vscode.CancellationTokenSource());
    this.building = this.build(cancellation.token).finally(() => {
      if (this.cancellation === cancellation) this.cancellation = undefined;
      cancellation.dispose();
    });
    return this.building;
  }

  /** The places holding the token's secret, by file then line. */
  placesOf(connection: Connection, token: Pick<Token, 'id'>): Usage[] {
    const places: Usage[] = [];
    for (const hash of this.index.hashes()) {
      const identity = this.identities.get(hash);
      if (identity && (identity.state === 'live' || identity.state === 'expired') && identity.owner.connection.id === connection.id && identity.owner.token.id === token.id) {
        places.push(...this.index.usagesOf(hash));
      }
    }
    return places.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  }

  /** What the secret of this hash is known to be, once tied (undefined while the hubs are being asked). */
  identityOf(hash: string): TokenIdentity | undefined {
    return this.identities.get(hash);
  }

  /** The secret held at these places (all of one token), for editing the files; kept in memory only. */
  secretAt(usage: Usage): string | undefined {
    return this.index.secretOf(usage.hash);
  }

  private async build(cancellation: vscode.CancellationToken): Promise<BuildResult | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) return undefined;
    this.status.text = '$(sync~spin) Token Hub: listing files';
    this.status.tooltip = 'Token Hub is finding where your tokens are used. Click to stop.';
    this.status.show();
    try {
      // findFiles applies files.exclude; .git and node_modules are left out whatever it says.
      const uris = await vscode.workspace.findFiles('**/*', undefined, undefined, cancellation);
      if (cancellation.isCancellationRequested) return undefined;
      const files = uris.filter((uri) => uri.scheme === 'file' && !inUnindexedFolder(vscode.workspace.asRelativePath(uri, false))).map((uri) => uri.fsPath);
      const open = new Map(vscode.workspace.textDocuments.filter((document) => document.uri.scheme === 'file').map((document) => [document.uri.fsPath, document]));
      this.index.clear();
      let shownAt = 0;
      const result = await this.index.build(files, {
        isCancelled: () => cancellation.isCancellationRequested,
        openText: (file) => {
          const document = open.get(file);
          return document && !document.isClosed ? document.getText() : undefined;
        },
        progress: (done, total) => {
          if (Date.now() - shownAt < 100 && done < total) return;
          shownAt = Date.now();
          this.status.text = `$(sync~spin) Token Hub: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} files`;
        },
      });
      this.logger.info(
        `Usage index${result.cancelled ? ' (stopped)' : ''}: ${result.usages} place(s) of ${this.index.hashes().length} token(s) in ${result.filesWithTokens} of ${result.scanned} file(s), ` +
          `${result.skipped} skipped, ${Math.round(result.milliseconds)} ms.`,
      );
      return result;
    } catch (error) {
      this.logger.error('Finding where tokens are used failed', error);
      return undefined;
    } finally {
      this.status.hide();
    }
  }

  private indexable(uri: vscode.Uri): boolean {
    return uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(uri) !== undefined && !inUnindexedFolder(vscode.workspace.asRelativePath(uri, false)) && !this.excluded(uri);
  }

  /** files.exclude for file events (findFiles applies it to the build): the `**\/name` and `name` patterns. */
  private excluded(uri: vscode.Uri): boolean {
    const patterns = vscode.workspace.getConfiguration('files', uri).get<Record<string, boolean>>('exclude') ?? {};
    const segments = vscode.workspace.asRelativePath(uri, false).split('/');
    return Object.entries(patterns).some(([pattern, on]) => {
      if (on !== true) return false;
      const name = pattern.replace(/^\*\*\//, '').replace(/\/\*\*$/, '');
      return !/[*?[{]/.test(name) && (pattern.startsWith('**/') ? segments.includes(name) : segments[0] === name);
    });
  }

  private fileChanged(uri: vscode.Uri): void {
    if (!this.indexable(uri)) return;
    let isFolder = false;
    try {
      isFolder = fs.statSync(uri.fsPath).isDirectory();
    } catch {
      // Gone: updateFile drops it.
    }
    if (isFolder) {
      // A folder made (or moved here) with its files: the watcher may report only the folder.
      void vscode.workspace.findFiles(new vscode.RelativePattern(uri, '**/*')).then((uris) => uris.forEach((child) => this.fileChanged(child)));
      return;
    }
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    // An editor with unsaved changes is the truth while it is open.
    if (document && !document.isClosed && document.isDirty) return;
    this.debounce(uri.fsPath, FILE_EVENT_DEBOUNCE_MS, () => this.index.updateFile(uri.fsPath));
  }

  private debounce(key: string, delay: number, run: () => unknown): void {
    this.debouncer.schedule(key, delay, () => {
      void Promise.resolve(run()).catch((error) => this.logger.error('Updating where tokens are used failed', error));
    });
  }

  /** Ties the secrets of these hashes to their tokens, one at a time (the hubs are asked only when not cached). */
  private resolve(hashes: Iterable<string>): void {
    for (const hash of hashes) this.toResolve.add(hash);
    this.resolving = this.resolving.then(async () => {
      let changed = false;
      while (this.toResolve.size > 0) {
        const [hash] = this.toResolve;
        this.toResolve.delete(hash);
        const secret = this.index.secretOf(hash);
        if (!secret) {
          changed = this.identities.delete(hash) || changed;
          continue;
        }
        try {
          this.identities.set(hash, await this.owners.identify(secret));
        } catch (error) {
          this.logger.error('Tying a found token to its workspace failed', error);
        }
        changed = true;
      }
      if (changed) this.changed.fire();
    });
  }

  override dispose(): void {
    this.cancellation?.cancel();
    super.dispose();
  }
}
