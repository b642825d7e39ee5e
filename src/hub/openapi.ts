// What the OpenAPI document says beyond the routes: @fastify/swagger builds the paths from each route's schema
// (routes/*.ts) and serves the whole at GET /openapi.json; docs/openapi.json is its output (`tokenhub openapi`).
import type { SwaggerOptions } from '@fastify/swagger';
import { UNESCAPED_FORMAT } from './schemas';

/** A route schema's mark that its body may be left out (it then means {}): @fastify/swagger marks every body required. */
export const BODY_OPTIONAL = 'x-body-optional';

type Operation = { requestBody?: { required?: boolean }; [BODY_OPTIONAL]?: boolean };

/** Removes the serializer's own string format (schemas.ts), which says nothing about the API, from every schema. */
function dropSerializerFormats(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(dropSerializerFormats);
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.format === UNESCAPED_FORMAT) delete schema.format;
  Object.values(schema).forEach(dropSerializerFormats);
}

export const OPENAPI_OPTIONS: SwaggerOptions = {
  transformObject(documentObject) {
    const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
    for (const item of Object.values(document.paths ?? {})) {
      for (const operation of Object.values(item as Record<string, Operation>)) {
        if (!operation[BODY_OPTIONAL]) continue;
        delete operation[BODY_OPTIONAL];
        if (operation.requestBody) operation.requestBody.required = false;
      }
    }
    dropSerializerFormats(document);
    return document;
  },
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Token Hub API',
      version: '1',
      description:
        'See docs/api.md. Every error has the body {"error": {"code", "message", "field"?, "tokenId"?}}; unknown routes and methods are 404 not_found in that shape.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:8787', description: '`tokenhub serve` with its default host and port.' }],
    components: {
      securitySchemes: {
        accountKey: { type: 'http', scheme: 'bearer', description: 'An account key, thak_…' },
        accessToken: { type: 'http', scheme: 'bearer', description: 'An access token, thub_…' },
        serviceKey: { type: 'http', scheme: 'bearer', description: 'A service key, thsk_… (tokenhub service-key create): POST /v1/verify only' },
      },
    },
  },
};
