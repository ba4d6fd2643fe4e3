import { startTraceCollector, type CollectedSpan, type TraceCollector } from '@gridledger/testing';
import { runMarketDay } from '../src/demo/market-day';
import { defaultOptions } from '../src/demo/options';

/** OTLP span kinds as exported (the API's SpanKind + 1). */
const OTLP_SERVER = 2;
const OTLP_CLIENT = 3;

/**
 * Operators follow a batch through traces: one MPO batch makes one trace from the MPO's HTTP
 * request to meter-ingest, through its intake and queries, the NATS hops, netting, settlement
 * and their queries in balancing, down to the chain RPC calls of the transaction in
 * chain-bridge. Spans are exported over OTLP/HTTP to a real receiver.
 */
describe('one trace per batch across the services', () => {
  let collector: TraceCollector;

  beforeAll(async () => {
    collector = await startTraceCollector();
    await runMarketDay({ ...defaultOptions(Date.now()), meters: 12, groups: 1, periods: 2, seed: 'e2e-trace', timeoutMs: 180_000 }, () => undefined, {
      handleSignals: false,
      serviceEnv: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
  }, 300_000);

  afterAll(async () => {
    await collector?.close();
  });

  it('has a trace that starts at the MPO request to meter-ingest and reaches balancing and chain-bridge', () => {
    const spans = collector.spans();
    const byTrace = new Map<string, Set<string>>();
    for (const span of spans) byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? new Set()).add(span.service));
    const spanning = [...byTrace.entries()].filter(([, services]) => ['meter-ingest', 'balancing', 'chain-bridge'].every((s) => services.has(s)));
    expect(spanning.length).toBeGreaterThan(0);
    // The trace of a batch the MPO POSTed over HTTP (others arrive over NATS or the CLI).
    const traces = spanning.map(([traceId]) => collector.trace(traceId));
    const trace = traces.find((candidate) => rootsOf(candidate).some((root) => root.kind === OTLP_SERVER)) ?? traces[0];
    // One root: the HTTP request of the batch; everything else hangs off it.
    const roots = rootsOf(trace);
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ service: 'meter-ingest', kind: OTLP_SERVER, name: expect.stringMatching(/^POST \/\S*(readings|mscons)$/) });
    const names = trace.map((span) => `${span.service}:${span.name}`);
    expect(names).toEqual(expect.arrayContaining(['balancing:balancing.gate', 'balancing:balancing.settle', 'balancing:balancing.netting']));
    expect(names.some((name) => name.startsWith('meter-ingest:intake'))).toBe(true);
    expect(names.some((name) => name.startsWith('chain-bridge:chain.commit'))).toBe(true);
    expect(names.some((name) => name.startsWith('chain-bridge:publish chain.period.confirmed'))).toBe(true);
    // Queries: pg client spans in the services that store the batch and settle it.
    for (const service of ['meter-ingest', 'balancing']) {
      expect(trace.filter((span) => span.service === service && span.kind === OTLP_CLIENT && span.name.startsWith('pg.query:')).length).toBeGreaterThan(0);
    }
    // The chain: the transaction sent over JSON-RPC, and under it fetch's HTTP client span.
    const sent = trace.filter((span) => span.service === 'chain-bridge' && span.name === 'jsonrpc eth_sendRawTransaction');
    expect(sent.length).toBeGreaterThan(0);
    const posts = trace.filter((span) => span.kind === OTLP_CLIENT && span.name === 'POST' && sent.some((rpc) => rpc.spanId === span.parentSpanId));
    expect(posts.length).toBeGreaterThan(0);
  });
});

function rootsOf(trace: readonly CollectedSpan[]): CollectedSpan[] {
  const ids = new Set(trace.map((span) => span.spanId));
  return trace.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId));
}
