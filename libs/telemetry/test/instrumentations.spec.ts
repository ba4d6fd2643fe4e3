import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { isProbeOrScrape, MAX_STATEMENT_CHARS, shortStatement } from '../src/instrumentations';
import { withChildSpan, withSpan } from '../src/spans';
import { startTelemetry, type Telemetry } from '../src/telemetry';

describe('what the instrumentations keep', () => {
  it('leaves probes and scrapes out of spans and request metrics', () => {
    expect(['/health', '/health/live', '/health/ready?x=1', '/metrics'].filter(isProbeOrScrape)).toHaveLength(4);
    expect(['/readings', '/meters/health', '/metricsx', undefined].filter(isProbeOrScrape)).toEqual([]);
  });

  it('keeps SQL short and on one line', () => {
    expect(shortStatement('SELECT *\n    FROM intervals\n  WHERE meter_id = $1')).toBe('SELECT * FROM intervals WHERE meter_id = $1');
    const bulk = `INSERT INTO intervals VALUES ${Array.from({ length: 500 }, (_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ')}`;
    const kept = shortStatement(bulk);
    expect(kept).toHaveLength(MAX_STATEMENT_CHARS + 1);
    expect(kept.endsWith('…')).toBe(true);
  });
});

// The SDK with its instrumentations, in memory. fetch is instrumented through diagnostics_channel,
// so it shows here; http, express and pg are patched on require, which jest's loader bypasses
// (tools/test/trace.e2e-spec.ts checks those in the services' own processes).
describe('the SDK with the service instrumentations', () => {
  // Real sockets and an SDK flush: slow when the shared machine is busy.
  jest.setTimeout(30_000);
  let telemetry: Telemetry;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'telemetry-spec', exporter: 'memory' });
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":"0x1"}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await telemetry.shutdown();
  });

  beforeEach(() => telemetry.memoryExporter!.reset());

  it('makes a fetch inside a trace a client span of the active span', async () => {
    await withSpan('commit', {}, () => withChildSpan('jsonrpc eth_sendRawTransaction', {}, () => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.text())));
    await telemetry.flush();
    const spans = telemetry.memoryExporter!.getFinishedSpans();
    const commit = spans.find((span) => span.name === 'commit')!;
    const rpc = spans.find((span) => span.name === 'jsonrpc eth_sendRawTransaction')!;
    const post = spans.find((span) => span.kind === SpanKind.CLIENT && span.name === 'POST')!;
    expect(rpc.parentSpanContext?.spanId).toBe(commit.spanContext().spanId);
    expect(post.parentSpanContext?.spanId).toBe(rpc.spanContext().spanId);
    expect(post.spanContext().traceId).toBe(commit.spanContext().traceId);
  });

  it('adds no span for calls outside any trace (a poller’s tick)', async () => {
    await withChildSpan('jsonrpc eth_blockNumber', {}, () => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.text()));
    await telemetry.flush();
    expect(telemetry.memoryExporter!.getFinishedSpans()).toEqual([]);
  });

  it('serves event loop delay and heap metrics at /metrics', async () => {
    const text = await scrape(telemetry);
    expect(text).toMatch(/^nodejs_eventloop_delay_p99\{.*service_name="telemetry-spec".*\} /m);
    expect(text).toMatch(/^v8js_memory_heap_used\{.*v8js_heap_space_name="old_space".*\} \d+/m);
  });
});

function scrape(telemetry: Telemetry): Promise<string> {
  return new Promise((resolve) => {
    const response = { statusCode: 0, setHeader: () => undefined, end: (body: string) => resolve(body) };
    telemetry.handleMetricsRequest({ url: '/metrics' } as IncomingMessage, response as unknown as ServerResponse);
  });
}
