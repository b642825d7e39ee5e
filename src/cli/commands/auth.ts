// tokenhub login | logout | whoami
import { HubClient } from '../../api/client';
import { ACCESS_TOKEN_PREFIX, ACCOUNT_KEY_PREFIX, isValidToken, maskToken } from '../../core/token';
import { command, parse } from '../command';
import { DEFAULT_HUB_URL, checkHubUrl, credentialsFile, forgetCredentials, saveCredentials } from '../credentials';
import { CliError, EXIT, EXIT_CODES_HELP, UsageError } from '../errors';
import { printJson } from '../format';
import { connect } from '../hub';
import { askHidden, askLine, readAllStdin, stdinIsTerminal } from '../prompt';

const LOGIN_HELP = `Usage: tokenhub login [--url URL] [--key-stdin]

Signs in to a hub with a workspace's account key (thak_…): checks it with the hub, then stores the URL and key in
the operating system's keychain when one is available (the macOS Keychain, the Windows Credential Manager, the
Secret Service on Linux), else in ${credentialsFile()} (readable only by you).
On a terminal it asks for the URL and the key (not echoed).

Options:
  --url URL     the hub's address (default ${DEFAULT_HUB_URL}, or TOKENHUB_URL)
  --key-stdin   read the account key from standard input, for scripts: tokenhub login --key-stdin < key.txt
  -h, --help    show this help

Environment:
  TOKENHUB_URL, TOKENHUB_ACCOUNT_KEY  used by every command instead of the stored credentials
  TOKENHUB_CONFIG_DIR                 the folder of credentials.json
  TOKENHUB_KEYCHAIN=none              never use the keychain; store in the file

${EXIT_CODES_HELP}`;

export const login = command('login', 'sign in to a hub with an account key and remember it', LOGIN_HELP, async (argv) => {
  const { values } = parse(argv, { url: { type: 'string' }, 'key-stdin': { type: 'boolean' } });
  const interactive = stdinIsTerminal();
  if (!values['key-stdin'] && !interactive) {
    throw new UsageError('Standard input is not a terminal; pipe the account key in and add --key-stdin.');
  }
  const fallbackUrl = process.env.TOKENHUB_URL || DEFAULT_HUB_URL;
  let url = values.url;
  if (url === undefined && interactive && !values['key-stdin']) url = (await askLine(`Hub URL [${fallbackUrl}]: `)).trim();
  url = checkHubUrl(url || fallbackUrl);

  const key = (values['key-stdin'] ? await readAllStdin() : await askHidden('Account key (thak_…, not shown): ')).trim();
  if (!isValidToken(key, ACCOUNT_KEY_PREFIX)) {
    const why = key.startsWith(ACCESS_TOKEN_PREFIX)
      ? 'that is an access token (thub_…); sign in with the workspace\'s account key (thak_…)'
      : 'an account key is "thak_" and 49 letters and digits; check that it was copied whole';
    throw new CliError(`That is not an account key: ${why}.`, EXIT.unauthorized);
  }
  const workspace = await new HubClient({ baseUrl: url, accountKey: key }).getWorkspace();
  const stored = await saveCredentials(url, key);

  const out = process.stdout;
  out.write(`Signed in to workspace "${workspace.name}" (${workspace.id}) at ${url} with ${maskToken(key)}.\n`);
  if (stored.fallbackReason) out.write(`The keychain could not be used (${stored.fallbackReason}).\n`);
  out.write(`Credentials stored in ${stored.where}${stored.inKeychain ? '' : ' (readable only by you)'}.\n`);
  if (new URL(url).protocol === 'http:' && !isLoopback(new URL(url).hostname)) {
    process.stderr.write('Note: http:// sends the account key unencrypted; use https:// for a hub on another machine.\n');
  }
  if (process.env.TOKENHUB_ACCOUNT_KEY) {
    process.stderr.write('Note: TOKENHUB_ACCOUNT_KEY is set in the environment and takes precedence over the stored credentials.\n');
  }
});

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

const LOGOUT_HELP = `Usage: tokenhub logout

Forgets the stored hub URL and account key (keychain entry and credentials file). The key itself stays valid on the
hub; revoke it there to make it unusable.

${EXIT_CODES_HELP}`;

export const logout = command('logout', 'forget the stored credentials', LOGOUT_HELP, async (argv) => {
  parse(argv, {});
  const forgotten = await forgetCredentials();
  process.stdout.write(
    forgotten ? `Signed out of ${forgotten.url}: removed the credentials from ${forgotten.where}.\n` : 'Not signed in; there were no stored credentials.\n',
  );
  if (process.env.TOKENHUB_ACCOUNT_KEY) {
    process.stderr.write('Note: TOKENHUB_ACCOUNT_KEY is still set in the environment and is used until you unset it.\n');
  }
});

const WHOAMI_HELP = `Usage: tokenhub whoami [--json]

Shows the workspace the credentials in use belong to, the hub's URL, the account key masked, and where the
credentials come from (environment, keychain or file). Checks them with the hub.

Options:
  --json       print {"workspace": {...}, "url", "accountKey" (masked), "source"}
  -h, --help   show this help

${EXIT_CODES_HELP}`;

export const whoami = command('whoami', 'show the workspace, hub and credentials in use', WHOAMI_HELP, async (argv) => {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  const { client, credentials } = await connect();
  const workspace = await client.getWorkspace();
  const masked = maskToken(credentials.accountKey);
  if (values.json) {
    printJson({ workspace, url: credentials.url, accountKey: masked, source: credentials.source });
    return;
  }
  process.stdout.write(
    `Workspace:    ${workspace.name} (${workspace.id})\n` +
      `Hub:          ${credentials.url}\n` +
      `Account key:  ${masked}\n` +
      `Credentials:  ${credentials.source}\n`,
  );
});
