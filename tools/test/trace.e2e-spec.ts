import { startTraceCollector, type TraceCollector } from '@gridledger/testing';
import { runMarketDay } from '../src/demo/market-day';
import { defaultOptions } from '../src/demo/options';

/**
 * Operators follow a batch through traces: one MPO batch makes one trace that spans its
 * intake in meter-ingest, the NATS hops, netting and settlement in balancing, and the chain
 * transaction in chain-bridge. Spans are exported over OTLP/HTTP to a real receiver.
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

  it('has a trace that starts at an intake in meter-ingest and reaches balancing and chain-bridge', () => {
    const spans = collector.spans();
    const byTrace = new Map<string, Set<string>>();
    for (const span of spans) byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? new Set()).add(span.service));
    const spanning = [...byTrace.entries()].filter(([, services]) => ['meter-ingest', 'balancing', 'chain-bridge'].every((s) => services.has(s)));
    expect(spanning.length).toBeGreaterThan(0);
    const [traceId] = spanning[0];
    const trace = collector.trace(traceId);
    // One root: everything else hangs off the intake of the batch.
    const ids = new Set(trace.map((span) => span.spanId));
    const roots = trace.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId));
    expect(roots).toHaveLength(1);
    expect(roots[0].service).toBe('meter-ingest');
    const names = trace.map((span) => `${span.service}:${span.name}`);
    expect(names).toEqual(expect.arrayContaining(['balancing:balancing.gate', 'balancing:balancing.settle', 'balancing:balancing.netting']));
    expect(names.some((name) => name.startsWith('meter-ingest:intake'))).toBe(true);
    expect(names.some((name) => name.startsWith('chain-bridge:chain.commit'))).toBe(true);
    expect(names.some((name) => name.startsWith('chain-bridge:publish chain.period.confirmed'))).toBe(true);
  });
});
