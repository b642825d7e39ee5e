// The OpenAPI document: served at GET /openapi.json, lists every route fastify registered and nothing else,
// and docs/openapi.json is its current copy (regenerate with `node dist/hub.js openapi > docs/openapi.json`).
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { buildHub, type Hub } from '../../src/hub/app';
import { buildOpenApi, openApiPath } from '../../src/hub/openapi';
import { ROUTES } from '../../src/hub/schemas';
import { SqliteStore } from '../../src/hub/stores/sqlite';

describe('OpenAPI document', () => {
  let dir: string;
  let store: SqliteStore;
  let hub: Hub;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-openapi-'));
    store = new SqliteStore(path.join(dir, 'hub.db'));
    await store.migrate();
    hub = await buildHub({ store });
  });
  after(async () => {
    await hub?.close();
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is served at GET /openapi.json as OpenAPI 3.1', async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.strictEqual(res.statusCode, 200);
    const doc = res.json();
    assert.strictEqual(doc.openapi, '3.1.0');
    assert.deepStrictEqual(doc, JSON.parse(JSON.stringify(buildOpenApi(Object.values(ROUTES)))));
  });

  it('documents every registered route, and only those', async () => {
    const doc = (await hub.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const registered = hub.routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
    assert.deepStrictEqual(documented, registered);
    for (const route of hub.routes) assert.ok(hub.app.hasRoute({ method: route.method as 'GET', url: route.url }));
  });

  it('every documented operation lists its error responses with the error schema', () => {
    const doc = buildOpenApi(Object.values(ROUTES)) as { paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: { required?: string[] } } } }> }>> };
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400) assert.deepStrictEqual(response.content?.['application/json'].schema.required, ['error'], `${method} ${p} ${status}`);
        }
      }
    }
  });

  it('docs/openapi.json is up to date', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'openapi.json');
    const committed = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepStrictEqual(committed, JSON.parse(JSON.stringify(buildOpenApi(Object.values(ROUTES)))), 'run: node dist/hub.js openapi > docs/openapi.json');
  });
});
