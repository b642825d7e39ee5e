// Sign In: hub URL, then account key (password input), checked with GET /v1/workspace before anything is saved.
import { HubRequestError, normaliseHubUrl } from '../../api/client';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, isValidToken } from '../../core/token';
import type { Connection, ConnectionManager } from '../services/connections';
import { l10n } from '../l10n';
import { BACK, Prompter } from './prompter';
import { DONE, FlowStep, runSteps } from './steps';

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8787';

export function hubUrlProblem(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) {
    return l10n.t('Start the address with http:// or https://, such as http://127.0.0.1:8787.');
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return l10n.t('Enter the hub\'s address, such as http://127.0.0.1:8787.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return l10n.t('The address must start with http:// or https://.');
  if (url.username || url.password) return l10n.t('Leave credentials out of the address; the account key is asked for next.');
  if (url.search || url.hash) return l10n.t('Give the hub\'s base address only, without ? or #.');
  return undefined;
}

export function accountKeyProblem(value: string): string | undefined {
  const key = value.trim();
  if (!key) return l10n.t('Paste the workspace\'s account key (it starts with thak_).');
  if (key.startsWith(ACCESS_TOKEN_PREFIX)) return l10n.t('That is an access token (thub_…). Sign-in needs the workspace\'s account key, which starts with thak_.');
  if (!key.startsWith(ACCOUNT_KEY_PREFIX)) return l10n.t('An account key starts with thak_. Check that you copied all of it.');
  if (!isValidToken(key, ACCOUNT_KEY_PREFIX)) return l10n.t('That account key is incomplete or mistyped (its checksum does not match). Copy it again.');
  return undefined;
}

export async function runSignIn(
  prompter: Prompter,
  connections: ConnectionManager,
  preset: { url?: string } = {},
): Promise<Connection | undefined> {
  let url = preset.url ?? DEFAULT_HUB_URL;
  let signedIn: Connection | undefined;
  const title = l10n.t('Sign in to a Token Hub');
  const askUrl: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'hubUrl',
      title,
      step: 1,
      totalSteps: 2,
      prompt: l10n.t('The address of the hub. It is saved in your user settings, never in the workspace.'),
      value: url,
      validate: hubUrlProblem,
    });
    if (answer === undefined || answer === BACK) return answer;
    url = normaliseHubUrl(answer);
    return askKey;
  };
  const askKey: FlowStep = async () => {
    const answer = await prompter.askText({
      id: 'accountKey',
      title,
      step: 2,
      totalSteps: 2,
      prompt: l10n.t('The workspace\'s account key (thak_…). It is kept in VS Code\'s secret storage and nowhere else.'),
      password: true,
      validate: accountKeyProblem,
      validateOnAccept: async (value) => {
        try {
          signedIn = await connections.signIn(url, value.trim());
          return undefined;
        } catch (error) {
          return error instanceof HubRequestError ? error.message : l10n.t('Signing in failed. Show the log for details.');
        }
      },
    });
    return answer === undefined || answer === BACK ? answer : DONE;
  };
  return (await runSteps(askUrl)) ? signedIn : undefined;
}
