// Create: name → endpoints → expiry (→ custom date) → review, steps of the one step runner (steps.ts), with Back.
import { HubClient, HubRequestError } from '../../api/client';
import { CreateTokenRequest, Endpoint, TokenWithSecret, Workspace } from '../../contract/types';
import { daysFromNow, formatInstant } from '../../core/dates';
import { calendarDateProblem, validateExpiry, validateTokenName } from '../../core/validation';
import { l10n } from '../l10n';
import { BACK, Prompter } from './prompter';
import { DONE, FlowStep, runSteps } from './steps';

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

/** Asks everything and returns the draft to create, or undefined if the person cancelled. Creates nothing. */
export async function askForNewToken(deps: CreateFlowDeps, initial: Partial<CreateTokenDraft> = {}): Promise<CreateTokenDraft | undefined> {
  const { prompter, workspace, endpoints } = deps;
  const now = deps.now ?? Date.now;
  const title = l10n.t('Create an access token in {0}', workspace.name);
  const draft: CreateTokenDraft = {
    name: initial.name ?? '',
    endpoints: initial.endpoints ?? [],
    expiresAt: initial.expiresAt === undefined ? daysFromNow(workspace.policy.defaultLifetimeDays, now()) : initial.expiresAt,
  };
  let expiryChoice: ExpiryChoice = { kind: 'days', days: workspace.policy.defaultLifetimeDays };

  const askName: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'name',
      title,
      step: 1,
      totalSteps: TOTAL_STEPS,
      prompt: l10n.t('Name the token after the program that will use it: lowercase letters, digits and hyphens.'),
      placeholder: 'billing-service-prod',
      value: draft.name,
      validate: (value) => validateTokenName(value) ?? undefined,
      validateOnAccept: (value) => nameTakenMessage(deps.client, workspace, value),
    });
    if (answer === undefined || answer === BACK) return answer;
    draft.name = answer;
    return askEndpoints;
  };

  const askEndpoints: FlowStep = async () => {
    if (endpoints.length === 0) {
      await prompter.message(l10n.t('The workspace {0} has no endpoints yet, so a token could not call anything.', workspace.name), {
        id: 'noEndpoints',
        severity: 'warning',
        detail: l10n.t('Ask the hub\'s operator to add one with "tokenhub endpoint add", then try again.'),
      });
      return undefined;
    }
    const answer = await prompter.pickMany<string>({
      id: 'endpoints',
      title,
      step: 2,
      totalSteps: TOTAL_STEPS,
      placeholder: l10n.t('Tick the endpoints this token may call.'),
      items: endpoints.map((endpoint) => ({
        label: endpoint.id,
        description: endpoint.name,
        detail: endpoint.description || undefined,
        picked: draft.endpoints.includes(endpoint.id),
        value: endpoint.id,
      })),
      validateSelection: (values) => (values.length === 0 ? l10n.t('Choose at least one endpoint, then press Enter.') : undefined),
    });
    if (answer === undefined || answer === BACK) return answer;
    draft.endpoints = answer;
    return askExpiry;
  };

  const askExpiry: FlowStep = async () => {
    const answer = await prompter.pickOne<ExpiryChoice>({
      id: 'expiry',
      title,
      step: 3,
      totalSteps: TOTAL_STEPS,
      placeholder: l10n.t('When should the token stop working?'),
      items: expiryItems(workspace, expiryChoice, now()),
    });
    if (answer === undefined || answer === BACK) return answer;
    expiryChoice = answer;
    if (answer.kind === 'custom') return askCustomDate;
    draft.expiresAt = answer.kind === 'never' ? null : daysFromNow(answer.days, now());
    return review;
  };

  const askCustomDate: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'customDate',
      title,
      step: 3,
      totalSteps: TOTAL_STEPS,
      prompt: l10n.t('Enter the last day the token works (UTC), within {0} days from today.', workspace.policy.maxLifetimeDays),
      placeholder: 'YYYY-MM-DD',
      value: draft.expiresAt ? draft.expiresAt.slice(0, 10) : '',
      validate: (value) => customDateProblem(value, workspace, now()),
    });
    if (answer === undefined || answer === BACK) return answer;
    draft.expiresAt = endOfDayUtc(answer);
    return review;
  };

  const review: FlowStep = async () => {
    const expiry = draft.expiresAt ? l10n.t('expires {0}', formatInstant(draft.expiresAt)) : l10n.t('never expires');
    const calls = l10n.t('Calls {0}', joinAnd(draft.endpoints));
    const answer = await prompter.pickOne<'create' | 'back'>({
      id: 'review',
      title,
      step: 4,
      totalSteps: TOTAL_STEPS,
      // Short, so it fits the quick input; the details are in the items, which wrap onto their own lines.
      placeholder: l10n.t('Create "{0}"? Press Enter to create it.', draft.name),
      items: [
        { label: `$(check) ${l10n.t('Create token')}`, description: expiry, detail: calls, value: 'create', picked: true },
        { label: `$(arrow-left) ${l10n.t('Back')}`, description: l10n.t('Change the expiry'), value: 'back' },
      ],
    });
    if (answer === 'back') return BACK;
    return answer === 'create' ? DONE : answer;
  };

  return (await runSteps(askName)) ? draft : undefined;
}

/** "a", "a and b", "a, b and c". */
function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join('') : l10n.t('{0} and {1}', items.slice(0, -1).join(', '), items.at(-1) ?? '');
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
      return l10n.t('A token named "{0}" already exists in {1}; choose another name.', name, workspace.name);
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
    label: l10n.t('{0} days', value),
    description: value === defaultLifetimeDays
      ? l10n.t('workspace default · until {0}', formatInstant(daysFromNow(value, now)))
      : l10n.t('until {0}', formatInstant(daysFromNow(value, now))),
    picked: current.kind === 'days' && current.days === value,
    value: { kind: 'days', days: value },
  }));
  items.push({ label: l10n.t('Custom date…'), description: l10n.t('up to {0} days', maxLifetimeDays), picked: current.kind === 'custom', value: { kind: 'custom' } });
  if (allowNoExpiry) {
    items.push({
      label: `$(warning) ${l10n.t('Never expires')}`,
      detail: l10n.t('Not recommended: a leaked token keeps working until someone deletes it.'),
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
  if (Date.parse(expiresAt) <= now) return l10n.t('Choose a date in the future.');
  if (Date.parse(expiresAt) > now + workspace.policy.maxLifetimeDays * DAY_MS) {
    return l10n.t('Choose a date within {0} days from today, the longest this workspace allows.', workspace.policy.maxLifetimeDays);
  }
  return validateExpiry(expiresAt, workspace.policy, now) ?? undefined;
}
