// The OpenAPI 3.1 document of the hub, built from the route table of schemas.ts (the very schemas fastify
// validates and serializes with). Served at GET /openapi.json; docs/openapi.json is a copy (`tokenhub openapi`).
import type { RouteDefinition } from './schemas';

type Schema = Record<string, unknown>;

const STATUS_TEXT: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  400: 'bad_request: the body is not JSON, not an object, or larger than 64 KiB',
  401: 'unauthorized: missing, malformed, unknown, expired or deleted credential',
  403: 'forbidden: a valid token not scoped to this endpoint',
  404: 'not_found',
  409: 'name_taken or idempotency_replayed (with tokenId)',
  422: 'invalid_<field> (with field) or idempotency_mismatch',
  429: 'rate_limited: too many failed authentications from this address, or too many lookups with this account key; see Retry-After',
  503: 'service_unavailable: the database cannot be reached',
};

/** `/v1/tokens/:id` → `/v1/tokens/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function buildOpenApi(routes: RouteDefinition[]): Schema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    const parameters: Schema[] = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = route.schema.querystring as { properties?: Record<string, Schema> } | undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {})) {
      parameters.push({ name, in: 'query', required: false, schema });
    }
    const headers = route.schema.headers as { properties?: Record<string, Schema> } | undefined;
    for (const [name, schema] of Object.entries(headers?.properties ?? {})) {
      parameters.push({ name: name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()), in: 'header', required: false, schema });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(route.schema.response)) {
      responses[status] =
        status === '204'
          ? { description: STATUS_TEXT[status] }
          : { description: STATUS_TEXT[status] ?? status, content: { 'application/json': { schema } } };
    }
    const operation: Schema = {
      operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      responses,
    };
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.schema.body) {
      operation.requestBody = {
        required: !route.bodyOptional,
        content: { 'application/json': { schema: route.schema.body } },
      };
    }
    if (route.auth === 'accountKey') operation.security = [{ accountKey: [] }];
    if (route.auth === 'accessToken') operation.security = [{ accessToken: [] }];
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Token Hub API',
      version: '1',
      description: 'See docs/api.md. Every error has the body {"error": {"code", "message", "field"?, "tokenId"?}}.',
    },
    components: {
      securitySchemes: {
        accountKey: { type: 'http', scheme: 'bearer', description: 'An account key, thak_…' },
        accessToken: { type: 'http', scheme: 'bearer', description: 'An access token, thub_…' },
      },
    },
    paths,
  };
}
