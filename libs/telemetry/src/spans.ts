import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { tracer } from './telemetry';

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** Parent context; defaults to the active one. */
  readonly parent?: Context;
}

/** Runs `fn` inside a new active span; records the exception and error status if it throws. */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    markSpanFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * `withSpan` under the active span; outside any trace (a poller's tick) runs `fn` bare, so
 * routine calls add no root span of their own.
 */
export async function withChildSpan<T>(name: string, options: Omit<SpanOptions, 'parent'>, fn: () => Promise<T>): Promise<T> {
  if (!trace.getSpan(context.active())) return fn();
  return withSpan(name, options, () => fn());
}

export function markSpanFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export { SpanKind };
