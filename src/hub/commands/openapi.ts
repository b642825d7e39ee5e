// tokenhub openapi: prints the OpenAPI 3.1 document (the same one GET /openapi.json serves); docs/openapi.json is its output.
import { buildOpenApi } from '../openapi';
import { ROUTES } from '../schemas';
import { parse, type Command } from './common';

export const openapi: Command = {
  async run(argv) {
    const { values } = parse(argv, {});
    if (values.help) {
      process.stdout.write('Usage: tokenhub openapi\n\nPrints the OpenAPI 3.1 document of the hub API as JSON.\n');
      return 0;
    }
    process.stdout.write(`${JSON.stringify(buildOpenApi(Object.values(ROUTES)), null, 2)}\n`);
    return 0;
  },
};
