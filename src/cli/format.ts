// Output for people: aligned tables and the same relative dates the extension shows (src/core/dates.ts).
import type { Token } from '../contract/types';
import { describeSpan } from '../core/dates';

/** Columns padded to their widest cell (counted in code points, so "…" is one), separated by two spaces. */
export function table(headers: string[], rows: string[][]): string {
  const width = (text: string) => [...text].length;
  const widths = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i] - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** "3 days ago", "just now", "never". */
export function lastUsed(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const elapsed = now - Date.parse(iso);
  return elapsed < 60_000 ? 'just now' : `${describeSpan(elapsed)} ago`;
}

/** "2026-12-22 (in 30 days)", "2026-11-01 (expired 3 days ago)", "never". */
export function expires(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const remaining = Date.parse(iso) - now;
  return `${iso.slice(0, 10)} (${remaining <= 0 ? `expired ${describeSpan(remaining)} ago` : `in ${describeSpan(remaining, 'nearest')}`})`;
}

export function tokenTable(tokens: Token[], now = Date.now()): string {
  return table(
    ['NAME', 'KEY', 'ENDPOINTS', 'CREATED', 'LAST USED', 'EXPIRES'],
    tokens.map((token) => [
      token.name,
      token.maskedKey,
      token.endpoints.join(','),
      token.createdAt.slice(0, 10),
      lastUsed(token.lastUsedAt, now),
      expires(token.expiresAt, now),
    ]),
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
