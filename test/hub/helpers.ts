// Small HTTP helpers for the hub tests: every call returns status, headers and the parsed JSON body.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { ApiErrorBody } from '../../src/contract/types';
import { buildHub, type Hub, type HubOptions } from '../../src/hub/app';
import { SqliteStore } from '../../src/hub/stores/sqlite';

export interface Response<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Response<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** A client bound to a hub URL and an account key. */
export function client(baseUrl: string, key?: string) {
  return {
    get: <T = any>(path: string, extra: { key?: string } = {}) => call<T>(baseUrl, 'GET', path, { key: extra.key ?? key }), // eslint-disable-line @typescript-eslint/no-explicit-any
    post: <T = any>(path: string, json?: unknown, extra: { key?: string; headers?: Record<string, string> } = {}) => // eslint-disable-line @typescript-eslint/no-explicit-any
      call<T>(baseUrl, 'POST', path, { key: extra.key ?? key, json, headers: extra.headers }),
    del: (path: string, extra: { key?: string } = {}) => call(baseUrl, 'DELETE', path, { key: extra.key ?? key }),
    invoke: (endpoint: string, token?: string) =>
      call(baseUrl, 'POST', `/v1/endpoints/${encodeURIComponent(endpoint)}/invoke`, { key: token }),
  };
}

/** Asserts the contract's error shape, status and code (and field when given). */
export function expectError(res: Response, status: number, code: string, field?: string): ApiErrorBody['error'] {
  assert.strictEqual(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assertErrorShape(res.body);
  assert.strictEqual(res.body.error.code, code, res.text);
  if (field !== undefined) assert.strictEqual(res.body.error.field, field, res.text);
  return res.body.error;
}

export function assertErrorShape(body: unknown): asserts body is ApiErrorBody {
  assert.ok(body && typeof body === 'object', `error body is not an object: ${JSON.stringify(body)}`);
  const error = (body as ApiErrorBody).error;
  assert.ok(error && typeof error === 'object', `no "error" object: ${JSON.stringify(body)}`);
  assert.match(error.code, /^[a-z][a-z0-9_]*$/, `code is not snake_case: ${JSON.stringify(body)}`);
  assert.strictEqual(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'field', 'tokenId'].includes(key), `unexpected key ${key}`);
  assert.deepStrictEqual(Object.keys(body as object), ['error']);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A hub built in this process on a fresh SQLite file, for tests that reach its app or server directly. */
export async function inProcessHub(options: Omit<HubOptions, 'store'> = {}): Promise<{ hub: Hub; store: SqliteStore; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-inproc-'));
  const store = new SqliteStore(path.join(dir, 'hub.db'));
  await store.migrate();
  const hub = await buildHub({ ...options, store });
  return {
    hub,
    store,
    async close() {
      await hub.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
