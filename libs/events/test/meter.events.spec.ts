import { EventValidationError } from '../src/define-event';
import { MAX_INTERVALS_PER_EVENT, MeterIntervalsMeasured, MeterPointsRegistered, MeterReadingsRejected, measuredSeriesOf, measuredValuesOf, type MeasuredInterval } from '../src/meter.events';

const batchId = `0x${'ab'.repeat(32)}`;
const mpo = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';

describe('meter events', () => {
  it('builds a measured event keyed by group with a deterministic id', () => {
    const input = {
      data: {
        batchId,
        mpo,
        groupId: 'BG-NORTH',
        periodLength: 'PT15M' as const,
        receivedAt: '2026-03-29T01:20:00.000Z',
        series: [{ periodId: '2026-03-29T01:00:00Z', direction: 'production' as const, quality: 'measured' as const, meterIds: ['DE0001'], energyWh: ['1250'] }],
      },
      idParts: [batchId, 'BG-NORTH'],
      occurredAt: '2026-03-29T01:20:00.000Z',
    };
    const first = MeterIntervalsMeasured.create(input);
    expect(first.id).toBe(MeterIntervalsMeasured.create(input).id);
    expect(MeterIntervalsMeasured.subject('BG-NORTH')).toBe('meter.intervals.measured.BG-NORTH');
    expect(MeterIntervalsMeasured.subjectFilter).toBe('meter.intervals.measured.*');
  });

  const header = { batchId, mpo, groupId: 'G', periodLength: 'PT15M' as const, receivedAt: '2026-03-29T01:20:00.000Z' };
  const series = (meterIds: string[], energyWh: string[]) => [{ periodId: '2026-03-29T01:00:00Z', direction: 'consumption' as const, quality: 'measured' as const, meterIds, energyWh }];
  const build = (data: unknown) => () => MeterIntervalsMeasured.create({ data: data as never, idParts: ['x'], occurredAt: '2026-03-29T01:20:00.000Z' });

  it('refuses negative energy, a column without its partner value and too many values, naming the field', () => {
    expect(build({ ...header, series: series(['M'], ['-1']) })).toThrow(/data\.series\.0\.energyWh\.0: must be a non-negative integer/);
    expect(build({ ...header, series: series(['M', 'N'], ['1']) })).toThrow(/data\.series\.0\.energyWh: must hold one value for each of meterIds/);
    expect(build({ ...header, series: series(['M'], ['1']).map((s) => ({ ...s, periodId: '2026-03-29T01:07:00Z' })) })).toThrow(/data\.series\.0\.periodId/);
    const half = MAX_INTERVALS_PER_EVENT / 2 + 1;
    const ids = Array.from({ length: half }, (_, i) => `M${i}`);
    const twoSeries = [...series(ids, ids.map(() => '1')), { ...series(ids, ids.map(() => '1'))[0], direction: 'production' as const }];
    expect(build({ ...header, series: twoSeries })).toThrow(new RegExp(`data\\.series: must hold at most ${MAX_INTERVALS_PER_EVENT} values in all`));
  });

  it('groups values into series by period, direction and quality, and reads them back one by one', () => {
    const values: MeasuredInterval[] = [
      { meterId: 'A', direction: 'consumption', periodId: '2026-03-29T01:00:00Z', energyWh: '1', quality: 'measured' },
      { meterId: 'B', direction: 'production', periodId: '2026-03-29T01:00:00Z', energyWh: '2', quality: 'measured' },
      { meterId: 'C', direction: 'consumption', periodId: '2026-03-29T01:00:00Z', energyWh: '3', quality: 'measured' },
      { meterId: 'A', direction: 'consumption', periodId: '2026-03-29T01:15:00Z', energyWh: '4', quality: 'estimated' },
    ];
    const grouped = measuredSeriesOf(values);
    expect(grouped.map((s) => [s.periodId.slice(11, 16), s.direction, s.quality, s.meterIds, s.energyWh])).toEqual([
      ['01:00', 'consumption', 'measured', ['A', 'C'], ['1', '3']],
      ['01:00', 'production', 'measured', ['B'], ['2']],
      ['01:15', 'consumption', 'estimated', ['A'], ['4']],
    ]);
    const back = [...measuredValuesOf({ series: grouped })];
    expect(back.map(({ at, index, ...value }) => ({ ...value, where: `${at}.meterIds[${index}]` }))).toEqual([
      { ...values[0], where: 'series[0].meterIds[0]' },
      { ...values[2], where: 'series[0].meterIds[1]' },
      { ...values[1], where: 'series[1].meterIds[0]' },
      { ...values[3], where: 'series[2].meterIds[0]' },
    ]);
  });

  it('groups values into series the same way with few kinds and with many (past eight series it keys them)', () => {
    for (const periods of [1, 3, 12]) {
      const values = Array.from({ length: 300 }, (_, i) => ({
        meterId: `M${i}`,
        direction: i % 3 === 0 ? ('production' as const) : ('consumption' as const),
        periodId: `2026-03-29T${String(i % periods).padStart(2, '0')}:00:00Z`,
        energyWh: BigInt(i),
        quality: i % 7 === 0 ? ('estimated' as const) : ('measured' as const),
      }));
      // The oracle: series in order of first appearance, values in order within each.
      const expected = new Map<string, { meterIds: string[]; energyWh: string[] }>();
      for (const v of values) {
        const kind = `${v.periodId}|${v.direction}|${v.quality}`;
        const series = expected.get(kind) ?? { meterIds: [], energyWh: [] };
        expected.set(kind, series);
        series.meterIds.push(v.meterId);
        series.energyWh.push(String(v.energyWh));
      }
      const grouped = measuredSeriesOf(values);
      expect(grouped.map((s) => [`${s.periodId}|${s.direction}|${s.quality}`, { meterIds: s.meterIds, energyWh: s.energyWh }])).toEqual([...expected]);
      expect(grouped.length).toBe(expected.size);
    }
  });

  it('reads schema version 1 (an object per value) and upcasts it to series; refuses a version it does not know', () => {
    const v2 = MeterIntervalsMeasured.create({ data: { ...header, series: series(['M1', 'M2'], ['10', '20']) }, idParts: ['same'], occurredAt: '2026-03-29T01:20:00.000Z' });
    const { series: _series, ...v1Header } = v2.data;
    const intervals = [
      { meterId: 'M1', direction: 'consumption', periodId: '2026-03-29T01:00:00Z', energyWh: '10', quality: 'measured' },
      { meterId: 'M2', direction: 'consumption', periodId: '2026-03-29T01:00:00Z', energyWh: '20', quality: 'measured' },
    ];
    const v1 = { ...v2, schemaVersion: 1, data: { ...v1Header, intervals } };
    expect(MeterIntervalsMeasured.readsVersions).toEqual([1, 2]);
    expect(MeterIntervalsMeasured.parse(JSON.parse(JSON.stringify(v1)))).toEqual(v2);
    // Version 1's own rules still apply to version 1 events.
    expect(() => MeterIntervalsMeasured.parse({ ...v1, data: { ...v1.data, intervals: [{ ...intervals[0], energyWh: '-5' }] } })).toThrow(/data\.intervals\.0\.energyWh: must not be negative/);
    // Version 2 fields under version 1 are refused, not guessed at.
    expect(() => MeterIntervalsMeasured.parse({ ...v2, schemaVersion: 1 })).toThrow(/data: Unrecognized key\(s\) in object: 'series'/);
    expect(() => MeterIntervalsMeasured.parse({ ...v2, schemaVersion: 3 })).toThrow(/schemaVersion: 3 is not a version this service reads \(it reads 1, 2\)/);
  });

  it('validates registry and rejection batches', () => {
    const registered = MeterPointsRegistered.create({
      data: {
        requestedBy: mpo,
        points: [
          { meterId: 'M1', direction: 'consumption', mpo, dso: mpo, groupId: 'G', supplier: null, connectionLimitW: '30000', validFrom: '2026-03-29T00:00:00.000Z', validTo: null },
        ],
      },
      idParts: ['r1'],
      occurredAt: '2026-03-29T00:00:00.000Z',
    });
    expect(registered.type).toBe('meter.points.registered');
    expect(() => MeterReadingsRejected.parse({ ...registered, type: 'meter.readings.rejected' })).toThrow(EventValidationError);
  });
});
