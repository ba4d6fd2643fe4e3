import { metrics, trace, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { patchModulesLoadedEarlier, serviceInstrumentations } from './instrumentations';

export type TraceExporterKind = 'otlp' | 'memory' | 'none';

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly exporter: TraceExporterKind;
  /** OTLP/HTTP base endpoint, e.g. http://127.0.0.1:4318 (only for exporter 'otlp'). */
  readonly otlpEndpoint?: string;
  /** How long spans wait before an OTLP export (default 5000 ms; tests use ~100). */
  readonly exportDelayMs?: number;
}

/** The process-wide telemetry handle: tracer, in-memory spans (tests), Prometheus metrics. */
export interface Telemetry {
  readonly serviceName: string;
  readonly tracer: Tracer;
  /** Present only with exporter 'memory'; call `flush()` before reading its spans. */
  readonly memoryExporter: tracing.InMemorySpanExporter | undefined;
  /** Serves the Prometheus text format (mounted at GET /metrics by service-kit). */
  handleMetricsRequest(request: IncomingMessage, response: ServerResponse): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'gridledger';

let current: Telemetry | undefined;

/**
 * Starts OpenTelemetry once per process. A second call returns the running instance (two Nest
 * apps in one test process share one SDK, which is what OTel's global registration allows).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;
  const memoryExporter = options.exporter === 'memory' ? new tracing.InMemorySpanExporter() : undefined;
  const spanProcessors: tracing.SpanProcessor[] = [];
  if (memoryExporter) spanProcessors.push(new tracing.SimpleSpanProcessor(memoryExporter));
  if (options.exporter === 'otlp') {
    const base = (options.otlpEndpoint ?? 'http://127.0.0.1:4318').replace(/\/$/, '');
    spanProcessors.push(new tracing.BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), { scheduledDelayMillis: options.exportDelayMs ?? 5000 }));
  }
  // Even without an exporter, spans must exist: their ids go into logs and NATS headers.
  if (spanProcessors.length === 0) spanProcessors.push(new tracing.NoopSpanProcessor());
  // The exporter is only a reader here; service-kit serves its handler on the app's port.
  const prometheus = new PrometheusExporter({ preventServerStart: true, withResourceConstantLabels: /^service\.name$/ });
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    autoDetectResources: false,
    spanProcessors,
    metricReaders: [prometheus],
    // They patch http, express and pg on require, fetch through diagnostics_channel.
    instrumentations: serviceInstrumentations(),
  });
  sdk.start();
  patchModulesLoadedEarlier();
  const telemetry: Telemetry = {
    serviceName: options.serviceName,
    tracer: trace.getTracer(TRACER_NAME),
    memoryExporter,
    handleMetricsRequest: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    async flush() {
      await Promise.all(spanProcessors.map((processor) => processor.forceFlush()));
    },
    async shutdown() {
      if (current === telemetry) current = undefined;
      await sdk.shutdown();
    },
  };
  current = telemetry;
  return telemetry;
}

/** The running telemetry, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

/** The tracer used by every gridledger span (works as a no-op before startTelemetry). */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The meter for gridledger metrics. */
export function meter() {
  return metrics.getMeter(TRACER_NAME);
}
