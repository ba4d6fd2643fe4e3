import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner } from '@nestjs/core';
import { PATTERN_HANDLER_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import { apiDocumentJson, openApiPath, type HttpMethod, type OpenApiDocument } from './api-docs';
import type { ServiceDefinition } from './bootstrap';
import { BackboneModule, backboneControllers } from './backbone.module';

export interface ServedRoute {
  readonly method: HttpMethod | 'all' | 'head' | 'options' | 'search';
  readonly path: string;
}

/** The controllers of a module tree (its modules' and dynamic modules' `controllers`, imports followed). */
function controllersOf(roots: readonly (Type<unknown> | DynamicModule)[]): Type<unknown>[] {
  const seen = new Set<unknown>();
  const controllers = new Set<Type<unknown>>();
  const visit = (entry: unknown): void => {
    if (!entry || seen.has(entry)) return;
    seen.add(entry);
    if (typeof entry === 'object' && 'forwardRef' in entry) return visit((entry as { forwardRef: () => unknown }).forwardRef());
    const dynamic = typeof entry === 'object' ? (entry as DynamicModule) : undefined;
    const moduleClass = dynamic ? dynamic.module : (entry as Type<unknown>);
    for (const controller of [...(dynamic?.controllers ?? []), ...((Reflect.getMetadata('controllers', moduleClass) as Type<unknown>[] | undefined) ?? [])]) controllers.add(controller);
    for (const imported of [...(dynamic?.imports ?? []), ...((Reflect.getMetadata('imports', moduleClass) as unknown[] | undefined) ?? [])]) visit(imported);
  };
  roots.forEach(visit);
  return [...controllers];
}

/** Every handler method of a controller, as the function Nest reads metadata from. */
function handlersOf(controller: Type<unknown>): object[] {
  return new MetadataScanner().getAllMethodNames(controller.prototype).map((name) => (controller.prototype as Record<string, unknown>)[name] as object);
}

/**
 * The HTTP routes Nest registers for a module tree, read from the same controller metadata
 * Nest's RouterExplorer reads (`@Controller` path × `@Get`/`@Post`… paths); handlers without
 * an HTTP method (stream and NATS patterns) are not routes.
 */
export function servedRoutes(roots: readonly (Type<unknown> | DynamicModule)[]): ServedRoute[] {
  const join = (...parts: string[]): string => `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p.length > 0).join('/')}`;
  return controllersOf(roots).flatMap((controller) => {
    const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined ?? ''].flat();
    return handlersOf(controller).flatMap((handler) => {
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) return [];
      const paths = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined ?? ''].flat();
      return prefixes.flatMap((prefix) => paths.map((path) => ({ method: RequestMethod[method].toLowerCase() as ServedRoute['method'], path: join(prefix, path) })));
    });
  });
}

export interface ServedSubject {
  /** `consume`: a JetStream consumer (`@EventPattern`); `request`: a core NATS request subject under `rpc.` (`@MessagePattern`). */
  readonly kind: 'consume' | 'request';
  /** The logical subject or subject filter, without namespace and without the `rpc.` prefix. */
  readonly subject: string;
}

/** The NATS subjects a module tree's `@EventPattern` and `@MessagePattern` handlers serve. */
export function servedSubjects(roots: readonly (Type<unknown> | DynamicModule)[]): ServedSubject[] {
  return controllersOf(roots).flatMap((controller) =>
    handlersOf(controller).flatMap((handler) => {
      const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as unknown[] | undefined;
      if (!patterns) return [];
      const kind = (Reflect.getMetadata(PATTERN_HANDLER_METADATA, handler) as PatternHandler) === PatternHandler.EVENT ? 'consume' : 'request';
      return patterns.map((pattern) => ({ kind, subject: String(pattern) }) as const);
    }),
  );
}

/**
 * What a service answers, for the authorization table's test (docs/authorization.md): its
 * routes (`METHOD /open/{api}`) and subjects (`consume <filter>`, `request <subject>`),
 * sorted, from the service's definition with service-kit's own controllers (health,
 * metrics, docs, outbox replay when it relays).
 */
export function servedInterface(definition: Pick<ServiceDefinition<never>, 'name' | 'appModule' | 'apiDocument' | 'outboxRelay'>): { service: string; routes: string[]; subjects: string[] } {
  const roots = [
    { module: BackboneModule, controllers: backboneControllers({ name: definition.name, outboxRelay: definition.outboxRelay === false ? undefined : ({} as never), apiDocument: definition.apiDocument }) },
    definition.appModule,
  ];
  return {
    service: definition.name,
    routes: servedRoutes(roots).map((route) => `${route.method.toUpperCase()} ${openApiPath(route.path)}`).sort(),
    subjects: servedSubjects(roots).map((s) => `${s.kind} ${s.subject}`).sort(),
  };
}

/**
 * For the document's test, from the service's definition (so it checks the document the
 * service serves): what the service serves (its module tree under BackboneModule) and what
 * the document lists, both as sorted `METHOD /open/{api}` lines, and the JSON as committed.
 */
export function apiDocumentUnderTest(definition: Pick<ServiceDefinition<never>, 'name' | 'appModule' | 'apiDocument'>): {
  service: string;
  document: OpenApiDocument;
  served: string[];
  documented: string[];
  json: string;
} {
  const document = definition.apiDocument;
  if (!document) throw new Error(`${definition.name} serves no API document (ServiceDefinition.apiDocument)`);
  const served = servedRoutes([{ module: BackboneModule, controllers: backboneControllers({ name: definition.name, outboxRelay: undefined, apiDocument: document }) }, definition.appModule]).map(
    (route) => `${route.method.toUpperCase()} ${openApiPath(route.path)}`,
  );
  const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item as object)
      .filter((key) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
  return { service: definition.name, document, served: served.sort(), documented: documented.sort(), json: apiDocumentJson(document) };
}
