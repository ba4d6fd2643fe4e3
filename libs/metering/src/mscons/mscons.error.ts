/**
 * One error type for everything the MSCONS parser refuses. Every error names where it
 * happened (segment number and tag), which field, and why, so an MPO can fix its file.
 */
export type MsconsErrorCode =
  | 'INPUT_TOO_LARGE'
  | 'TOO_MANY_SEGMENTS'
  | 'SEGMENT_TOO_LONG'
  | 'EMPTY_INTERCHANGE'
  | 'MALFORMED_ENCODING'
  | 'BAD_SERVICE_STRING_ADVICE'
  | 'UNTERMINATED_SEGMENT'
  | 'BAD_SEGMENT_TAG'
  | 'MISSING_UNB'
  | 'MISSING_UNZ'
  | 'SEGMENT_OUTSIDE_MESSAGE'
  | 'DATA_AFTER_UNZ'
  | 'UNZ_COUNT_MISMATCH'
  | 'CONTROL_REFERENCE_MISMATCH'
  | 'MISSING_ELEMENT'
  | 'ELEMENT_TOO_LONG'
  | 'UNSUPPORTED_MESSAGE_TYPE'
  | 'MISSING_UNT'
  | 'UNT_COUNT_MISMATCH'
  | 'MESSAGE_REFERENCE_MISMATCH'
  | 'UNSUPPORTED_QUALIFIER'
  | 'SEGMENT_OUT_OF_PLACE'
  | 'MALFORMED_METER_ID'
  | 'MALFORMED_TIMESTAMP'
  | 'MALFORMED_NUMBER'
  | 'UNSUPPORTED_UNIT'
  | 'DUPLICATE_DATE'
  | 'MISSING_INTERVAL_DATE';

/** Where an error sits: position in the interchange (UNB is 1; UNA is not a segment) and tag. */
export interface MsconsSegmentRef {
  readonly number: number;
  readonly tag: string;
}

export class MsconsError extends Error {
  constructor(
    readonly code: MsconsErrorCode,
    readonly segment: MsconsSegmentRef | null,
    /** The EDIFACT field, e.g. `DTM C507.2380 (date/time value)`, or what of the segment is wrong (`segment tag`). */
    readonly field: string,
    readonly reason: string,
  ) {
    super(describe(segment, field, reason));
    this.name = 'MsconsError';
  }
}

function describe(segment: MsconsSegmentRef | null, field: string, reason: string): string {
  const where = segment ? `segment ${segment.number} (${printable(segment.tag)})` : 'interchange';
  return `${where}, ${field}: ${reason}`;
}

/** Shortens and neutralises input echoed back in messages (hostile files reach logs). */
export function printable(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[^\x20-\x7e\u00a0-\u00ff]/g, '\ufffd');
}
