// What both drivers (runInCodeServer, runInElectron) share: arguments, the test workspace, the environment given to
// the extension host, and reading the suite's report.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FILES_ENV, GREP_ENV, REPORT_ENV, RESTRICTED_ENV, formatEnd, formatEvent, summaryLine, type SuiteEvent, type SuiteReport } from './protocol';

/** out/test/vscode -> the repository. */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const SUITE_INDEX = path.join(__dirname, 'suite', 'index');
export const RESULTS_DIR = path.join(REPO, 'test-results', 'vscode');

export interface DriverArgs {
  grep?: string;
  files?: string;
  /** Only the Restricted Mode launch (test/vscode/suite/restricted/). */
  restricted?: boolean;
}

export function parseArgs(argv: string[]): DriverArgs {
  const args: DriverArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === '--grep' || name === '-g') args.grep = value();
    else if (name === '--files') args.files = value();
    else if (name === '--restricted') args.restricted = true;
    else throw new Error(`unknown argument ${arg}\nusage: [--grep <regexp>] [--files <name,…>] [--restricted] (or ${FILES_ENV}=name,…)`);
  }
  return args;
}

export function checkBuilt(): void {
  const missing = [path.join(REPO, 'dist', 'extension.js'), `${SUITE_INDEX}.js`].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(`not built: ${missing.join(', ')}\nrun \`node esbuild.js && node esbuild.js --tests\` (npm test's pretest does)`);
  }
}

/** A fresh workspace folder like a user's project: a .env file, git-ignored. */
export function makeWorkspace(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-vscode-ws-'));
  fs.writeFileSync(path.join(folder, '.env'), '# a project of the test host\nEXISTING_VARIABLE=keep-me\n');
  fs.writeFileSync(path.join(folder, '.gitignore'), '.env\nnode_modules/\n');
  return folder;
}

/** The extension host's environment: every TOKENHUB_* variable of ours, the report path, grep and file filters. */
export function suiteEnv(args: DriverArgs, reportPath: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TOKENHUB_') && value !== undefined) env[key] = value;
  }
  env[REPORT_ENV] = reportPath;
  if (args.grep !== undefined) env[GREP_ENV] = args.grep;
  if (args.files !== undefined) env[FILES_ENV] = args.files;
  if (args.restricted) env[RESTRICTED_ENV] = '1';
  return env;
}

/**
 * A folder of this run's own for the report, the events and the logs: runs started at the same time in one checkout
 * (two engineers, or test:vscode beside test:e2e) do not mix. publishResults() copies it to test-results/vscode/.
 */
export function prepareResults(): { runDir: string; reportPath: string } {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-vscode-results-'));
  return { runDir, reportPath: path.join(runDir, 'report.json') };
}

/** Replaces test-results/vscode/ (or another folder of results) with this run's files; returns that folder. */
export function publishResults(runDir: string, resultsDir = RESULTS_DIR): string {
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(resultsDir), { recursive: true });
  fs.cpSync(runDir, resultsDir, { recursive: true });
  fs.rmSync(runDir, { recursive: true, force: true });
  return resultsDir;
}

/**
 * The launches a run needs: the normal one (Workspace Trust off) and the Restricted Mode one (trust on, the folder
 * untrusted, test/vscode/suite/restricted/ only), each with the file names meant for it. A run naming only files of
 * one launch starts only that one; --restricted starts only the second.
 */
export function launchesFor(args: DriverArgs): DriverArgs[] {
  const names = args.files?.split(',').map((name) => name.trim()).filter(Boolean);
  const isRestricted = (name: string) => /(^|\/)restricted/.test(name);
  const pick = (wanted: boolean) => (names ? names.filter((name) => isRestricted(name) === wanted) : undefined);
  const launches: DriverArgs[] = [];
  const normal = pick(false);
  if (!args.restricted && (!normal || normal.length > 0)) launches.push({ grep: args.grep, files: normal?.join(',') });
  const restricted = pick(true);
  if (args.restricted || !restricted || restricted.length > 0) launches.push({ grep: args.grep, files: args.restricted ? args.files : restricted?.join(','), restricted: true });
  return launches;
}

export function readReport(reportPath: string): SuiteReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(reportPath, 'utf8')) as SuiteReport;
  } catch {
    return undefined;
  }
}

/** Follows the events file as the suite appends to it, and prints each result as spec would. */
export class EventStream {
  private offset = 0;
  private partial = '';
  started: Extract<SuiteEvent, { type: 'start' }> | undefined;
  ended = false;
  count = 0;

  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void = (line) => console.log(line),
  ) {}

  poll(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return; // not yet
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // truncated: a new run
      if (size === this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset = size;
      const text = this.partial + buffer.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.handle(JSON.parse(line) as SuiteEvent);
    } finally {
      fs.closeSync(fd);
    }
  }

  private handle(event: SuiteEvent): void {
    this.count++;
    if (event.type === 'start') {
      this.started = event;
      this.print(`VS Code ${event.vscodeVersion}: ${event.total} test(s) in ${event.files.join(', ') || 'no file'}`);
    }
    if (event.type === 'end') this.ended = true;
    for (const line of formatEvent(event)) this.print(line);
  }
}

/** Prints spec's closing block (unless the suite's own console output showed it) and the plain summary line; returns the exit code. */
export function finish(report: SuiteReport | undefined, problem: string | undefined, printClosingBlock = true): number {
  const passed = report?.passes.length ?? 0;
  const failed = report?.failures.length ?? 0;
  const skipped = report?.pending.length ?? 0;
  if (report && printClosingBlock) for (const line of formatEnd(report)) console.log(line);
  if (problem) console.error(`\nerror: ${problem}`);
  else if (report && passed + failed === 0) console.error('\nerror: no test ran');
  // The counts are the tests' own; a problem (no report, a timeout) shows above and in the exit code.
  console.log(summaryLine(passed, failed, skipped));
  return problem || !report || failed > 0 || passed + failed === 0 ? 1 : 0;
}
