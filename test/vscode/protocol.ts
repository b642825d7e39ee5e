// What the suite (inside the extension host) tells the drivers (runInCodeServer, runInElectron), through files:
// - `${TOKENHUB_TEST_REPORT}.events.jsonl`: one JSON event a line, appended as tests run (the driver streams it);
// - `${TOKENHUB_TEST_REPORT}`: the final report, written once at the end.
// Both sides format results the same way, like mocha's spec reporter.

export interface TestResult {
  title: string;
  fullTitle: string;
  file?: string;
  duration?: number;
}

export interface TestFailure extends TestResult {
  /** "Name: message" (and expected/actual when the message has no diff of its own). */
  message: string;
  /** The stack's frames ("    at …" lines) only. */
  stack?: string;
}

export type SuiteEvent =
  | { type: 'start'; files: string[]; total: number; vscodeVersion: string; pid: number }
  | { type: 'suite'; title: string; depth: number }
  | { type: 'pass'; depth: number; test: TestResult; slow: boolean }
  | { type: 'fail'; depth: number; index: number; test: TestFailure }
  | { type: 'pending'; depth: number; test: TestResult }
  | { type: 'error'; message: string }
  | { type: 'end'; passes: number; failures: number; pending: number; duration: number };

export interface SuiteReport {
  vscodeVersion: string;
  started: string;
  finished: string;
  duration: number;
  files: string[];
  passes: TestResult[];
  failures: TestFailure[];
  pending: TestResult[];
}

export const REPORT_ENV = 'TOKENHUB_TEST_REPORT';
export const GREP_ENV = 'TOKENHUB_TEST_GREP';
export const FILES_ENV = 'TOKENHUB_VSCODE_SUITE_FILES';
export const TIMEOUT_ENV = 'TOKENHUB_TEST_TIMEOUT';
/** Set in the Restricted Mode launch: the suite runs the files under restricted/ only (and the normal launch never). */
export const RESTRICTED_ENV = 'TOKENHUB_VSCODE_RESTRICTED';

export function eventsPath(reportPath: string): string {
  return `${reportPath}.events.jsonl`;
}

const indent = (depth: number) => '  '.repeat(Math.max(depth, 0) + 1);

/** The lines mocha's spec reporter would print for one event (none for start and end). */
export function formatEvent(event: SuiteEvent): string[] {
  switch (event.type) {
    case 'suite':
      return event.depth === 0 ? [] : ['', `${indent(event.depth - 1)}${event.title}`];
    case 'pass':
      return [`${indent(event.depth)}✔ ${event.test.title}${event.slow ? ` (${event.test.duration} ms)` : ''}`];
    case 'fail':
      return [`${indent(event.depth)}${event.index}) ${event.test.title}`];
    case 'pending':
      return [`${indent(event.depth)}- ${event.test.title}`];
    case 'error':
      return ['', `  error: ${event.message}`];
    default:
      return [];
  }
}

/** Spec's closing block: counts, then every failure with its message and stack. */
export function formatEnd(report: SuiteReport): string[] {
  const lines = ['', `  ${report.passes.length} passing (${Math.round(report.duration)} ms)`];
  if (report.pending.length > 0) lines.push(`  ${report.pending.length} pending`);
  if (report.failures.length > 0) lines.push(`  ${report.failures.length} failing`);
  report.failures.forEach((failure, i) => {
    lines.push('', `  ${i + 1}) ${failure.fullTitle}:`);
    for (const line of failure.message.trimEnd().split('\n')) lines.push(`     ${line}`);
    for (const line of (failure.stack ?? '').split('\n').filter(Boolean)) lines.push(`     ${line.trim().replace(/^at /, '  at ')}`);
  });
  lines.push('');
  return lines;
}

/** The plain closing line that CI reads: "N passed, N failed" (", N skipped" when some were pending). */
export function summaryLine(passed: number, failed: number, skipped = 0): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}
