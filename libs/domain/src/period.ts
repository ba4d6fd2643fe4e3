/**
 * Settlement periods: PT15M by default, PT60M allowed; aligned to the UTC epoch and named
 * by their start instant ("2026-03-29T01:00:00Z"). Local days are handled at the edges by
 * `periodsOfLocalDay`, which is where DST days get their 92 or 100 quarter hours.
 */
export type PeriodLength = 'PT15M' | 'PT60M';
export type PeriodId = string;

export const DEFAULT_PERIOD_LENGTH: PeriodLength = 'PT15M';
const MINUTE_MS = 60_000;

export class PeriodError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid period "${input}": ${reason}`);
    this.name = 'PeriodError';
  }
}

export function periodLengthMs(length: PeriodLength): number {
  switch (length) {
    case 'PT15M':
      return 15 * MINUTE_MS;
    case 'PT60M':
      return 60 * MINUTE_MS;
    default: {
      const unknownLength: never = length;
      throw new PeriodError(String(unknownLength), 'period length must be PT15M or PT60M');
    }
  }
}

export function isPeriodLength(value: unknown): value is PeriodLength {
  return value === 'PT15M' || value === 'PT60M';
}

/** The start (epoch ms) of the period containing `instantMs`. */
export function periodStartOf(instantMs: number, length: PeriodLength = DEFAULT_PERIOD_LENGTH): number {
  const size = periodLengthMs(length);
  return Math.floor(instantMs / size) * size;
}

export function periodIdOf(instantMs: number, length: PeriodLength = DEFAULT_PERIOD_LENGTH): PeriodId {
  return formatInstant(periodStartOf(instantMs, length));
}

/** "2026-03-29T01:00:00Z": UTC, second precision, no milliseconds. */
export function formatInstant(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new PeriodError(String(epochMs), 'not a finite instant');
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const PERIOD_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):00Z$/;

/** Parses a period id strictly: UTC, aligned to the period length. Returns its start in ms. */
export function parsePeriodId(id: string, length: PeriodLength = DEFAULT_PERIOD_LENGTH): number {
  if (typeof id !== 'string' || !PERIOD_ID.test(id)) {
    throw new PeriodError(String(id), 'must read YYYY-MM-DDTHH:MM:00Z in UTC');
  }
  const start = Date.parse(id);
  if (Number.isNaN(start) || formatInstant(start) !== id) throw new PeriodError(id, 'not a calendar instant');
  if (start % periodLengthMs(length) !== 0) throw new PeriodError(id, `not aligned to ${length}`);
  return start;
}

export function periodEndMs(id: PeriodId, length: PeriodLength = DEFAULT_PERIOD_LENGTH): number {
  return parsePeriodId(id, length) + periodLengthMs(length);
}

export function nextPeriodId(id: PeriodId, length: PeriodLength = DEFAULT_PERIOD_LENGTH): PeriodId {
  return formatInstant(periodEndMs(id, length));
}

/** Period ids covering [fromMs, toMs); both ends must be aligned. */
export function periodIdsBetween(fromMs: number, toMs: number, length: PeriodLength = DEFAULT_PERIOD_LENGTH): PeriodId[] {
  const size = periodLengthMs(length);
  if (fromMs % size !== 0 || toMs % size !== 0) {
    throw new PeriodError(`${formatInstant(fromMs)}/${formatInstant(toMs)}`, `range not aligned to ${length}`);
  }
  const ids: PeriodId[] = [];
  for (let start = fromMs; start < toMs; start += size) ids.push(formatInstant(start));
  return ids;
}

/** Offset of `timeZone` from UTC at the instant, in ms (Europe/Berlin in summer: +7_200_000). */
export function timeZoneOffsetMs(instantMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (instantMs - (instantMs % 1000));
}

/** The UTC instant of local midnight starting `localDate` (YYYY-MM-DD) in `timeZone`. */
export function localMidnightUtc(localDate: string, timeZone: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDate);
  if (!match) throw new PeriodError(localDate, 'local date must read YYYY-MM-DD');
  const wallClock = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Two passes settle the offset even when midnight sits next to a DST switch.
  let guess = wallClock - timeZoneOffsetMs(wallClock, timeZone);
  guess = wallClock - timeZoneOffsetMs(guess, timeZone);
  return guess;
}

/** The periods of one local calendar day: 96 quarter hours normally, 92 or 100 on DST days. */
export function periodsOfLocalDay(localDate: string, timeZone: string, length: PeriodLength = DEFAULT_PERIOD_LENGTH): PeriodId[] {
  const start = localMidnightUtc(localDate, timeZone);
  const [y, m, d] = localDate.split('-').map(Number);
  const nextDate = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  return periodIdsBetween(start, localMidnightUtc(nextDate, timeZone), length);
}
