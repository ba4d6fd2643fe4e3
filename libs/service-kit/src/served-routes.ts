import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner } from '@nestjs/core';
import { apiDocumentJson, openApiPath, type HttpMethod, type OpenApiDocument } from './api-docs';
import type { ServiceDefinition } from './bootstrap';
import { BackboneModule, backboneControllers } from './backbone.module';

export interface ServedRoute {
  readonly method: HttpMethod | 'all' | 'head' | 'options' | 'search';
  readonly path: string;
}

/**
 * The HTTP routes Nest registers for a module tree, read from the same controller metadata
 * Nest's RouterExplorer reads (`@Controller` path × `@Get`/`@Post`… paths); handlers without
 * an HTTP method (stream and NATS patterns) are not routes.
 */
export function servedRoutes(roots: readonly (Type<unknown> | DynamicModule)[]): ServedRoute[] {
  const scanner = new MetadataScanner();
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
  const join = (...parts: string[]): string => `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p.length > 0).join('/')}`;
  return [...controllers].flatMap((controller) => {
    const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined ?? ''].flat();
    return scanner.getAllMethodNames(controller.prototype).flatMap((name) => {
      const handler = (controller.prototype as Record<string, unknown>)[name] as object;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) return [];
      const paths = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined ?? ''].flat();
      return prefixes.flatMap((prefix) => paths.map((path) => ({ method: RequestMethod[method].toLowerCase() as ServedRoute['method'], path: join(prefix, path) })));
    });
  });
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
