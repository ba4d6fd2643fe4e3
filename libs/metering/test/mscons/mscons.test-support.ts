/**
 * Builds small interchanges for tests, with the UNT and UNZ counts computed, so a test states
 * only what it is about. Segments are written with the default service characters; pass a
 * different UNA and segments written for it to test other ones.
 */
export interface TestInterval {
  readonly kwh: string;
  readonly start: string;
  readonly end: string;
  readonly qualifier?: string;
  readonly format?: string;
}

export function messageSegments(reference: string, body: readonly string[]): string[] {
  return [`UNH+${reference}+MSCONS:D:04B:UN:2.2e`, ...body, `UNT+${body.length + 2}+${reference}`];
}

export function interchangeText(messages: readonly (readonly string[])[], una = "UNA:+.? '", terminator = "'"): string {
  const segments = ['UNB+UNOC:3+9900000000001:500+9900000000002:500+260329:1200+REF1', ...messages.flat(), `UNZ+${messages.length}+REF1`];
  return `${una}${segments.map((segment) => `${segment}${terminator}`).join('')}`;
}

export function locationSegments(meterId: string, intervals: readonly TestInterval[], obis = '1-1?:1.29.0'): string[] {
  const segments = [`LOC+172+${meterId}`, 'LIN+1', `PIA+5+${obis}:SRW`];
  for (const interval of intervals) {
    const format = interval.format ?? '303';
    segments.push(`QTY+${interval.qualifier ?? '220'}:${interval.kwh}`, `DTM+163:${interval.start}:${format}`, `DTM+164:${interval.end}:${format}`);
  }
  return segments;
}

/** Consecutive 15-minute intervals in local time with the given offset (e.g. "?+01"). */
export function quarterHours(day: string, fromMinute: number, values: readonly string[], offset = '?+01'): TestInterval[] {
  return values.map((kwh, index) => ({
    kwh,
    start: `${day}${clock(fromMinute + index * 15)}${offset}`,
    end: `${day}${clock(fromMinute + (index + 1) * 15)}${offset}`,
  }));
}

function clock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}`;
}
