// Runs INSIDE the extension host (VS Code loads it as extensionTestsPath): mocha over every *.test.js beside it.
// Environment (forwarded by the drivers):
//   TOKENHUB_TEST_REPORT          where the JSON report goes (and `${…}.events.jsonl`, streamed while tests run)
//   TOKENHUB_TEST_GREP            only tests whose full title matches (mocha's --grep)
//   TOKENHUB_VSCODE_SUITE_FILES   comma-separated file names or parts of paths: only these test files
//   TOKENHUB_TEST_TIMEOUT         mocha's timeout in ms (default 60000)
import * as fs from 'fs';
import * as path from 'path';
import type MochaType from 'mocha';
import * as vscode from 'vscode';
import {
  FILES_ENV,
  GREP_ENV,
  REPORT_ENV,
  RESTRICTED_ENV,
  TIMEOUT_ENV,
  eventsPath,
  formatEnd,
  formatEvent,
  type SuiteEvent,
  type SuiteReport,
  type TestFailure,
  type TestResult,
} from '../protocol';

type MochaClass = typeof MochaType;

function loadMocha(): MochaClass {
  // mocha 12 is an ES module: Node ≥ 20.19 can require() it; the namespace's default export is the class.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('mocha') as MochaClass & { default?: MochaClass };
  return loaded.default ?? loaded;
}

function listTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listTests(full);
      return entry.name.endsWith('.test.js') ? [full] : [];
    })
    .sort();
}

/** The test files to run: all of them, or those TOKENHUB_VSCODE_SUITE_FILES names (by name, name stem, or part of path). */
export function selectTests(all: string[], root: string, filter: string | undefined): string[] {
  const wanted = (filter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) return all;
  const selected = all.filter((file) => {
    const relative = path.relative(root, file).split(path.sep).join('/');
    return wanted.some((w) => {
      const stem = w.replace(/\.(test\.)?(ts|js)$/, '');
      return relative === w || relative.replace(/\.test\.js$/, '') === stem || relative.includes(stem);
    });
  });
  if (selected.length === 0) throw new Error(`${FILES_ENV}=${filter} matches none of: ${all.map((f) => path.relative(root, f)).join(', ')}`);
  return selected;
}

class Recorder {
  private readonly events: string | undefined;
  readonly passes: TestResult[] = [];
  readonly failures: TestFailure[] = [];
  readonly pending: TestResult[] = [];
  readonly started = new Date();

  constructor(private readonly reportPath: string | undefined) {
    if (reportPath) {
      fs.mkdirSync(path.dirname(reportPath), { recursive: true });
      fs.rmSync(reportPath, { force: true });
      this.events = eventsPath(reportPath);
      fs.writeFileSync(this.events, '');
    }
  }

  emit(event: SuiteEvent): void {
    if (this.events) fs.appendFileSync(this.events, `${JSON.stringify(event)}\n`);
    // Also to the extension host's console (the Electron driver's output; the browser console under code-server).
    for (const line of formatEvent(event)) console.log(line);
  }

  finish(files: string[]): SuiteReport {
    const finished = new Date();
    const report: SuiteReport = {
      vscodeVersion: vscode.version,
      started: this.started.toISOString(),
      finished: finished.toISOString(),
      duration: finished.getTime() - this.started.getTime(),
      files,
      passes: this.passes,
      failures: this.failures,
      pending: this.pending,
    };
    this.emit({ type: 'end', passes: this.passes.length, failures: this.failures.length, pending: this.pending.length, duration: report.duration });
    for (const line of formatEnd(report)) console.log(line);
    if (this.reportPath) {
      const temporary = `${this.reportPath}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`);
      fs.renameSync(temporary, this.reportPath); // the driver never reads half a report
    }
    return report;
  }
}

function describeError(error: unknown): { message: string; stack?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const extra = error as Error & { actual?: unknown; expected?: unknown; showDiff?: boolean };
  let message = `${error.name}: ${error.message}`;
  // Node's assert puts its own diff in the message; other libraries leave expected/actual to the reporter.
  if (extra.showDiff !== false && 'expected' in extra && 'actual' in extra && !error.message.includes('\n')) {
    message += `\nexpected: ${show(extra.expected)}\nactual:   ${show(extra.actual)}`;
  }
  // The stack without its first lines, which repeat the message.
  // Node's, VS Code's and mocha's own frames say nothing about the test (as spec leaves them out too).
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const ours = frames.filter((line) => !/node:internal|extensionHostProcess\.js|node_modules[\\/]mocha[\\/]|\(<anonymous>\)/.test(line));
  return { message, stack: (ours.length > 0 ? ours : frames.slice(0, 5)).join('\n') || undefined };
}

function show(value: unknown): string {
  if (typeof value === 'string') return value; // mocha has already turned them into strings
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function depthOf(runnable: MochaType.Runnable | MochaType.Suite): number {
  let depth = 0;
  for (let parent = runnable.parent; parent && !parent.root; parent = parent.parent) depth++;
  return depth;
}

export async function run(): Promise<void> {
  process.setSourceMapsEnabled?.(true);
  const recorder = new Recorder(process.env[REPORT_ENV]);
  const root = __dirname;
  let files: string[] = [];
  try {
    // The Restricted Mode launch runs restricted/ only; the normal launch never does (it would find the folder trusted).
    const restricted = process.env[RESTRICTED_ENV] === '1';
    const inRestricted = (file: string) => path.relative(root, file).split(path.sep)[0] === 'restricted';
    files = selectTests(listTests(root).filter((file) => inRestricted(file) === restricted), root, process.env[FILES_ENV]);
    const Mocha = loadMocha();
    const mocha = new Mocha({
      ui: 'bdd',
      color: false,
      timeout: Number(process.env[TIMEOUT_ENV] ?? 60_000),
      reporter: 'base', // counts only: the recorder below prints and records
    });
    const grep = process.env[GREP_ENV];
    if (grep) mocha.grep(grep);
    for (const file of files) mocha.addFile(file);

    const failures = await new Promise<number>((resolve, reject) => {
      let runner: MochaType.Runner;
      try {
        runner = mocha.run((count) => resolve(count));
      } catch (error) {
        reject(error); // a test file that throws while loading
        return;
      }
      recorder.emit({
        type: 'start',
        files: files.map((f) => path.relative(root, f)),
        total: runner.total,
        vscodeVersion: vscode.version,
        pid: process.pid,
      });
      const result = (test: MochaType.Runnable): TestResult => ({
        title: test.title,
        fullTitle: test.fullTitle(),
        file: test.file ? path.relative(root, test.file) : undefined,
        duration: test.duration,
      });
      runner.on('suite', (suite) => {
        if (!suite.root) recorder.emit({ type: 'suite', title: suite.title, depth: depthOf(suite) + 1 });
      });
      runner.on('pass', (test) => {
        const r = result(test);
        recorder.passes.push(r);
        recorder.emit({ type: 'pass', depth: depthOf(test), test: r, slow: (test.duration ?? 0) > test.slow() / 2 });
      });
      runner.on('fail', (test, error) => {
        const failure: TestFailure = { ...result(test), ...describeError(error) };
        recorder.failures.push(failure);
        recorder.emit({ type: 'fail', depth: depthOf(test), index: recorder.failures.length, test: failure });
      });
      runner.on('pending', (test) => {
        const r = result(test);
        recorder.pending.push(r);
        recorder.emit({ type: 'pending', depth: depthOf(test), test: r });
      });
    });
    void failures;
  } catch (error) {
    const { message, stack } = describeError(error);
    recorder.emit({ type: 'error', message });
    recorder.failures.push({ title: 'loading the tests', fullTitle: 'loading the tests', message, stack });
  }
  const report = recorder.finish(files.map((f) => path.relative(root, f)));
  if (report.failures.length > 0) throw new Error(`${report.failures.length} test(s) failed`);
  if (report.passes.length === 0) throw new Error('no test ran');
}
