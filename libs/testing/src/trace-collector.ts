import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as a collector received it from any process. */
export interface CollectedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
}

export interface TraceCollector {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (spans arrive at /v1/traces). */
  readonly url: string;
  spans(): readonly CollectedSpan[];
  /** Every span of one trace, across services. */
  trace(traceId: string): readonly CollectedSpan[];
  close(): Promise<void>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[] }[];
  }[];
}

/**
 * A minimal OTLP/HTTP JSON trace receiver, so a test can assert that one batch makes one
 * trace across service processes. Point services at it with OTEL_EXPORTER_OTLP_ENDPOINT and
 * a short OTEL_BSP_SCHEDULE_DELAY.
 */
export async function startTraceCollector(): Promise<TraceCollector> {
  const collected: CollectedSpan[] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        try {
          collect(JSON.parse(body) as OtlpJson, collected);
        } catch {
          response.writeHead(400).end('{"error":"expected OTLP JSON"}');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...collected],
    trace: (traceId) => collected.filter((span) => span.traceId === traceId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function collect(request: OtlpJson, into: CollectedSpan[]): void {
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown';
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        into.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, kind: span.kind });
      }
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
