// tokenhub openapi: prints the OpenAPI 3.1 document (the same one GET /openapi.json serves, generated from the
// routes' schemas by a hub on an in-memory store); docs/openapi.json is its output.
import { buildHub } from '../app';
import { SqliteStore } from '../stores/sqlite';
import { parse, type Command } from './common';

/** The document as GET /openapi.json serves it. */
export async function openApiDocument(): Promise<unknown> {
  const store = new SqliteStore(':memory:');
  try {
    await store.migrate();
    const hub = await buildHub({ store });
    try {
      return hub.app.swagger();
    } finally {
      await hub.close();
    }
  } finally {
    await store.close();
  }
}

export const openapi: Command = {
  summary: 'print the OpenAPI document of the hub API',
  async run(argv) {
    const { values } = parse(argv, {});
    if (values.help) {
      process.stdout.write('Usage: tokenhub openapi\n\nPrints the OpenAPI 3.1 document of the hub API as JSON.\n');
      return 0;
    }
    process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
    return 0;
  },
};
