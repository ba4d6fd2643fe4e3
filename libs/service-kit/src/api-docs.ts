import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, type Type } from '@nestjs/common';
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './paging';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

// OpenAPI 3.1 documents from the same zod schemas the controllers validate requests with.
extendZodWithOpenApi(z);

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One route as the controller serves it; `path` in Nest's form (`/groups/:group/periods`). */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: AnyZodObject;
  readonly query?: AnyZodObject;
  readonly headers?: AnyZodObject;
  /** The body the controller parses; `schema` absent when it is not JSON validated by zod. */
  readonly body?: { readonly schema?: ZodTypeAny; readonly contentType?: string; readonly description?: string };
  /** A cursor-paged list (`?after=&limit=`, body `{ items, next }`, `Link` header). */
  readonly paged?: boolean;
  readonly response: { readonly status: number; readonly description: string; readonly schema?: ZodTypeAny; readonly contentType?: string };
}

export interface ApiService {
  readonly name: string;
  readonly description: string;
  readonly routes: readonly ApiRoute[];
}

/** The body of every 4xx/5xx answer (decisions: RFC 9457, one filter in service-kit). */
const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:gridledger:problem:INVALID_CURSOR' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'Stable machine word; also the last part of `type`.' }),
    errors: z.array(z.object({ field: z.string(), code: z.string(), reason: z.string().max(500) })).min(1),
  })
  .openapi('ProblemDetails', { description: 'RFC 9457 problem details.' });

const pageQuery = z.object({
  after: z.string().optional().openapi({ description: 'Cursor: the `next` link of the previous page carries it.' }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT).optional(),
});

const anyJson = z.object({}).passthrough();

/** What BackboneModule serves in every service, documented here once. */
const KIT_ROUTES: readonly ApiRoute[] = [
  { method: 'get', path: '/health/live', summary: 'Liveness: the process answers.', response: { status: 200, description: 'Up.', schema: z.object({ status: z.literal('up') }) } },
  {
    method: 'get',
    path: '/health/ready',
    summary: 'Readiness: NATS and Postgres reachable (503 when not).',
    response: { status: 200, description: 'Up, or down with 503 and the failing check.', schema: z.object({ status: z.enum(['up', 'down']), checks: z.record(anyJson) }) },
  },
  { method: 'get', path: '/metrics', summary: 'OpenTelemetry metrics, Prometheus text format.', response: { status: 200, description: 'Metrics.', schema: z.string(), contentType: 'text/plain' } },
  { method: 'get', path: '/docs', summary: 'This OpenAPI 3.1 document.', response: { status: 200, description: 'The document.', schema: anyJson } },
  { method: 'get', path: '/docs/openapi.json', summary: 'This OpenAPI 3.1 document.', response: { status: 200, description: 'The document.', schema: anyJson } },
];

/** `/a/:b` → `/a/{b}`. */
export function openApiPath(nestPath: string): string {
  return nestPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParams(route: ApiRoute): AnyZodObject | undefined {
  const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  if (names.length === 0) return route.params;
  // A path parameter the controller checks by hand is still a string in the path.
  const missing = Object.fromEntries(names.filter((name) => !route.params?.shape[name]).map((name) => [name, z.string()]));
  return (route.params ?? z.object({})).extend(missing);
}

function routeConfig(route: ApiRoute): RouteConfig {
  const item = route.response.schema ?? anyJson;
  const ok = route.paged ? z.object({ items: z.array(item), next: z.string().nullable().openapi({ description: 'Path and query of the next page; null on the last.' }) }) : item;
  const query = route.paged ? (route.query ?? z.object({})).merge(pageQuery) : route.query;
  return {
    method: route.method,
    path: openApiPath(route.path),
    summary: route.summary,
    description: route.description,
    request: {
      params: pathParams(route),
      query,
      headers: route.headers,
      body: route.body
        ? { description: route.body.description, required: true, content: { [route.body.contentType ?? 'application/json']: { schema: route.body.schema ?? (route.body.contentType ? z.string() : anyJson) } } }
        : undefined,
    },
    responses: {
      [String(route.response.status)]: {
        description: route.response.description,
        headers: route.paged ? { Link: { description: '`<next>; rel="next"` when another page follows.', schema: { type: 'string' } } } : undefined,
        content: { [route.response.contentType ?? 'application/json']: { schema: ok } },
      },
      '4XX': { $ref: '#/components/responses/Problem' },
      '5XX': { $ref: '#/components/responses/Problem' },
    },
  };
}

/** The service's OpenAPI 3.1 document: its routes plus health, metrics and docs. */
export function openApiDocument(service: ApiService): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.register('ProblemDetails', problemSchema);
  registry.registerComponent('responses', 'Problem', {
    description: 'Refused or failed: RFC 9457 problem details naming every refused field.',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
  });
  for (const route of [...service.routes, ...KIT_ROUTES]) registry.registerPath(routeConfig(route));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: `gridledger ${service.name}`, version: '1.0.0', description: service.description },
  });
}

/** GET /docs and /docs/openapi.json: the document as JSON. */
export function apiDocsController(document: OpenApiDocument): Type<unknown> {
  @Controller('docs')
  class ApiDocsController {
    @Get()
    docs(): OpenApiDocument {
      return document;
    }

    @Get('openapi.json')
    openApiJson(): OpenApiDocument {
      return document;
    }
  }
  return ApiDocsController;
}

/** For `npm run api-docs`: writes docs/api/<service>.openapi.json at the repository root. */
export function writeApiDocument(service: string, document: OpenApiDocument): void {
  const file = join(__dirname, '..', '..', '..', 'docs', 'api', `${service}.openapi.json`);
  writeFileSync(file, apiDocumentJson(document));
  console.log(`wrote ${file}`);
}

/** The document as committed in docs/api/. */
export function apiDocumentJson(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
