// Create: name → endpoints → expiry (→ custom date) → review, as a small state machine with Back.
import { HubClient, HubRequestError } from '../../api/client';
import { CreateTokenRequest, Endpoint, TokenWithSecret, Workspace } from '../../contract/types';
import { daysFromNow, formatInstant } from '../../core/dates';
import { calendarDateProblem, validateExpiry, validateTokenName } from '../../core/validation';
import { BACK, Prompter } from './prompter';

const TOTAL_STEPS = 4;
const DAY_MS = 86_400_000;

type ExpiryChoice = { kind: 'days'; days: number } | { kind: 'custom' } | { kind: 'never' };

export interface CreateTokenDraft {
  name: string;
  endpoints: string[];
  /** ISO instant, or null for "never expires". */
  expiresAt: string | null;
}

export interface CreateFlowDeps {
  prompter: Prompter;
  client: HubClient;
  workspace: Workspace;
  endpoints: Endpoint[];
  now?: () => number;
}

type State = 'name' | 'endpoints' | 'expiry' | 'customDate' | 'review';

/** Asks everything and returns the draft to create, or undefined if the person cancelled. Creates nothing. */
export async function askForNewToken(deps: CreateFlowDeps, initial: Partial<CreateTokenDraft> = {}): Promise<CreateTokenDraft | undefined> {
  const { prompter, workspace, endpoints } = deps;
  const now = deps.now ?? Date.now;
  const title = `Create an access token in ${workspace.name}`;
  const draft: CreateTokenDraft = {
    name: initial.name ?? '',
    endpoints: initial.endpoints ?? [],
    expiresAt: initial.expiresAt === undefined ? daysFromNow(workspace.policy.defaultLifetimeDays, now()) : initial.expiresAt,
  };
  let expiryChoice: ExpiryChoice = { kind: 'days', days: workspace.policy.defaultLifetimeDays };
  let state: State = 'name';
  for (;;) {
    switch (state) {
      case 'name': {
        const answer = await prompter.askText({
          id: 'name',
          title,
          step: 1,
          totalSteps: TOTAL_STEPS,
          prompt: 'Name the token after the program that will use it: lowercase letters, digits and hyphens.',
          placeholder: 'billing-service-prod',
          value: draft.name,
          validate: (value) => validateTokenName(value) ?? undefined,
          validateOnAccept: (value) => nameTakenMessage(deps.client, workspace, value),
        });
        if (answer === undefined || answer === BACK) return undefined;
        draft.name = answer;
        state = 'endpoints';
        break;
      }
      case 'endpoints': {
        if (endpoints.length === 0) {
          await prompter.message(`The workspace ${workspace.name} has no endpoints yet, so a token could not call anything.`, {
            id: 'noEndpoints',
            severity: 'warning',
            detail: 'Ask the hub\'s operator to add one with "tokenhub endpoint add", then try again.',
          });
          return undefined;
        }
        const answer = await prompter.pickMany<string>({
          id: 'endpoints',
          title,
          step: 2,
          totalSteps: TOTAL_STEPS,
          placeholder: 'Tick the endpoints this token may call.',
          items: endpoints.map((endpoint) => ({
            label: endpoint.id,
            description: endpoint.name,
            detail: endpoint.description || undefined,
            picked: draft.endpoints.includes(endpoint.id),
            value: endpoint.id,
          })),
          validateSelection: (values) => (values.length === 0 ? 'Choose at least one endpoint, then press Enter.' : undefined),
        });
        if (answer === undefined) return undefined;
        if (answer === BACK) {
          state = 'name';
          break;
        }
        draft.endpoints = answer;
        state = 'expiry';
        break;
      }
      case 'expiry': {
        const answer: ExpiryChoice | typeof BACK | undefined = await prompter.pickOne<ExpiryChoice>({
          id: 'expiry',
          title,
          step: 3,
          totalSteps: TOTAL_STEPS,
          placeholder: 'When should the token stop working?',
          items: expiryItems(workspace, expiryChoice, now()),
        });
        if (answer === undefined) return undefined;
        if (answer === BACK) {
          state = 'endpoints';
          break;
        }
        expiryChoice = answer;
        if (answer.kind === 'custom') {
          state = 'customDate';
          break;
        }
        draft.expiresAt = answer.kind === 'never' ? null : daysFromNow(answer.days, now());
        state = 'review';
        break;
      }
      case 'customDate': {
        const answer = await prompter.askText({
          id: 'customDate',
          title,
          step: 3,
          totalSteps: TOTAL_STEPS,
          prompt: `Enter the last day the token works (UTC), within ${workspace.policy.maxLifetimeDays} days from today.`,
          placeholder: 'YYYY-MM-DD',
          value: draft.expiresAt ? draft.expiresAt.slice(0, 10) : '',
          validate: (value) => customDateProblem(value, workspace, now()),
        });
        if (answer === undefined) return undefined;
        if (answer === BACK) {
          state = 'expiry';
          break;
        }
        draft.expiresAt = endOfDayUtc(answer);
        state = 'review';
        break;
      }
      case 'review': {
        const expiry = draft.expiresAt ? `expires ${formatInstant(draft.expiresAt)}` : 'never expires';
        const calls = `Calls ${joinAnd(draft.endpoints)}`;
        const answer = await prompter.pickOne<'create' | 'back'>({
          id: 'review',
          title,
          step: 4,
          totalSteps: TOTAL_STEPS,
          // Short, so it fits the quick input; the details are in the items, which wrap onto their own lines.
          placeholder: `Create "${draft.name}"? Press Enter to create it.`,
          items: [
            { label: '$(check) Create token', description: expiry, detail: calls, value: 'create', picked: true },
            { label: '$(arrow-left) Back', description: 'Change the expiry', value: 'back' },
          ],
        });
        if (answer === undefined) return undefined;
        if (answer === BACK || answer === 'back') {
          state = expiryChoice.kind === 'custom' ? 'customDate' : 'expiry';
          break;
        }
        return draft;
      }
    }
  }
}

/** "a", "a and b", "a, b and c". */
function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function toCreateRequest(draft: CreateTokenDraft): CreateTokenRequest {
  return { name: draft.name, endpoints: draft.endpoints, expiresAt: draft.expiresAt };
}

/** Creates through the hub with one Idempotency-Key for this action (the client retries lost answers with it). */
export function createToken(client: HubClient, draft: CreateTokenDraft, idempotencyKey: string): Promise<TokenWithSecret> {
  return client.createToken(toCreateRequest(draft), { idempotencyKey });
}

async function nameTakenMessage(client: HubClient, workspace: Workspace, name: string): Promise<string | undefined> {
  try {
    const page = await client.listTokens({ search: name, limit: 200 });
    if (page.data.some((token) => token.name === name)) {
      return `A token named "${name}" already exists in ${workspace.name}; choose another name.`;
    }
  } catch (error) {
    // The hub will check the name again on create; a lookup failure must not block typing.
    if (error instanceof HubRequestError && error.isUnauthorized) return error.message;
  }
  return undefined;
}

function expiryItems(workspace: Workspace, current: ExpiryChoice, now: number) {
  const { defaultLifetimeDays, maxLifetimeDays, allowNoExpiry } = workspace.policy;
  const days = [...new Set([defaultLifetimeDays, 7, 60, 90])].filter((value) => value <= maxLifetimeDays);
  days.sort((a, b) => (a === defaultLifetimeDays ? -1 : b === defaultLifetimeDays ? 1 : a - b));
  const items: Array<{ label: string; description?: string; detail?: string; picked?: boolean; value: ExpiryChoice }> = days.map((value) => ({
    label: `${value} days`,
    description: `${value === defaultLifetimeDays ? 'workspace default · ' : ''}until ${formatInstant(daysFromNow(value, now))}`,
    picked: current.kind === 'days' && current.days === value,
    value: { kind: 'days', days: value },
  }));
  items.push({ label: 'Custom date…', description: `up to ${maxLifetimeDays} days`, picked: current.kind === 'custom', value: { kind: 'custom' } });
  if (allowNoExpiry) {
    items.push({
      label: '$(warning) Never expires',
      detail: 'Not recommended: a leaked token keeps working until someone deletes it.',
      picked: current.kind === 'never',
      value: { kind: 'never' },
    });
  }
  return items;
}

function endOfDayUtc(date: string): string {
  return `${date}T23:59:59.000Z`;
}

export function customDateProblem(value: string, workspace: Workspace, now: number): string | undefined {
  const problem = calendarDateProblem(value);
  if (problem) return problem;
  const expiresAt = endOfDayUtc(value.trim());
  if (Date.parse(expiresAt) <= now) return 'Choose a date in the future.';
  if (Date.parse(expiresAt) > now + workspace.policy.maxLifetimeDays * DAY_MS) {
    return `Choose a date within ${workspace.policy.maxLifetimeDays} days from today, the longest this workspace allows.`;
  }
  return validateExpiry(expiresAt, workspace.policy, now) ?? undefined;
}
