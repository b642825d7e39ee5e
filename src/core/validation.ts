// The contract's field rules, phrased as sentences a person can act on. Used by the hub (authoritative)
// and by the extension and CLI (to answer as the user types, before the hub is asked).
import { API_LIMITS, WorkspacePolicy } from '../contract/types';

const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const DAY_MS = 86_400_000;

/** Returns null when the name is acceptable, else why not. */
export function validateTokenName(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'Enter a name for the token, such as "billing-service-prod".';
  if (name.length > API_LIMITS.nameMaxLength) {
    return `The name is ${name.length} characters long; use at most ${API_LIMITS.nameMaxLength}.`;
  }
  if (!NAME_PATTERN.test(name)) {
    const refused = refusedNameCharacters(name);
    if (refused) return `Use only lowercase letters, digits and hyphens in the name: ${refused}.`;
    return 'Start and end the name with a letter or digit, not a hyphen.';
  }
  return null;
}

/** What in a name the pattern refuses, named so the person sees it: "M and T are capitals, and it has a space and !". */
function refusedNameCharacters(name: string): string | undefined {
  const capitals = [...new Set(name.match(/[A-Z]/g) ?? [])];
  const spaces = /\s/.test(name);
  const others = [...new Set([...name].filter((c) => !/[a-z0-9\-A-Z\s]/.test(c)))];
  const parts: string[] = [];
  if (capitals.length > 0) parts.push(`${listOf(capitals)} ${capitals.length === 1 ? 'is a capital letter' : 'are capital letters'} (use lowercase)`);
  if (spaces) parts.push('it has a space (use a hyphen)');
  if (others.length > 0) parts.push(`${listOf(others.map((c) => `"${c}"`))} ${others.length === 1 ? 'is' : 'are'} not allowed`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function listOf(items: string[]): string {
  const shown = items.slice(0, 5);
  const more = items.length > shown.length ? `, and ${items.length - shown.length} more` : '';
  return shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}${more}`;
}

export function validateEndpointIds(endpoints: unknown, known?: ReadonlySet<string>): string | null {
  if (!Array.isArray(endpoints) || endpoints.length === 0) return 'Choose at least one endpoint the token may call.';
  if (endpoints.length > API_LIMITS.endpointsMax) return `Choose at most ${API_LIMITS.endpointsMax} endpoints.`;
  if (endpoints.some((id) => typeof id !== 'string' || id.length === 0)) return 'Each endpoint must be given by its id.';
  if (new Set(endpoints).size !== endpoints.length) return 'Each endpoint may be listed only once.';
  if (known) {
    const unknown = (endpoints as string[]).filter((id) => !known.has(id));
    if (unknown.length > 0) {
      return `This workspace has no endpoint ${unknown.map((id) => `"${truncateForMessage(id)}"`).join(', ')}; choose from its endpoints.`;
    }
  }
  return null;
}

/**
 * Checks an expiry against the workspace policy. `expiresAt` null means "never expires".
 * Returns null when acceptable, else why not.
 */
export function validateExpiry(expiresAt: string | null, policy: WorkspacePolicy, now = Date.now()): string | null {
  if (expiresAt === null) {
    return policy.allowNoExpiry ? null : 'This workspace requires every token to expire; choose an expiry date.';
  }
  const time = parseIsoDate(expiresAt);
  if (time === null) return 'Give the expiry as an ISO 8601 date and time, such as 2026-12-31T00:00:00Z.';
  if (time < now + API_LIMITS.minExpiryAheadMs) return 'Choose an expiry at least one minute in the future.';
  if (time > now + policy.maxLifetimeDays * DAY_MS) {
    return `Choose an expiry within ${policy.maxLifetimeDays} days from now, the longest this workspace allows.`;
  }
  return null;
}

/** Milliseconds since the epoch for a strict ISO 8601 date or date-time; null for anything else. */
export function parseIsoDate(text: string): number | null {
  if (typeof text !== 'string') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!match) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = match;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  // Without a zone a date-time is read as UTC, as the contract speaks only UTC.
  const normalised = match[4] && !match[7] ? `${text}Z` : text;
  const time = Date.parse(match[4] ? normalised : `${y}-${mo}-${d}T00:00:00Z`);
  if (Number.isNaN(time)) return null;
  // Reject dates Date.parse rolls over, such as 2026-02-31.
  const check = new Date(Date.UTC(Number(y), month - 1, day));
  if (check.getUTCMonth() !== month - 1) return null;
  return time;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Why a day typed as YYYY-MM-DD is not one, or null when it is a day of the calendar. A text of the right shape that
 * names no day (2026-02-30) is told so, not asked for the shape it already has.
 */
export function calendarDateProblem(text: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return 'Enter a date as YYYY-MM-DD, for example 2026-12-31.';
  const year = Number(match[1]), month = Number(match[2]), day = Number(match[3]);
  if (month < 1 || month > 12) return `${text.trim()} is not a date: the month must be 01 to 12.`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return `${text.trim()} does not exist: ${MONTHS[month - 1]} ${year} has ${days} days.`;
  return null;
}

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateEnvVariableName(name: string): string | null {
  if (!name) return 'Enter a variable name, such as TOKENHUB_TOKEN.';
  if (!ENV_NAME_PATTERN.test(name)) {
    return 'Use letters, digits and underscores only, not starting with a digit (for example TOKENHUB_TOKEN).';
  }
  return null;
}

export function truncateForMessage(value: string, max = 40): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** True when the text holds a C0 control character (a newline included) or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
