// tokenhub init | endpoint add|list | account-key create|list|revoke: bootstrap and administration of workspaces,
// straight on the database (the same --db as serve). Results are JSON lines on stdout; errors one line on stderr.
import type { WorkspacePolicy } from '../../contract/types';
import { ACCOUNT_KEY_PREFIX, generateToken, isValidToken, maskToken } from '../../core/token';
import { newId } from '../digest';
import { openStore, type OpenedStore } from '../openStore';
import { DEFAULT_POLICY, type Store, type WorkspaceRecord } from '../store';
import { DB_OPTION, OperatorUsageError, checkEndpointId, checkWorkspaceName, intOption, parse, printJson, required, type Command } from './common';

async function withStore<T>(db: string | undefined, fn: (opened: OpenedStore) => Promise<T>): Promise<T> {
  const opened = await openStore(db);
  try {
    return await fn(opened);
  } finally {
    await opened.store.close();
  }
}

async function workspaceNamed(store: Store, name: string): Promise<WorkspaceRecord> {
  const workspace = (await store.findWorkspaceByName(name)) ?? (/^ws_/.test(name) ? await store.getWorkspace(name) : null);
  if (!workspace) throw new Error(`There is no workspace "${name}"; create it with: tokenhub init --workspace ${name}`);
  return workspace;
}

async function newAccountKey(opened: OpenedStore, workspaceId: string): Promise<{ id: string; key: string }> {
  const key = generateToken(ACCOUNT_KEY_PREFIX);
  const id = newId('ak_');
  await opened.store.createAccountKey(workspaceId, id, opened.digest(key), maskToken(key), Date.now());
  return { id, key };
}

function parseEndpointSpec(spec: string): { id: string; name: string } {
  const at = spec.indexOf('=');
  const id = checkEndpointId(at === -1 ? spec : spec.slice(0, at));
  const name = at === -1 ? id : spec.slice(at + 1).trim();
  if (name === '' || name.length > 200) throw new OperatorUsageError(`Endpoint "${id}": give a name of 1 to 200 characters after "=".`);
  return { id, name };
}

const INIT_HELP = `Usage: tokenhub init --workspace NAME [--endpoint ID[=Name]]... [options]

Creates the workspace (or reuses the one of that name), adds the endpoints and creates a new account key.
Prints one JSON line: {"workspaceId": "...", "accountKey": "thak_..."}. The account key is shown only here.

Options:
  --workspace NAME             workspace name (letters, digits, . _ -)
  --endpoint ID[=Name]         an endpoint the workspace's tokens can call; repeat for more
  --default-lifetime-days N    policy: expiry of tokens created without one (default 30)
  --max-lifetime-days N        policy: longest expiry allowed (default 365)
  --allow-no-expiry            policy: allow tokens that never expire (default: not allowed)
  --db PATH|postgres://URL     as for serve
  -h, --help                   show this help
`;

export const init: Command = {
  summary: 'create or reuse a workspace, add endpoints, print a new account key',
  async run(argv) {
    const { values } = parse(argv, {
      workspace: { type: 'string' },
      endpoint: { type: 'string', multiple: true },
      'default-lifetime-days': { type: 'string' },
      'max-lifetime-days': { type: 'string' },
      'allow-no-expiry': { type: 'boolean' },
      ...DB_OPTION,
    });
    if (values.help) {
      process.stdout.write(INIT_HELP);
      return 0;
    }
    const name = checkWorkspaceName(required('workspace', values.workspace));
    const endpoints = (values.endpoint ?? []).map(parseEndpointSpec);
    const defaultDays = intOption('default-lifetime-days', values['default-lifetime-days'], 1, 36_500);
    const maxDays = intOption('max-lifetime-days', values['max-lifetime-days'], 1, 36_500);
    let policy: WorkspacePolicy | undefined;
    if (defaultDays !== undefined || maxDays !== undefined || values['allow-no-expiry'] !== undefined) {
      policy = {
        defaultLifetimeDays: defaultDays ?? DEFAULT_POLICY.defaultLifetimeDays,
        maxLifetimeDays: maxDays ?? Math.max(DEFAULT_POLICY.maxLifetimeDays, defaultDays ?? 0),
        allowNoExpiry: values['allow-no-expiry'] ?? false,
      };
      if (policy.defaultLifetimeDays > policy.maxLifetimeDays) {
        throw new OperatorUsageError('--default-lifetime-days cannot be longer than --max-lifetime-days.');
      }
    }
    return withStore(values.db, async (opened) => {
      const now = Date.now();
      const { workspace } = await opened.store.ensureWorkspace(name, newId('ws_'), policy, now);
      for (const endpoint of endpoints) {
        await opened.store.upsertEndpoint(workspace.id, { ...endpoint, description: '' }, now);
      }
      const { key } = await newAccountKey(opened, workspace.id);
      printJson({ workspaceId: workspace.id, accountKey: key });
      return 0;
    });
  },
};

const ENDPOINT_HELP = `Usage:
  tokenhub endpoint add --workspace NAME --id ID [--name NAME] [--description TEXT] [--db …]
  tokenhub endpoint list --workspace NAME [--db …]

add creates the endpoint or updates its name and description; list prints one JSON line per endpoint.
`;

export const endpoint: Command = {
  summary: 'add or list the endpoints of a workspace',
  async run(argv) {
    const [action, ...rest] = argv;
    if (action === undefined || action === '--help' || action === '-h') {
      process.stdout.write(ENDPOINT_HELP);
      return action === undefined ? 2 : 0;
    }
    if (action === 'add') {
      const { values } = parse(rest, {
        workspace: { type: 'string' },
        id: { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        ...DB_OPTION,
      });
      if (values.help) return help(ENDPOINT_HELP);
      const workspaceName = required('workspace', values.workspace);
      const id = checkEndpointId(required('id', values.id));
      const name = values.name ?? id;
      if (name === '' || name.length > 200) throw new OperatorUsageError('--name: give 1 to 200 characters.');
      return withStore(values.db, async ({ store }) => {
        const workspace = await workspaceNamed(store, workspaceName);
        const status = await store.upsertEndpoint(workspace.id, { id, name, description: values.description ?? '' }, Date.now());
        printJson({ workspaceId: workspace.id, status, endpoint: { id, name, description: values.description ?? '' } });
        return 0;
      });
    }
    if (action === 'list') {
      const { values } = parse(rest, { workspace: { type: 'string' }, ...DB_OPTION });
      if (values.help) return help(ENDPOINT_HELP);
      const workspaceName = required('workspace', values.workspace);
      return withStore(values.db, async ({ store }) => {
        const workspace = await workspaceNamed(store, workspaceName);
        for (const e of await store.listEndpoints(workspace.id)) printJson(e);
        return 0;
      });
    }
    throw new OperatorUsageError(`Unknown action "endpoint ${action}"; use add or list.`);
  },
};

const ACCOUNT_KEY_HELP = `Usage:
  tokenhub account-key create --workspace NAME [--db …]   prints {"workspaceId","accountKeyId","accountKey"}
  tokenhub account-key list --workspace NAME [--db …]     one JSON line per key (id, masked key, creation time)
  tokenhub account-key revoke (--id ak_… | --key thak_…) [--db …]
`;

export const accountKey: Command = {
  summary: 'create, list or revoke account keys',
  async run(argv) {
    const [action, ...rest] = argv;
    if (action === undefined || action === '--help' || action === '-h') {
      process.stdout.write(ACCOUNT_KEY_HELP);
      return action === undefined ? 2 : 0;
    }
    if (action === 'create' || action === 'list') {
      const { values } = parse(rest, { workspace: { type: 'string' }, ...DB_OPTION });
      if (values.help) return help(ACCOUNT_KEY_HELP);
      const workspaceName = required('workspace', values.workspace);
      return withStore(values.db, async (opened) => {
        const workspace = await workspaceNamed(opened.store, workspaceName);
        if (action === 'create') {
          const { id, key } = await newAccountKey(opened, workspace.id);
          printJson({ workspaceId: workspace.id, accountKeyId: id, accountKey: key });
        } else {
          for (const k of await opened.store.listAccountKeys(workspace.id)) {
            printJson({ id: k.id, maskedKey: k.maskedKey, createdAt: new Date(k.createdAt).toISOString() });
          }
        }
        return 0;
      });
    }
    if (action === 'revoke') {
      const { values } = parse(rest, { id: { type: 'string' }, key: { type: 'string' }, ...DB_OPTION });
      if (values.help) return help(ACCOUNT_KEY_HELP);
      if ((values.id === undefined) === (values.key === undefined)) throw new OperatorUsageError('Give either --id ak_… or --key thak_….');
      if (values.key !== undefined && !isValidToken(values.key, ACCOUNT_KEY_PREFIX)) {
        throw new OperatorUsageError('--key is not an account key (thak_… with a valid checksum).');
      }
      return withStore(values.db, async (opened) => {
        const revoked =
          values.id !== undefined
            ? await opened.store.revokeAccountKey(values.id)
            : await opened.store.revokeAccountKeyByDigest(opened.digest(values.key!));
        if (!revoked) {
          process.stderr.write('tokenhub: no such account key.\n');
          return 1;
        }
        printJson({ revoked: true });
        return 0;
      });
    }
    throw new OperatorUsageError(`Unknown action "account-key ${action}"; use create, list or revoke.`);
  },
};

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}
