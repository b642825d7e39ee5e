// The hub as the CLI's commands see it: a client built from the credentials in use, and NAME|ID resolution.
import { HubClient, HubRequestError } from '../api/client';
import type { Token } from '../contract/types';
import { truncateForMessage } from '../core/validation';
import { loadCredentials, type Credentials } from './credentials';
import { CliError, EXIT } from './errors';

export async function connect(): Promise<{ client: HubClient; credentials: Credentials }> {
  const credentials = await loadCredentials();
  return { client: new HubClient({ baseUrl: credentials.url, accountKey: credentials.accountKey }), credentials };
}

const TOKEN_ID = /^tok_[0-9A-Za-z]+$/;

/** A token by id (`tok_…`, one GET) or by exact name (a search, then an exact match). Exit code 4 when there is none. */
export async function resolveToken(client: HubClient, ref: string): Promise<Token> {
  if (TOKEN_ID.test(ref)) {
    try {
      return await client.getToken(ref);
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 404) {
        throw new CliError(`There is no token with id ${ref} in this workspace.`, EXIT.notFound);
      }
      throw error;
    }
  }
  const match = (await client.listAllTokens(ref)).find((token) => token.name === ref);
  if (!match) {
    throw new CliError(`There is no token named "${truncateForMessage(ref)}" in this workspace; see "tokenhub tokens list".`, EXIT.notFound);
  }
  return match;
}
