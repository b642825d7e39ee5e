// The usage index: every place in the given files that holds a Token Hub access token, kept per file and grouped by
// a hash of the secret. It reuses the leak scanner (scanText) and its way of reading files (readScannable), and has
// no `vscode`, so the benchmark runs it in plain Node. The extension gives it the files (findFiles, which applies
// files.exclude) and then its file events; it never walks the disk again after the first build.
import { createHash } from 'crypto';
import { listEnvEntries } from './env';
import { scanText } from './scanner';
import { isEnvLikeFile, MAX_SCAN_BYTES, readScannable } from './scanFile';

/** sha256 of a secret, hex: how secrets are named in caches and indexes (never the secret itself). */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface Usage {
  /** Absolute path. */
  file: string;
  /** 0-based line and column (UTF-16 code units), as editors count. */
  line: number;
  column: number;
  length: number;
  /** The variable that holds it, in a .env-like file. */
  variable?: string;
  hash: string;
}

/** Folders never indexed, wherever they are. */
export const UNINDEXED_FOLDERS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/** true when the path (relative or absolute, either separator) goes through .git or node_modules. */
export function inUnindexedFolder(file: string): boolean {
  return file.split(/[\\/]/).some((segment) => UNINDEXED_FOLDERS.has(segment));
}

export interface BuildOptions {
  concurrency?: number;
  isCancelled?: () => boolean;
  progress?: (done: number, total: number) => void;
  /** The text of a file open in an editor (its unsaved state is the truth), else undefined to read the disk. */
  openText?: (file: string) => string | undefined;
}

export interface BuildResult {
  /** Files given. */
  files: number;
  /** Files read and scanned (the others are binary, too large, unreadable or under .git/node_modules). */
  scanned: number;
  skipped: number;
  filesWithTokens: number;
  usages: number;
  cancelled: boolean;
  milliseconds: number;
}

export class UsageIndex {
  private readonly byFile = new Map<string, Usage[]>();
  private readonly bySecret = new Map<string, { secret: string; files: Set<string> }>();
  /** Bumped by every update of a file, so a slower earlier read never overwrites a later one. */
  private readonly generations = new Map<string, number>();
  private readonly listeners = new Set<(hashes: ReadonlySet<string>) => void>();

  constructor(private readonly isEnvFile: (file: string) => boolean = (file) => isEnvLikeFile(file, undefined, undefined)) {}

  /** Called with the hashes whose places changed, after each change. */
  onDidChange(listener: (hashes: ReadonlySet<string>) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Reads and scans every file (a few at a time); what is indexed already for other files stays. */
  async build(files: readonly string[], options: BuildOptions = {}): Promise<BuildResult> {
    const started = performance.now();
    const result: BuildResult = { files: files.length, scanned: 0, skipped: 0, filesWithTokens: 0, usages: 0, cancelled: false, milliseconds: 0 };
    const changed = new Set<string>();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < files.length && !options.isCancelled?.()) {
        const file = files[next++];
        const generation = this.nextGeneration(file);
        let text: string | undefined = inUnindexedFolder(file) ? undefined : options.openText?.(file);
        if (text === undefined && !inUnindexedFolder(file)) text = (await readScannable(file)).text;
        if (text === undefined || text.length > MAX_SCAN_BYTES) result.skipped++;
        else {
          result.scanned++;
          if (this.generations.get(file) === generation) {
            const usages = this.apply(file, text, changed);
            if (usages > 0) {
              result.filesWithTokens++;
              result.usages += usages;
            }
          }
        }
        options.progress?.(++done, files.length);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
    result.cancelled = options.isCancelled?.() === true;
    result.milliseconds = performance.now() - started;
    this.fire(changed);
    return result;
  }

  /** The file as it is on disk now (created, changed, closed in the editor). */
  async updateFile(file: string): Promise<void> {
    const generation = this.nextGeneration(file);
    const text = inUnindexedFolder(file) ? undefined : (await readScannable(file)).text;
    if (this.generations.get(file) !== generation) return;
    const changed = new Set<string>();
    if (text === undefined || text.length > MAX_SCAN_BYTES) this.drop(file, changed);
    else this.apply(file, text, changed);
    this.fire(changed);
  }

  /** The file's text as an editor holds it (typed, not yet saved). */
  updateText(file: string, text: string): void {
    this.nextGeneration(file);
    const changed = new Set<string>();
    if (inUnindexedFolder(file) || text.length > MAX_SCAN_BYTES) this.drop(file, changed);
    else this.apply(file, text, changed);
    this.fire(changed);
  }

  /** A file (or every file under a folder) that is gone. */
  remove(fileOrFolder: string): void {
    const changed = new Set<string>();
    for (const file of this.filesUnder(fileOrFolder)) {
      this.nextGeneration(file);
      this.drop(file, changed);
    }
    this.fire(changed);
  }

  /** The indexed files that are this path or lie under it. */
  filesUnder(fileOrFolder: string): string[] {
    const under = fileOrFolder.replace(/[\\/]+$/, '');
    return [...this.byFile.keys()].filter((file) => file === under || file.startsWith(under + '/') || file.startsWith(under + '\\'));
  }

  clear(): void {
    const changed = new Set(this.bySecret.keys());
    for (const file of this.byFile.keys()) this.nextGeneration(file);
    this.byFile.clear();
    this.bySecret.clear();
    this.fire(changed);
  }

  /** Every place holding the secret of this hash, by file then line. */
  usagesOf(hash: string): Usage[] {
    const entry = this.bySecret.get(hash);
    if (!entry) return [];
    return [...entry.files]
      .sort()
      .flatMap((file) => (this.byFile.get(file) ?? []).filter((usage) => usage.hash === hash));
  }

  usagesIn(file: string): readonly Usage[] {
    return this.byFile.get(file) ?? [];
  }

  /** The secret of a hash, for tying it to its token (kept in memory only, as the files hold it anyway). */
  secretOf(hash: string): string | undefined {
    return this.bySecret.get(hash)?.secret;
  }

  hashes(): string[] {
    return [...this.bySecret.keys()];
  }

  get fileCount(): number {
    return this.byFile.size;
  }

  private apply(file: string, text: string, changed: Set<string>): number {
    const findings = scanText(text).filter((finding) => finding.kind === 'access');
    let entries: ReturnType<typeof listEnvEntries> | undefined;
    const usages: Usage[] = findings.map((finding) => {
      const usage: Usage = { file, line: finding.line, column: finding.column, length: finding.length, hash: secretHash(finding.token) };
      if (this.isEnvFile(file)) {
        entries ??= listEnvEntries(text);
        const entry = entries.find((candidate) => candidate.line <= finding.line && finding.line <= candidate.endLine && candidate.value.includes(finding.token));
        if (entry) usage.variable = entry.name;
      }
      const known = this.bySecret.get(usage.hash);
      if (known) known.files.add(file);
      else this.bySecret.set(usage.hash, { secret: finding.token, files: new Set([file]) });
      return usage;
    });
    const before = this.byFile.get(file) ?? [];
    const now = new Set(usages.map((usage) => usage.hash));
    for (const usage of before) {
      if (!now.has(usage.hash)) this.unlink(usage.hash, file);
    }
    if (!sameUsages(before, usages)) for (const usage of [...before, ...usages]) changed.add(usage.hash);
    if (usages.length > 0) this.byFile.set(file, usages);
    else this.byFile.delete(file);
    return usages.length;
  }

  private drop(file: string, changed: Set<string>): void {
    for (const usage of this.byFile.get(file) ?? []) {
      this.unlink(usage.hash, file);
      changed.add(usage.hash);
    }
    this.byFile.delete(file);
  }

  private unlink(hash: string, file: string): void {
    const entry = this.bySecret.get(hash);
    if (!entry) return;
    entry.files.delete(file);
    if (entry.files.size === 0) this.bySecret.delete(hash);
  }

  private nextGeneration(file: string): number {
    const generation = (this.generations.get(file) ?? 0) + 1;
    this.generations.set(file, generation);
    return generation;
  }

  private fire(changed: ReadonlySet<string>): void {
    if (changed.size === 0) return;
    for (const listener of this.listeners) listener(changed);
  }
}

function sameUsages(a: readonly Usage[], b: readonly Usage[]): boolean {
  return a.length === b.length && a.every((usage, i) => {
    const other = b[i];
    return usage.hash === other.hash && usage.line === other.line && usage.column === other.column && usage.variable === other.variable;
  });
}
