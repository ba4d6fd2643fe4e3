import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Span } from '@opentelemetry/api';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** Longest SQL text kept on a pg span: enough to tell the statement, never a bulk payload. */
export const MAX_STATEMENT_CHARS = 300;

/** Probes and scrapes: answered every few seconds, worth neither a span nor a duration sample. */
export function isProbeOrScrape(path: string | undefined): boolean {
  const pathname = (path ?? '').split('?')[0];
  return pathname === '/metrics' || pathname === '/health' || pathname.startsWith('/health/');
}

/** The SQL as it goes on the span: whitespace folded and cut short. Values never appear (they travel as $n parameters). */
export function shortStatement(text: string): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  return folded.length > MAX_STATEMENT_CHARS ? `${folded.slice(0, MAX_STATEMENT_CHARS)}…` : folded;
}

/**
 * The automatic instrumentations every service runs: HTTP server and client spans (named by
 * route by the express instrumentation, probes and scrapes left out) and the
 * `http.server.request.duration` histogram; pg query spans with short SQL text; fetch (undici)
 * client spans; runtime metrics (event loop delay, heap).
 * Outgoing calls and queries only make spans inside a trace, so pollers add no root spans.
 */
export function serviceInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => isProbeOrScrape(request.url),
      requireParentforOutgoingSpans: true,
    }),
    // Route handler spans only: Nest's middleware and router layers would add a span per layer.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    new PgInstrumentation({
      requireParentSpan: true,
      ignoreConnectSpans: true,
      requestHook: (span: Span, { query }) => {
        if (query.text) span.setAttribute('db.query.text', shortStatement(query.text));
      },
    }),
    // fetch: chain-bridge's JSON-RPC calls (its client names each call's span by method).
    new UndiciInstrumentation({ requireParentforSpans: true }),
    new RuntimeNodeInstrumentation(),
  ];
}

/** The modules the instrumentations above patch on require (fetch needs none: diagnostics_channel). */
const PATCHED_ON_REQUIRE = ['http', 'https', 'express', 'pg'] as const;

/**
 * Require-time instrumentations patch a module on its next `require`, and a service has loaded
 * pg (messaging's outbox) and express (body parsers) before its bootstrap starts telemetry.
 * Requiring those again once the SDK runs patches their shared exports in place, whatever the
 * import order. Modules not loaded yet are left to their own first require.
 */
export function patchModulesLoadedEarlier(): void {
  const load = createRequire(__filename);
  for (const name of PATCHED_ON_REQUIRE) {
    try {
      if (name === 'http' || name === 'https' || load.cache[load.resolve(name)]) load(name);
    } catch {
      // Not installed where this library resolves from: nothing to patch.
    }
  }
}
