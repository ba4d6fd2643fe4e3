/**
 * What the outbox relay makes of a failed publish. Transient: the server is away, slow or has
 * no stream for the subject right now; retry later and keep order (each failure while the
 * server answers counts against the row, which is parked after too many). Held: JetStream
 * answers but holds every message back for now (a full stream with discard new, insufficient
 * resources, the cluster unavailable); retry and keep order, never counted against the row,
 * since the next row would fail the same way. Permanent: this row can never be published as
 * it is (too large for the server, a subject or header the client or JetStream refuses);
 * park it and publish around it.
 */
export type PublishFailure = { readonly kind: 'transient' | 'held' | 'permanent'; readonly reason: string };

/** Longest park reason kept (the column's bound): a reason never carries unbounded text. */
export const MAX_PARK_REASON_LENGTH = 500;

// nats.js error codes that say the server or the connection is away for now.
const TRANSIENT_CODES = new Set(['503', 'TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'DISCONNECT', 'REQUEST_ERROR', '408']);
// nats.js error codes that say this message is malformed for the server: it will never pass.
const PERMANENT_CODES = new Set(['MAX_PAYLOAD_EXCEEDED', 'BAD_SUBJECT', 'BAD_PAYLOAD', 'BAD_HEADER', 'INVALID_PAYLOAD', 'PERMISSIONS_VIOLATION']);
// JetStream API errors that are about the stream's or the cluster's state, not the message:
// 10008 cluster temporarily unavailable, 10023/10047 insufficient resources, 10077 store
// failed (e.g. a full stream with discard new: it frees space as retention ages messages out).
const HELD_JS_ERRORS = new Set([10008, 10023, 10047, 10077]);

export function classifyPublishFailure(error: unknown): PublishFailure {
  const { code, api_error: apiError } = (error ?? {}) as { code?: unknown; api_error?: { err_code?: number; code?: number; description?: string } };
  const message = error instanceof Error ? error.message : String(error);
  if (apiError) {
    const held = apiError.err_code !== undefined && HELD_JS_ERRORS.has(apiError.err_code);
    const kind = held ? 'held' : apiError.code === 503 || apiError.code === 408 ? 'transient' : 'permanent';
    return { kind, reason: boundParkReason(`JetStream refused (${apiError.err_code ?? apiError.code ?? '?'}): ${apiError.description ?? message}`) };
  }
  if (typeof code === 'string' && PERMANENT_CODES.has(code)) return { kind: 'permanent', reason: boundParkReason(`${code}: ${message}`) };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return { kind: 'transient', reason: boundParkReason(`${code}: ${message}`) };
  // Unknown: retry, and let the attempt limit park it if it keeps failing.
  return { kind: 'transient', reason: boundParkReason(message) };
}

export function boundParkReason(reason: string): string {
  return reason.length <= MAX_PARK_REASON_LENGTH ? reason : `${reason.slice(0, MAX_PARK_REASON_LENGTH - 1)}…`;
}
