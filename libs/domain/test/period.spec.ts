import {
  PeriodError,
  formatInstant,
  localMidnightUtc,
  nextPeriodId,
  parsePeriodId,
  periodIdOf,
  periodIdsBetween,
  periodStartOf,
  periodsOfLocalDay,
  timeZoneOffsetMs,
} from '../src/period';

describe('settlement periods', () => {
  it('names a period by its UTC start instant, aligned to the epoch', () => {
    const instant = Date.parse('2026-03-29T01:07:59.999Z');
    expect(periodIdOf(instant)).toBe('2026-03-29T01:00:00Z');
    expect(periodIdOf(instant, 'PT60M')).toBe('2026-03-29T01:00:00Z');
    expect(periodIdOf(Date.parse('2026-03-29T01:15:00Z'))).toBe('2026-03-29T01:15:00Z');
    expect(periodStartOf(Date.parse('2026-03-29T01:59:00Z'), 'PT60M')).toBe(Date.parse('2026-03-29T01:00:00Z'));
  });

  it('parses period ids strictly', () => {
    expect(parsePeriodId('2026-03-29T01:45:00Z')).toBe(Date.parse('2026-03-29T01:45:00Z'));
    expect(() => parsePeriodId('2026-03-29T01:45:00Z', 'PT60M')).toThrow(PeriodError);
    expect(() => parsePeriodId('2026-03-29T01:50:00Z')).toThrow(/not aligned to PT15M/);
    expect(() => parsePeriodId('2026-03-29T01:45:00.000Z')).toThrow(/YYYY-MM-DDTHH:MM:00Z/);
    expect(() => parsePeriodId('2026-03-29T01:45:00+01:00')).toThrow(PeriodError);
    expect(() => parsePeriodId('2026-02-30T00:00:00Z')).toThrow(/not a calendar instant/);
  });

  it('steps to the next period across a day boundary', () => {
    expect(nextPeriodId('2026-12-31T23:45:00Z')).toBe('2027-01-01T00:00:00Z');
    expect(nextPeriodId('2026-12-31T23:00:00Z', 'PT60M')).toBe('2027-01-01T00:00:00Z');
  });

  it('lists the periods of an aligned range and refuses unaligned ends', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    expect(periodIdsBetween(from, from + 3_600_000)).toEqual([
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:15:00Z',
      '2026-01-01T00:30:00Z',
      '2026-01-01T00:45:00Z',
    ]);
    expect(() => periodIdsBetween(from, from + 60_000)).toThrow(/not aligned/);
  });

  it('knows the Berlin offset on both sides of the spring switch', () => {
    expect(timeZoneOffsetMs(Date.parse('2026-03-29T00:59:00Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(timeZoneOffsetMs(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(7_200_000);
  });

  it('gives 92 quarter hours on the spring DST day in Europe/Berlin', () => {
    const periods = periodsOfLocalDay('2026-03-29', 'Europe/Berlin');
    expect(periods).toHaveLength(92);
    expect(periods[0]).toBe('2026-03-28T23:00:00Z');
    expect(periods[periods.length - 1]).toBe('2026-03-29T21:45:00Z');
    expect(periodsOfLocalDay('2026-03-29', 'Europe/Berlin', 'PT60M')).toHaveLength(23);
  });

  it('gives 100 quarter hours on the autumn DST day in Europe/Berlin', () => {
    const periods = periodsOfLocalDay('2026-10-25', 'Europe/Berlin');
    expect(periods).toHaveLength(100);
    expect(periods[0]).toBe('2026-10-24T22:00:00Z');
    expect(periods[periods.length - 1]).toBe('2026-10-25T22:45:00Z');
    expect(new Set(periods).size).toBe(100);
  });

  it('gives 96 quarter hours on an ordinary day and in UTC', () => {
    expect(periodsOfLocalDay('2026-06-15', 'Europe/Berlin')).toHaveLength(96);
    expect(periodsOfLocalDay('2026-03-29', 'UTC')).toHaveLength(96);
    expect(localMidnightUtc('2026-06-15', 'Europe/Berlin')).toBe(Date.parse('2026-06-14T22:00:00Z'));
  });

  it('formats instants without milliseconds and refuses non-finite ones', () => {
    expect(formatInstant(Date.parse('2026-03-29T01:00:00.000Z'))).toBe('2026-03-29T01:00:00Z');
    expect(() => formatInstant(Number.NaN)).toThrow(PeriodError);
  });
});
