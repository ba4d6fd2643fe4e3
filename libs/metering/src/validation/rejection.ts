/**
 * A refused value, machine-readable: which rule (code), which meter, which field of the
 * submitted entry, the value as sent, and a sentence for people. Same shape as the
 * `meter.readings.rejected` wire schema.
 */
export type RejectionCode =
  | 'MALFORMED_ENTRY'
  | 'MALFORMED_METER_ID'
  | 'MALFORMED_NUMBER'
  | 'MALFORMED_TIMESTAMP'
  | 'UNKNOWN_METER'
  | 'METER_RETIRED'
  | 'NOT_OPERATED_BY_MPO'
  | 'OUTSIDE_VALIDITY'
  | 'TIMESTAMP_IN_FUTURE'
  | 'OUTSIDE_CORRECTION_WINDOW'
  | 'REGISTER_BACKWARDS'
  | 'REGISTER_OUT_OF_ORDER'
  | 'ABOVE_CONNECTION_LIMIT'
  | 'CONFLICTING_DUPLICATE'
  | 'IRREGULAR_INTERVAL';

export interface Rejection {
  readonly code: RejectionCode;
  readonly meterId: string | null;
  readonly field: string;
  readonly value: string;
  readonly reason: string;
}

// The `meter.readings.rejected` wire schema's bounds: no field of a rejection carries
// unbounded user text (a hostile MSCONS reference or meter id lands in field/meterId/reason).
const MAX_VALUE_CHARS = 128;
const MAX_FIELD_CHARS = 128;
const MAX_REASON_CHARS = 500;

/** The submitted value as text, shortened so a hostile entry cannot bloat the answer. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'bigint') text = value.toString();
  else if (value === undefined) text = '(missing)';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** Text cut to `max` characters in all, the last one an ellipsis when cut. */
function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function rejection(code: RejectionCode, meterId: string | null, field: string, value: unknown, reason: string): Rejection {
  return {
    code,
    meterId: meterId === null ? null : bounded(meterId, MAX_FIELD_CHARS),
    field: bounded(field, MAX_FIELD_CHARS),
    value: describeValue(value),
    reason: bounded(reason, MAX_REASON_CHARS),
  };
}
