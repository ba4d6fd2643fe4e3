import { splitRegisterReadings } from '../../src/register-split/register-split';
import { RegisterSplitReading } from '../../src/register-split/register-split.types';

const DAY = Date.UTC(2026, 2, 1);
const at = (hhmm: string): number => DAY + Number(hhmm.slice(0, 2)) * 3_600_000 + Number(hhmm.slice(2)) * 60_000;
const reading = (meterId: string, hhmm: string, registerWh: bigint, extra: Partial<RegisterSplitReading> = {}): RegisterSplitReading => ({
  meterId,
  readAtMs: at(hhmm),
  registerWh,
  ...extra,
});
const energies = (result: ReturnType<typeof splitRegisterReadings>): [string, bigint][] => result.intervals.map((i) => [i.periodId.slice(11, 16), i.energyWh]);

describe('splitRegisterReadings: worked examples', () => {
  it('splits a delta in proportion to time across the periods between two readings', () => {
    const result = splitRegisterReadings([reading('M1', '0000', 1000n), reading('M1', '0030', 1600n)], 'PT15M');
    expect(energies(result)).toEqual([
      ['00:00', 300n],
      ['00:15', 300n],
    ]);
    expect(result.intervals[0]).toEqual({ meterId: 'M1', periodId: '2026-03-01T00:00:00Z', periodStartMs: at('0000'), energyWh: 300n, quality: 'measured' });
    expect(result.gaps).toEqual([]);
  });

  it('carries the remainder so that 10 Wh over three periods is 3, 3, 4', () => {
    expect(energies(splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0045', 10n)], 'PT15M'))).toEqual([
      ['00:00', 3n],
      ['00:15', 3n],
      ['00:30', 4n],
    ]);
  });

  it('adds the shares of two spans inside one period, and splits hourly on PT60M', () => {
    const readings = [reading('M1', '0000', 0n), reading('M1', '0010', 100n), reading('M1', '0015', 150n)];
    expect(energies(splitRegisterReadings(readings, 'PT15M'))).toEqual([['00:00', 150n]]);
    expect(energies(splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0200', 7n)], 'PT60M'))).toEqual([
      ['00:00', 3n],
      ['01:00', 4n],
    ]);
  });

  it('emits whole periods only and completes the partial ones when the next batch arrives', () => {
    const first = splitRegisterReadings([reading('M1', '0010', 0n), reading('M1', '0040', 100n)], 'PT15M');
    // 00:10-00:15 of 00:00-00:15 is known, the rest of that period never will be.
    expect(first.gaps).toEqual([{ meterId: 'M1', reason: 'PARTIAL_FIRST_PERIOD', fromMs: at('0010'), toMs: at('0015'), energyWh: 16n }]);
    expect(energies(first)).toEqual([['00:15', 50n]]);
    expect(first.states).toEqual([{ meterId: 'M1', lastReading: { atMs: at('0040'), registerWh: 100n }, anchor: { atMs: at('0030'), registerWh: 66n } }]);

    const second = splitRegisterReadings([reading('M1', '0100', 130n)], 'PT15M', { previous: new Map(first.states.map((s) => [s.meterId, s])) });
    expect(energies(second)).toEqual([
      ['00:30', 41n],
      ['00:45', 23n],
    ]);
    expect(16n + 50n + 41n + 23n).toBe(130n);
  });

  it('reports periods no reading covers yet and fills them retroactively from a later reading', () => {
    const first = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0030', 200n)], 'PT15M', { expectedUntilMs: at('0200') });
    expect(first.gaps).toEqual([{ meterId: 'M1', reason: 'AWAITING_READING', fromMs: at('0030'), toMs: at('0200'), energyWh: null }]);
    const second = splitRegisterReadings([reading('M1', '0200', 1100n)], 'PT15M', { previous: new Map(first.states.map((s) => [s.meterId, s])) });
    expect(energies(second)).toEqual([
      ['00:30', 150n],
      ['00:45', 150n],
      ['01:00', 150n],
      ['01:15', 150n],
      ['01:30', 150n],
      ['01:45', 150n],
    ]);
  });

  it('sorts readings that arrive out of order, per meter', () => {
    const result = splitRegisterReadings(
      [reading('M2', '0015', 20n), reading('M1', '0030', 60n), reading('M2', '0000', 0n), reading('M1', '0000', 0n), reading('M1', '0015', 10n)],
      'PT15M',
    );
    expect(result.intervals.map((i) => [i.meterId, i.periodId.slice(11, 16), i.energyWh])).toEqual([
      ['M2', '00:00', 20n],
      ['M1', '00:00', 10n],
      ['M1', '00:15', 50n],
    ]);
  });

  it('refuses a register going backwards, naming the reading, and goes on with the rest', () => {
    const result = splitRegisterReadings([reading('M1', '0000', 100n), reading('M1', '0015', 90n, { index: 7 }), reading('M1', '0030', 160n)], 'PT15M');
    expect(result.errors).toEqual([
      expect.objectContaining({ index: 7, meterId: 'M1', code: 'REGISTER_BACKWARDS', field: 'readings[7].registerWh', value: '90' }),
    ]);
    expect(energies(result)).toEqual([
      ['00:00', 30n],
      ['00:15', 30n],
    ]);
  });

  it('continues across a declared meter exchange with the old meter\'s final value, losing nothing', () => {
    const result = splitRegisterReadings(
      [reading('M1', '0000', 5000n), reading('M1', '0030', 0n, { meterExchange: true, previousMeterFinalWh: 5600n }), reading('M1', '0100', 300n)],
      'PT15M',
    );
    expect(result.errors).toEqual([]);
    expect(energies(result)).toEqual([
      ['00:00', 300n],
      ['00:15', 300n],
      ['00:30', 150n],
      ['00:45', 150n],
    ]);
  });

  it('reports the span before an exchange without a final value as a gap and restarts there', () => {
    const result = splitRegisterReadings(
      [reading('M1', '0000', 5000n), reading('M1', '0020', 0n, { meterExchange: true }), reading('M1', '0045', 250n)],
      'PT15M',
    );
    expect(result.gaps).toEqual([
      { meterId: 'M1', reason: 'METER_EXCHANGE_WITHOUT_FINAL_READING', fromMs: at('0000'), toMs: at('0020'), energyWh: null },
      { meterId: 'M1', reason: 'PARTIAL_FIRST_PERIOD', fromMs: at('0020'), toMs: at('0030'), energyWh: 100n },
    ]);
    expect(energies(result)).toEqual([['00:30', 150n]]);
  });

  it('fills a span longer than maxGapMs retroactively, reports it, and marks its periods estimated', () => {
    const result = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0010', 10n), reading('M1', '0140', 100n), reading('M1', '0200', 200n)], 'PT15M', {
      maxGapMs: 3_600_000,
    });
    expect(result.gaps).toEqual([{ meterId: 'M1', reason: 'LONG_SPAN_INTERPOLATED', fromMs: at('0010'), toMs: at('0140'), energyWh: null }]);
    expect(result.intervals.map((i) => [i.periodId.slice(11, 16), i.energyWh, i.quality])).toEqual([
      ['00:00', 15n, 'estimated'],
      ['00:15', 15n, 'estimated'],
      ['00:30', 15n, 'estimated'],
      ['00:45', 15n, 'estimated'],
      ['01:00', 15n, 'estimated'],
      ['01:15', 15n, 'estimated'],
      // 01:30-01:40 interpolated (10 Wh), 01:40-01:45 measured (25 Wh): partly estimated is estimated.
      ['01:30', 35n, 'estimated'],
      ['01:45', 75n, 'measured'],
    ]);
    expect(result.intervals.reduce((sum, i) => sum + i.energyWh, 0n)).toBe(200n);
  });

  it('carries the estimated flag in the state when a batch ends inside a period after a long span', () => {
    const first = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0210', 130n)], 'PT15M', { maxGapMs: 3_600_000 });
    expect(first.states[0].sinceAnchorEstimated).toBe(true);
    const second = splitRegisterReadings([reading('M1', '0215', 140n), reading('M1', '0230', 150n)], 'PT15M', { previous: new Map(first.states.map((s) => [s.meterId, s])) });
    expect(second.intervals.map((i) => [i.periodId.slice(11, 16), i.energyWh, i.quality])).toEqual([
      ['02:00', 20n, 'estimated'],
      ['02:15', 10n, 'measured'],
    ]);
    expect(second.states[0].sinceAnchorEstimated).toBeUndefined();
  });

  it('does not split across a span longer than maxSpanMs: a gap with its delta, then a new series', () => {
    const result = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0300', 900n), reading('M1', '0315', 1000n)], 'PT15M', {
      maxGapMs: 1_800_000,
      maxSpanMs: 3_600_000,
    });
    expect(result.gaps).toEqual([{ meterId: 'M1', reason: 'SPAN_TOO_LONG', fromMs: at('0000'), toMs: at('0300'), energyWh: 900n }]);
    expect(energies(result)).toEqual([['03:00', 100n]]);
  });

  it('ignores an identical repeat, refuses a conflicting one and readings before the last known', () => {
    const first = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0015', 10n), reading('M1', '0015', 10n), reading('M1', '0015', 11n)], 'PT15M');
    expect(energies(first)).toEqual([['00:00', 10n]]);
    expect(first.errors.map((e) => [e.index, e.code])).toEqual([[3, 'CONFLICTING_DUPLICATE']]);
    const late = splitRegisterReadings([reading('M1', '0010', 5n)], 'PT15M', { previous: new Map(first.states.map((s) => [s.meterId, s])) });
    expect(late.errors.map((e) => e.code)).toEqual(['BEFORE_LAST_KNOWN_READING']);
    expect(late.intervals).toEqual([]);
  });

  it('refuses readings that would take one call past maxPeriods, keeping what came before', () => {
    const result = splitRegisterReadings([reading('M1', '0000', 0n), reading('M1', '0100', 40n), reading('M1', '0300', 120n)], 'PT15M', { maxPeriods: 5 });
    expect(result.intervals).toHaveLength(4);
    expect(result.errors.map((e) => [e.code, e.field, e.reason])).toEqual([['MALFORMED_TIMESTAMP', 'readings[2].readAtMs', 'would take this batch past 5 periods; send the rest in another batch']]);
    expect(result.states[0].lastReading).toEqual({ atMs: at('0100'), registerWh: 40n });
  });

  it('refuses malformed readings with the field and reason', () => {
    const result = splitRegisterReadings(
      [
        { meterId: 'bad id!', readAtMs: at('0000'), registerWh: 1n },
        { meterId: 'M1', readAtMs: 1.5, registerWh: 1n },
        { meterId: 'M1', readAtMs: at('0000'), registerWh: -1n },
        { meterId: 'M1', readAtMs: Number.MAX_SAFE_INTEGER, registerWh: 1n },
      ],
      'PT15M',
    );
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'MALFORMED_METER_ID', 'readings[0].meterId'],
      [1, 'MALFORMED_TIMESTAMP', 'readings[1].readAtMs'],
      [2, 'MALFORMED_NUMBER', 'readings[2].registerWh'],
      [3, 'MALFORMED_TIMESTAMP', 'readings[3].readAtMs'],
    ]);
  });
});
