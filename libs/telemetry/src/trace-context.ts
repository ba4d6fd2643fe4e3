import { context, propagation, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/**
 * The minimal header shape both NATS `MsgHdrs` and plain maps satisfy. NATS returns '' for a
 * missing header, which the getter turns into undefined.
 */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  keys(): Iterable<string> | string[];
}

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<HeaderCarrier> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: (carrier) => [...carrier.keys()],
};

/** Writes W3C `traceparent` / `tracestate` of the given (default: active) context into headers. */
export function injectTraceContext(headers: HeaderCarrier, from: Context = context.active()): HeaderCarrier {
  propagation.inject(from, headers, setter);
  return headers;
}

/** Reads W3C trace context from headers into a Context to start child spans from. */
export function extractTraceContext(headers: HeaderCarrier | undefined, base: Context = context.active()): Context {
  if (!headers) return base;
  return propagation.extract(base, headers, getter);
}

/** A header carrier over a plain record, e.g. to store trace context in an outbox row. */
export function recordCarrier(record: Record<string, string> = {}): HeaderCarrier & { readonly record: Record<string, string> } {
  return {
    record,
    get: (key) => record[key.toLowerCase()],
    set: (key, value) => {
      record[key.toLowerCase()] = value;
    },
    keys: () => Object.keys(record),
  };
}

/** The active trace id and span id, or undefined outside a sampled span. */
export function activeTraceIds(ctx: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
