// Sign In: hub URL, then account key (password input), checked with GET /v1/workspace before anything is saved.
import { HubRequestError, normaliseHubUrl } from '../../api/client';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, isValidToken } from '../../core/token';
import type { Connection, ConnectionManager } from '../services/connections';
import { BACK, Prompter } from './prompter';

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8787';

export function hubUrlProblem(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) {
    return 'Start the address with http:// or https://, such as http://127.0.0.1:8787.';
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'Enter the hub\'s address, such as http://127.0.0.1:8787.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The address must start with http:// or https://.';
  if (url.username || url.password) return 'Leave credentials out of the address; the account key is asked for next.';
  if (url.search || url.hash) return 'Give the hub\'s base address only, without ? or #.';
  return undefined;
}

export function accountKeyProblem(value: string): string | undefined {
  const key = value.trim();
  if (!key) return 'Paste the workspace\'s account key (it starts with thak_).';
  if (key.startsWith(ACCESS_TOKEN_PREFIX)) return 'That is an access token (thub_…). Sign-in needs the workspace\'s account key, which starts with thak_.';
  if (!key.startsWith(ACCOUNT_KEY_PREFIX)) return 'An account key starts with thak_. Check that you copied all of it.';
  if (!isValidToken(key, ACCOUNT_KEY_PREFIX)) return 'That account key is incomplete or mistyped (its checksum does not match). Copy it again.';
  return undefined;
}

export async function runSignIn(
  prompter: Prompter,
  connections: ConnectionManager,
  preset: { url?: string } = {},
): Promise<Connection | undefined> {
  let url = preset.url ?? DEFAULT_HUB_URL;
  let step: 'url' | 'key' = 'url';
  for (;;) {
    if (step === 'url') {
      const answer = await prompter.askText({
        id: 'hubUrl',
        title: 'Sign in to a Token Hub',
        step: 1,
        totalSteps: 2,
        prompt: 'The address of the hub. It is saved in your user settings, never in the workspace.',
        value: url,
        validate: hubUrlProblem,
      });
      if (answer === undefined || answer === BACK) return undefined;
      url = normaliseHubUrl(answer);
      step = 'key';
      continue;
    }
    let signedIn: Connection | undefined;
    const answer = await prompter.askText({
      id: 'accountKey',
      title: 'Sign in to a Token Hub',
      step: 2,
      totalSteps: 2,
      prompt: 'The workspace\'s account key (thak_…). It is kept in VS Code\'s secret storage and nowhere else.',
      password: true,
      validate: accountKeyProblem,
      validateOnAccept: async (value) => {
        try {
          signedIn = await connections.signIn(url, value.trim());
          return undefined;
        } catch (error) {
          return error instanceof HubRequestError ? error.message : 'Signing in failed. Show the log for details.';
        }
      },
    });
    if (answer === undefined) return undefined;
    if (answer === BACK) {
      step = 'url';
      continue;
    }
    return signedIn;
  }
}
