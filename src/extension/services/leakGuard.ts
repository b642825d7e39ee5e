// The leak guard: Token Hub secrets where git would commit them, as warnings in the Problems panel. Open files are
// scanned as they change (debounced, when tokenHub.scanOnType is on), on open and on save; the workspace scan reads
// every file git would commit. A file git ignores is never reported (an ignored .env is where a secret belongs).
// Secrets stay out of every message and log line: findings are named by their masked key.
import * as path from 'path';
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { exposedFindings, IGNORE_MARKER, KIND_NAMES, TokenFinding } from '../../core/scanner';
import { ignoredAmong } from '../../core/ignoredByGit';
import { isEnvLikeFile, MAX_SCAN_BYTES, readScannable } from '../../core/scanFile';
import { maskToken } from '../../core/token';
import { secretHash } from '../../core/usageIndex';
import { TokenIdentity } from './leakOwners';
import { Logger } from './logger';
import { SettingsService } from './settings';

export const LEAK_SOURCE = 'Token Hub';
/** Diagnostic codes: an exposed secret, and one that has since been revoked (still in the text). */
export const EXPOSED_CODE = 'exposed-token';
export const REVOKED_CODE = 'revoked-token';
/** A secret no workspace you are signed in to holds live (unknown, revoked or expired): remove it. */
export const NOT_LIVE_CODE = 'not-live-token';
export const TYPE_DEBOUNCE_MS = 300;
const IGNORED_CACHE_MS = 30_000;
const READ_CONCURRENCY = 16;

export { exposedFindings, IGNORE_MARKER, isEnvLikeFile, MAX_SCAN_BYTES, readScannable };

export interface LeakDiagnosticOptions {
  revoked: boolean;
  /** No workspace you are signed in to holds it live (every hub answered). */
  notLive?: boolean;
  /** The file is a .env file git does not ignore: the fix is .gitignore, not moving the secret. */
  envFile: boolean;
}

/** The one wording of a finding: masked, saying what to do. */
export function leakMessage(finding: Pick<TokenFinding, 'token' | 'kind'>, options: LeakDiagnosticOptions): string {
  const masked = maskToken(finding.token);
  const what = KIND_NAMES[finding.kind];
  if (options.revoked) return `This file contains the revoked Token Hub ${what} ${masked}. It no longer works: remove it from the file.`;
  if (options.notLive) return `This Token Hub token (${masked}) is not live in any workspace you are signed in to; remove it from the file.`;
  if (options.envFile) {
    return `This file contains the Token Hub ${what} ${masked}, and git does not ignore the file. Add it to .gitignore, or revoke the ${finding.kind === 'access' ? 'token' : 'key'} if it was shared.`;
  }
  // Keys are revoked by the operator's command; an access token from the tree or the quick fix.
  const how = finding.kind === 'access' ? '' : ` (tokenhub ${finding.kind === 'account' ? 'account-key' : 'service-key'} revoke)`;
  return `This file contains the Token Hub ${what} ${masked}. Move it to .env, or revoke it${how} if it was shared.`;
}

export interface WorkspaceScanResult {
  /** Files read and scanned. */
  files: number;
  filesWithFindings: number;
  findings: number;
  /** Files git ignores (not read). */
  ignored: number;
  /** Binary files, files over 5 MB, unreadable files. */
  skipped: number;
  cancelled: boolean;
  milliseconds: number;
}

export class LeakGuard extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection('tokenHub.leaks'));
  private readonly debouncer = this._registerDebouncer();
  /** Bumped by every scan of a file, so a slower earlier scan never overwrites a later one. */
  private readonly generations = new Map<string, number>();
  private readonly ignoredCache = new Map<string, { at: number; ignored: Promise<boolean> }>();
  /**
   * What the last scan of each open document found, so that a change of the rules around it (a .gitignore, which
   * tokens are live) judges that text again without reading text typed since: the debounce, and
   * tokenHub.scanOnType, decide when typed text is read.
   */
  private readonly lastFindings = new Map<string, TokenFinding[]>();
  /** sha256 of secrets revoked in this session: their diagnostics say so. Never the secrets themselves. */
  private readonly revoked = new Set<string>();
  /** Whether an access token is live (TokenOwners.identify), once the composition root gives it. */
  private identify: ((secret: string) => Promise<TokenIdentity>) | undefined;
  private readonly updated = this._register(new vscode.EventEmitter<vscode.Uri>());
  /** After the diagnostics of a file were set (for tests and measurements). */
  readonly onDidUpdate = this.updated.event;

  constructor(
    private readonly settings: SettingsService,
    private readonly logger: Logger,
  ) {
    super();
    const gitignores = vscode.workspace.createFileSystemWatcher('**/.gitignore');
    const rulesChanged = () => {
      this.forgetIgnores();
      this.rejudgeOpenDocuments();
    };
    this._registerAll(
      gitignores,
      gitignores.onDidChange(rulesChanged),
      gitignores.onDidCreate(rulesChanged),
      gitignores.onDidDelete(rulesChanged),
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length === 0 || !this.settings.read(event.document.uri).scanOnType) return;
        this.schedule(event.document, TYPE_DEBOUNCE_MS);
      }),
      vscode.workspace.onDidSaveTextDocument((document) => {
        this.ignoredCache.delete(document.uri.fsPath);
        this.schedule(document, 0);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.closed(document)),
      vscode.workspace.onDidDeleteFiles((event) => event.files.forEach((uri) => this.forget(uri))),
      this.settings.onDidChange((event) => {
        if (event.affectsConfiguration('tokenHub.envFile')) this.rejudgeOpenDocuments();
      }),
    );
    this.rescanOpenDocuments();
  }

  /** The current diagnostics of a file. */
  diagnosticsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  /** Scans an open document now (cancelling a pending debounced scan) and sets its diagnostics. */
  async scanDocument(document: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> {
    const key = document.uri.toString();
    this.debouncer.cancel(key);
    const generation = this.nextGeneration(key);
    const text = document.getText();
    const findings = text.length > MAX_SCAN_BYTES ? [] : exposedFindings(text);
    const diagnostics = await this.judge(document.uri, findings);
    if (this.generations.get(key) !== generation) return this.diagnosticsOf(document.uri);
    this.lastFindings.set(key, findings);
    this.set(document.uri, diagnostics);
    return diagnostics;
  }

  /** Scans the file as it is on disk (binary and huge files count as clean). */
  async scanFile(uri: vscode.Uri): Promise<readonly vscode.Diagnostic[]> {
    const key = uri.toString();
    const generation = this.nextGeneration(key);
    const read = await readScannable(uri.fsPath);
    let diagnostics: vscode.Diagnostic[] = [];
    if (read.text !== undefined && read.mayHoldToken) {
      try {
        diagnostics = await this.diagnosticsFor(uri, read.text);
      } catch (error) {
        this.logger.error(`Scanning ${uri.fsPath} for exposed tokens failed`, error);
      }
    }
    if (this.generations.get(key) !== generation) return this.diagnosticsOf(uri);
    this.set(uri, diagnostics);
    return diagnostics;
  }

  /** true when git (or, without git, the .gitignore rules) ignores the file; cached for a short while. */
  isIgnored(uri: vscode.Uri): Promise<boolean> {
    const cached = this.ignoredCache.get(uri.fsPath);
    if (cached && Date.now() - cached.at < IGNORED_CACHE_MS) return cached.ignored;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const root = folder ? folder.uri.fsPath : path.dirname(uri.fsPath);
    const relative = path.relative(root, uri.fsPath).split(path.sep).join('/');
    const ignored = ignoredAmong(root, [relative]).then((set) => set.has(relative));
    this.ignoredCache.set(uri.fsPath, { at: Date.now(), ignored });
    return ignored;
  }

  forgetIgnores(): void {
    this.ignoredCache.clear();
  }

  /**
   * From now on, an access token no signed-in workspace holds live is reported as such (also in a file git
   * ignores: a dead secret in .env is worth removing), and the diagnostics follow when what is live changes.
   */
  useIdentities(identify: (secret: string) => Promise<TokenIdentity>, changed: vscode.Event<void>): void {
    this.identify = identify;
    this._registerAll(
      changed(() => {
        const reported: vscode.Uri[] = [];
        this.collection.forEach((uri) => {
          reported.push(uri);
        });
        for (const uri of reported) {
          const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString() && !candidate.isClosed);
          if (!document) void this.scanFile(uri);
        }
        this.rejudgeOpenDocuments();
      }),
    );
    this.rescanOpenDocuments();
  }

  /** A secret revoked through the hub: its diagnostics say so from now on (they stay until the text is fixed). */
  async markRevoked(secret: string): Promise<void> {
    this.revoked.add(secretHash(secret));
    await this.rescanReported();
  }

  isRevoked(secret: string): boolean {
    return this.revoked.has(secretHash(secret));
  }

  /** Scans again every file that has diagnostics now (open ones from the editor, others from disk). */
  async rescanReported(): Promise<void> {
    const reported: vscode.Uri[] = [];
    this.collection.forEach((uri) => {
      reported.push(uri);
    });
    await Promise.all(reported.map((uri) => this.rescan(uri)));
  }

  /**
   * Every file of the workspace git would commit: `files.exclude` applies, git-ignored files are skipped (one
   * `git check-ignore --stdin` per folder, the .gitignore rules without git), binary and huge files are skipped.
   * Diagnostics appear as files are read; those of files that are gone or now ignored are cleared at the end.
   */
  async scanWorkspace(
    progress?: (scanned: number, total: number) => void,
    cancellation?: vscode.CancellationToken,
  ): Promise<WorkspaceScanResult> {
    const started = performance.now();
    this.forgetIgnores();
    const result: WorkspaceScanResult = { files: 0, filesWithFindings: 0, findings: 0, ignored: 0, skipped: 0, cancelled: false, milliseconds: 0 };
    const found = (await vscode.workspace.findFiles('**/*', undefined, undefined, cancellation)).filter((uri) => uri.scheme === 'file');

    const byRoot = new Map<string, Array<{ uri: vscode.Uri; relative: string }>>();
    for (const uri of found) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const root = folder ? folder.uri.fsPath : path.dirname(uri.fsPath);
      const relative = path.relative(root, uri.fsPath).split(path.sep).join('/');
      let files = byRoot.get(root);
      if (!files) byRoot.set(root, (files = []));
      files.push({ uri, relative });
    }
    const toScan: vscode.Uri[] = [];
    for (const [root, files] of byRoot) {
      if (cancellation?.isCancellationRequested) break;
      const ignored = await ignoredAmong(root, files.map((file) => file.relative));
      for (const file of files) {
        if (ignored.has(file.relative)) result.ignored++;
        else toScan.push(file.uri);
      }
    }

    const open = new Map(vscode.workspace.textDocuments.map((document) => [document.uri.toString(), document]));
    const scanned = new Set<string>();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < toScan.length && !cancellation?.isCancellationRequested) {
        const uri = toScan[next++];
        const key = uri.toString();
        const generation = this.nextGeneration(key);
        const document = open.get(key);
        let text: string | undefined;
        let mayHoldToken = true;
        if (document && !document.isClosed) text = document.getText();
        else ({ text, mayHoldToken } = await readScannable(uri.fsPath));
        if (text === undefined || text.length > MAX_SCAN_BYTES) result.skipped++;
        else {
          result.files++;
          const findings = mayHoldToken ? exposedFindings(text) : [];
          if (findings.length > 0) {
            result.findings += findings.length;
            result.filesWithFindings++;
          }
          const diagnostics = await this.toDiagnostics(uri, findings, false);
          if (this.generations.get(key) === generation) this.set(uri, diagnostics);
        }
        scanned.add(key);
        progress?.(++done, toScan.length);
      }
    };
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
    result.cancelled = cancellation?.isCancellationRequested === true;

    if (!result.cancelled) {
      // Files reported before but not part of this scan (deleted, excluded, now ignored), unless open in an editor.
      const stale: vscode.Uri[] = [];
      this.collection.forEach((uri) => {
        if (!scanned.has(uri.toString()) && !open.has(uri.toString())) stale.push(uri);
      });
      stale.forEach((uri) => this.forget(uri));
    }
    result.milliseconds = performance.now() - started;
    this.logger.info(
      `Workspace scan${result.cancelled ? ' (cancelled)' : ''}: ${result.findings} exposed token(s) in ${result.filesWithFindings} of ${result.files} file(s), ` +
        `${result.ignored} ignored by git, ${result.skipped} skipped, ${Math.round(result.milliseconds)} ms.`,
    );
    return result;
  }

  private async diagnosticsFor(uri: vscode.Uri, text: string): Promise<vscode.Diagnostic[]> {
    return this.judge(uri, exposedFindings(text));
  }

  /** The diagnostics of findings in a file, under the rules of now; a failure is logged and reports nothing. */
  private async judge(uri: vscode.Uri, findings: TokenFinding[]): Promise<vscode.Diagnostic[]> {
    if (findings.length === 0) return [];
    try {
      return await this.toDiagnostics(uri, findings, await this.isIgnored(uri));
    } catch (error) {
      this.logger.error(`Scanning ${uri.fsPath} for exposed tokens failed`, error);
      return [];
    }
  }

  /**
   * The rules changed (a .gitignore, the env file setting, which tokens are live): each open document is judged
   * again. One waiting for its typing debounce is left to it; one with unsaved changes has the findings of its last
   * scan judged again (its new text is read when the debounce, or tokenHub.scanOnType, says); others are scanned.
   */
  private rejudgeOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) {
      if (document.uri.scheme !== 'file' || document.isClosed) continue;
      const key = document.uri.toString();
      if (this.debouncer.isPending(key)) continue;
      const findings = this.lastFindings.get(key);
      if (!document.isDirty || findings === undefined) {
        this.schedule(document, 0);
        continue;
      }
      const generation = this.nextGeneration(key);
      void this.judge(document.uri, findings).then((diagnostics) => {
        if (this.generations.get(key) === generation) this.set(document.uri, diagnostics);
      });
    }
  }

  /** In a file git ignores, only dead secrets are reported (as information: nothing is exposed, but they are litter). */
  private async toDiagnostics(uri: vscode.Uri, findings: TokenFinding[], ignored: boolean): Promise<vscode.Diagnostic[]> {
    if (findings.length === 0) return [];
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const envFile = isEnvLikeFile(uri.fsPath, this.settings.read(uri).envFile, folder?.uri.fsPath);
    const diagnostics: vscode.Diagnostic[] = [];
    for (const finding of findings) {
      const revoked = finding.kind === 'access' && this.revoked.has(secretHash(finding.token));
      const notLive = !revoked && finding.kind === 'access' && (await this.isNotLive(finding.token));
      if (ignored && !revoked && !notLive) continue;
      const range = new vscode.Range(finding.line, finding.column, finding.line, finding.column + finding.length);
      const severity = ignored ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning;
      const diagnostic = new vscode.Diagnostic(range, leakMessage(finding, { revoked, envFile, notLive }), severity);
      diagnostic.source = LEAK_SOURCE;
      diagnostic.code = revoked ? REVOKED_CODE : notLive ? NOT_LIVE_CODE : EXPOSED_CODE;
      diagnostics.push(diagnostic);
    }
    return diagnostics;
  }

  private async isNotLive(secret: string): Promise<boolean> {
    if (!this.identify) return false;
    try {
      const identity = await this.identify(secret);
      return identity.state === 'notLive' || identity.state === 'expired';
    } catch (error) {
      this.logger.error('Checking whether a found token is live failed', error);
      return false;
    }
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (document.uri.scheme !== 'file') return;
    this.debouncer.schedule(document.uri.toString(), delay, () => {
      if (!document.isClosed) void this.scanDocument(document);
    });
  }

  /**
   * A closed file is judged by what is on disk: a token saved into it (or found by the workspace scan) stays
   * reported; one only typed and never saved goes with the buffer.
   */
  private closed(document: vscode.TextDocument): void {
    if (document.uri.scheme !== 'file') return;
    const key = document.uri.toString();
    this.debouncer.cancel(key);
    this.lastFindings.delete(key);
    void this.scanFile(document.uri);
  }

  private rescan(uri: vscode.Uri): Promise<unknown> {
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    return document && !document.isClosed ? this.scanDocument(document) : this.scanFile(uri);
  }

  private rescanOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  private forget(uri: vscode.Uri): void {
    this.nextGeneration(uri.toString());
    this.lastFindings.delete(uri.toString());
    this.collection.delete(uri);
    this.updated.fire(uri);
  }

  private set(uri: vscode.Uri, diagnostics: vscode.Diagnostic[]): void {
    if (diagnostics.length > 0) this.collection.set(uri, diagnostics);
    else if (this.collection.has(uri)) this.collection.delete(uri);
    this.updated.fire(uri);
  }

  private nextGeneration(key: string): number {
    const generation = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, generation);
    return generation;
  }

}
