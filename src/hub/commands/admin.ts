// tokenhub init | endpoint add|set-upstream|list | account-key create|list|revoke | service-key create|revoke:
// bootstrap and administration of workspaces,
// straight on the database (the same --db as serve). Results are JSON lines on stdout; errors one line on stderr.
// Changes made here are in the audit trail with the actor {"kind": "operator"}.
import type { WorkspacePolicy } from '../../contract/types';
import { ACCOUNT_KEY_PREFIX, SERVICE_KEY_PREFIX, generateToken, isValidToken, maskToken } from '../../core/token';
import { hasControlCharacter } from '../../core/validation';
import { newId } from '../digest';
import { openStore, type OpenedStore } from '../openStore';
import { DEFAULT_POLICY, type AuditContext, type Store, type WorkspaceRecord } from '../store';
import { normaliseUpstream, upstreamProblem } from '../upstream';
import { DB_OPTION, OperatorUsageError, checkEndpointId, checkWorkspaceName, intOption, parse, printJson, required, type Command } from './common';

/** The actor of every change made on the hub's command line. */
const OPERATOR: AuditContext = { actor: { kind: 'operator' }, clientAddress: null, userAgent: null };

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

async function newAccountKey(opened: OpenedStore, workspaceId: string, label: string | null = null): Promise<{ id: string; key: string }> {
  const key = generateToken(ACCOUNT_KEY_PREFIX);
  const id = newId('ak_');
  await opened.store.createAccountKey(workspaceId, id, opened.digest(key), maskToken(key), Date.now(), { label, audit: OPERATOR });
  return { id, key };
}

/** A label names a key's holder in the audit trail: one line of plain text. */
function checkLabel(label: string | undefined): string | null {
  if (label === undefined) return null;
  const trimmed = label.trim();
  if (trimmed === '' || trimmed.length > 100 || hasControlCharacter(trimmed)) {
    throw new OperatorUsageError('--label: give 1 to 100 characters on one line, such as the name of the person or service holding the key.');
  }
  return trimmed;
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
        await opened.store.upsertEndpoint(workspace.id, { ...endpoint, description: '' }, now, OPERATOR);
      }
      const { key } = await newAccountKey(opened, workspace.id);
      printJson({ workspaceId: workspace.id, accountKey: key });
      return 0;
    });
  },
};

const ENDPOINT_HELP = `Usage:
  tokenhub endpoint add --workspace NAME --id ID [--name NAME] [--description TEXT] [--upstream URL] [--db …]
  tokenhub endpoint add ID --workspace NAME [...]                  the same, with the id as the first argument
  tokenhub endpoint set-upstream --workspace NAME --id ID (URL | --clear) [--db …]
  tokenhub endpoint list --workspace NAME [--db …]

add creates the endpoint or updates its name and description (and its upstream, when --upstream is given);
set-upstream changes or clears the upstream: the http(s) URL of the service the gateway forwards this endpoint's
calls to (/v1/gateway/ID/PATH goes to URL/PATH). An upstream is shown here only, never through the hub's API.
list prints one JSON line per endpoint, with its upstream (null when it has none).
`;

/** --upstream's value, checked and normalised, or a usage error that says what to give. */
function upstreamOption(text: string): string {
  const problem = upstreamProblem(text);
  if (problem) throw new OperatorUsageError(problem);
  return normaliseUpstream(text);
}

export const endpoint: Command = {
  summary: 'add or list the endpoints of a workspace, set their upstreams',
  async run(argv) {
    const split = splitAction(argv, ENDPOINT_HELP);
    if (typeof split === 'number') return split;
    const { action, rest } = split;
    if (action === 'add') {
      const { values, positionals } = parse(
        rest,
        {
          workspace: { type: 'string' },
          id: { type: 'string' },
          name: { type: 'string' },
          description: { type: 'string' },
          upstream: { type: 'string' },
          ...DB_OPTION,
        },
        true,
      );
      if (values.help) return help(ENDPOINT_HELP);
      if (positionals.length > 1 || (positionals.length === 1 && values.id !== undefined)) {
        throw new OperatorUsageError('Give the endpoint id once: as --id ID or as the first argument.');
      }
      const workspaceName = required('workspace', values.workspace);
      const id = checkEndpointId(positionals[0] ?? required('id', values.id));
      const name = values.name ?? id;
      if (name === '' || name.length > 200) throw new OperatorUsageError('--name: give 1 to 200 characters.');
      const upstream = values.upstream === undefined ? undefined : upstreamOption(values.upstream);
      return withStore(values.db, async ({ store }) => {
        const workspace = await workspaceNamed(store, workspaceName);
        const status = await store.upsertEndpoint(workspace.id, { id, name, description: values.description ?? '' }, Date.now(), OPERATOR);
        // upsertEndpoint's event stands for the whole command.
        if (upstream !== undefined) await store.setEndpointUpstream(workspace.id, id, upstream);
        const shown = upstream ?? (await store.endpointUpstream(workspace.id, id));
        printJson({ workspaceId: workspace.id, status, endpoint: { id, name, description: values.description ?? '', upstream: shown } });
        return 0;
      });
    }
    if (action === 'set-upstream') {
      const { values, positionals } = parse(rest, { workspace: { type: 'string' }, id: { type: 'string' }, clear: { type: 'boolean' }, ...DB_OPTION }, true);
      if (values.help) return help(ENDPOINT_HELP);
      const workspaceName = required('workspace', values.workspace);
      const id = checkEndpointId(required('id', values.id));
      if (positionals.length > 1 || (positionals.length === 1) === (values.clear === true)) {
        throw new OperatorUsageError('Give either the upstream URL or --clear.');
      }
      const upstream = values.clear ? null : upstreamOption(positionals[0]!);
      return withStore(values.db, async ({ store }) => {
        const workspace = await workspaceNamed(store, workspaceName);
        if (!(await store.setEndpointUpstream(workspace.id, id, upstream, Date.now(), OPERATOR))) {
          throw new Error(`Workspace "${workspaceName}" has no endpoint "${id}"; add it with: tokenhub endpoint add --workspace ${workspaceName} --id ${id}`);
        }
        printJson({ workspaceId: workspace.id, endpoint: id, upstream });
        return 0;
      });
    }
    if (action === 'list') {
      const { values } = parse(rest, { workspace: { type: 'string' }, ...DB_OPTION });
      if (values.help) return help(ENDPOINT_HELP);
      const workspaceName = required('workspace', values.workspace);
      return withStore(values.db, async ({ store }) => {
        const workspace = await workspaceNamed(store, workspaceName);
        for (const e of await store.listEndpoints(workspace.id)) printJson({ ...e, upstream: await store.endpointUpstream(workspace.id, e.id) });
        return 0;
      });
    }
    throw new OperatorUsageError(`Unknown action "endpoint ${action}"; use add, set-upstream or list.`);
  },
};

const ACCOUNT_KEY_HELP = `Usage:
  tokenhub account-key create --workspace NAME [--label TEXT] [--db …]   prints {"workspaceId","accountKeyId","accountKey"}
                               (the label names the key's holder in the audit trail, GET /v1/audit)
  tokenhub account-key list --workspace NAME [--db …]     one JSON line per key (id, masked key, creation time)
  tokenhub account-key revoke (--id ak_… | --key thak_…) [--db …]
`;

export const accountKey: Command = {
  summary: 'create, list or revoke account keys',
  async run(argv) {
    const split = splitAction(argv, ACCOUNT_KEY_HELP);
    if (typeof split === 'number') return split;
    const { action, rest } = split;
    if (action === 'create' || action === 'list') {
      const { values } = parse(rest, { workspace: { type: 'string' }, ...(action === 'create' ? { label: { type: 'string' } } : {}), ...DB_OPTION });
      if (values.help) return help(ACCOUNT_KEY_HELP);
      const workspaceName = required('workspace', values.workspace);
      const label = checkLabel((values as { label?: string }).label);
      return withStore(values.db, async (opened) => {
        const workspace = await workspaceNamed(opened.store, workspaceName);
        if (action === 'create') {
          const { id, key } = await newAccountKey(opened, workspace.id, label);
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
            ? await opened.store.revokeAccountKey(values.id, OPERATOR)
            : await opened.store.revokeAccountKeyByDigest(opened.digest(values.key!), OPERATOR);
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

const SERVICE_KEY_HELP = `Usage:
  tokenhub service-key create [--db …]               prints {"serviceKey": "thsk_…"}, shown only here
  tokenhub service-key revoke --key thsk_… [--db …]

A service key is hub-wide and good for POST /v1/verify only: give it to a platform's own gateway, which asks the
hub whether a token may call an endpoint. The hub keeps only its digest.
`;

export const serviceKey: Command = {
  summary: 'create or revoke service keys (POST /v1/verify, for a platform\'s own gateway)',
  async run(argv) {
    const split = splitAction(argv, SERVICE_KEY_HELP);
    if (typeof split === 'number') return split;
    const { action, rest } = split;
    if (action === 'create') {
      const { values } = parse(rest, { ...DB_OPTION });
      if (values.help) return help(SERVICE_KEY_HELP);
      return withStore(values.db, async (opened) => {
        const key = generateToken(SERVICE_KEY_PREFIX);
        await opened.store.createServiceKey(newId('sk_'), opened.digest(key), maskToken(key), Date.now());
        printJson({ serviceKey: key });
        return 0;
      });
    }
    if (action === 'revoke') {
      const { values } = parse(rest, { key: { type: 'string' }, ...DB_OPTION });
      if (values.help) return help(SERVICE_KEY_HELP);
      const key = required('key', values.key);
      if (!isValidToken(key, SERVICE_KEY_PREFIX)) throw new OperatorUsageError('--key is not a service key (thsk_… with a valid checksum).');
      return withStore(values.db, async (opened) => {
        if (!(await opened.store.revokeServiceKeyByDigest(opened.digest(key)))) {
          process.stderr.write('tokenhub: no such service key; it may have been revoked already.\n');
          return 1;
        }
        printJson({ revoked: true });
        return 0;
      });
    }
    throw new OperatorUsageError(`Unknown action "service-key ${action}"; use create or revoke.`);
  },
};

/** The action word of a command group and its arguments, or the exit code of printing the group's help. */
function splitAction(argv: string[], text: string): { action: string; rest: string[] } | number {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    process.stdout.write(text);
    return action === undefined ? 2 : 0;
  }
  return { action, rest };
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}
