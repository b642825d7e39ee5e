// What the editor says about a token's use and history, from the hub's usage and audit answers: the tooltip's lines
// ("1,234 calls in 30 days · last from 10.0.0.3 (python-requests/2.32)", "created by alice 3 days ago · rotated by
// ci 1 hour ago") and the Show Usage view's model (per endpoint, per day). Pure: no vscode, no I/O.
import type { AuditEvent, TokenUsage } from '../contract/types';
import { describeSpan } from './dates';

/** "1,234": grouped digits whatever the machine's locale, so the line reads the same everywhere (and in tests). */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** All calls of the window, accepted and refused. */
export function totalCalls(usage: TokenUsage): number {
  return usage.days.reduce((sum, day) => sum + day.accepted + day.refused, 0);
}

/** "1,234 calls in 30 days · last from 10.0.0.3 (python-requests/2.32)"; "No calls in 30 days" when there were none. */
export function usageLine(usage: TokenUsage): string {
  const total = totalCalls(usage);
  const window = `${usage.days.length} ${usage.days.length === 1 ? 'day' : 'days'}`;
  if (total === 0) return `No calls in ${window}`;
  const calls = `${formatCount(total)} ${total === 1 ? 'call' : 'calls'} in ${window}`;
  if (!usage.lastClientAddress) return calls;
  return `${calls} · last from ${usage.lastClientAddress}${usage.lastUserAgent ? ` (${usage.lastUserAgent})` : ''}`;
}

const VERBS: Partial<Record<AuditEvent['action'], string>> = {
  'token.created': 'created',
  'token.rotated': 'rotated',
  'token.deleted': 'deleted',
};

/** Who did it: the account key's label, else its mask; "the operator" for the hub's command line. */
export function actorName(event: AuditEvent): string {
  return event.actor.kind === 'operator' ? 'the operator' : (event.actor.label ?? event.actor.maskedKey);
}

/** "created by alice 3 days ago · rotated by ci 1 hour ago", oldest first; empty without events of the token. */
export function historyLine(events: readonly AuditEvent[], now = Date.now()): string {
  return [...events]
    .filter((event) => VERBS[event.action] !== undefined)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((event) => {
      const elapsed = now - Date.parse(event.at);
      const when = elapsed < 60_000 ? 'just now' : `${describeSpan(elapsed)} ago`;
      return `${VERBS[event.action]} by ${actorName(event)} ${when}`;
    })
    .join(' · ');
}

export interface EndpointSeries {
  endpointId: string;
  /** One entry per day of the window, oldest first. */
  days: Array<{ date: string; accepted: number; refused: number }>;
  accepted: number;
  refused: number;
}

export interface UsageModel {
  tokenId: string;
  dates: string[];
  /** The token's endpoints first (in its order), then any other endpoint it was refused on. */
  endpoints: EndpointSeries[];
  /** The highest day of any endpoint (accepted + refused): the chart's scale. */
  peak: number;
  summary: string;
}

export function usageModel(usage: TokenUsage, tokenEndpoints: readonly string[]): UsageModel {
  const ids = [...tokenEndpoints];
  for (const day of usage.days) for (const id of Object.keys(day.byEndpoint)) if (!ids.includes(id)) ids.push(id);
  const endpoints = ids.map((endpointId) => {
    const days = usage.days.map((day) => ({ date: day.date, accepted: day.byEndpoint[endpointId]?.accepted ?? 0, refused: day.byEndpoint[endpointId]?.refused ?? 0 }));
    return {
      endpointId,
      days,
      accepted: days.reduce((sum, d) => sum + d.accepted, 0),
      refused: days.reduce((sum, d) => sum + d.refused, 0),
    };
  });
  const peak = Math.max(0, ...endpoints.flatMap((e) => e.days.map((d) => d.accepted + d.refused)));
  return { tokenId: usage.tokenId, dates: usage.days.map((d) => d.date), endpoints, peak, summary: usageLine(usage) };
}
