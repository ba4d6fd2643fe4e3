import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { activeTraceIds, extractTraceContext, injectTraceContext, recordCarrier } from '../src/trace-context';

// Pure: only the W3C propagator, no SDK, no exporter.
beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
afterAll(() => propagation.disable());

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

describe('trace context in message headers', () => {
  it('writes a W3C traceparent and reads the same trace back', () => {
    const carrier = recordCarrier();
    injectTraceContext(carrier, trace.setSpanContext(context.active(), spanContext));
    expect(carrier.record).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const extracted = extractTraceContext(carrier);
    expect(activeTraceIds(extracted)).toEqual({ traceId: spanContext.traceId, spanId: spanContext.spanId });
  });
  it('treats NATS’s empty string for a missing header as absent', () => {
    const natsLike = { get: () => '', set: () => undefined, keys: () => [] as string[] };
    expect(activeTraceIds(extractTraceContext(natsLike))).toBeUndefined();
  });
  it('ignores a malformed traceparent', () => {
    const carrier = recordCarrier({ traceparent: 'not-a-trace' });
    expect(activeTraceIds(extractTraceContext(carrier))).toBeUndefined();
  });
});
