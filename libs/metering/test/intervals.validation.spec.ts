import fc from 'fast-check';
import { Wallet } from 'ethers';
import { BatchFormatError, buildRegistryView, parseReadingBatch, validateIntervals, type RegistryVersion } from '../src';

const mpo = Wallet.createRandom().address;
const otherMpo = Wallet.createRandom().address;
const T0 = Date.parse('2026-03-29T00:00:00Z');
const QH = 900_000;
const version = (meterId: string, extra: Partial<RegistryVersion> = {}): RegistryVersion => ({
  meterId,
  direction: 'production',
  mpo,
  groupId: 'BG-1',
  connectionLimitW: 4000n, // 1000 Wh per quarter hour
  validFromMs: T0,
  validToMs: null,
  retired: false,
  ...extra,
});
const registry = buildRegistryView([
  version('M1'),
  version('M2', { validToMs: T0 + 4 * QH }),
  version('M2', { groupId: 'BG-2', validFromMs: T0 + 4 * QH }),
  version('OLD', { validToMs: T0 + 2 * QH, retired: true }),
  version('FOREIGN', { mpo: otherMpo }),
]);
const iv = (meterId: unknown, periodId: unknown, energyWh: unknown, quality?: unknown) => ({ meterId, periodId, energyWh, ...(quality === undefined ? {} : { quality }) });

function run(intervals: unknown[], nowMs = T0 + 96 * QH) {
  const batch = parseReadingBatch({ mpo, intervals });
  const result = validateIntervals(batch.intervals, { mpo, periodLength: batch.periodLength, nowMs, registry });
  return { ...result, rejections: [...batch.rejections, ...result.rejections] };
}

describe('interval validation', () => {
  it('accepts good values and resolves group by the version in force', () => {
    const { accepted, rejections } = run([iv('M1', '2026-03-29T00:00:00Z', '1000'), iv('M2', '2026-03-29T00:45:00Z', '5'), iv('M2', '2026-03-29T01:00:00Z', '6', 'estimated')]);
    expect(rejections).toEqual([]);
    expect(accepted.map((a) => [a.meterId, a.groupId, a.energyWh, a.quality])).toEqual([
      ['M1', 'BG-1', 1000n, 'measured'],
      ['M2', 'BG-1', 5n, 'measured'],
      ['M2', 'BG-2', 6n, 'estimated'],
    ]);
  });

  it('gives each bad value a machine-readable reason and keeps the good ones', () => {
    const { accepted, rejections } = run([
      iv('M1', '2026-03-29T00:00:00Z', '7'),
      iv('NOPE', '2026-03-29T00:00:00Z', '1'),
      iv('OLD', '2026-03-29T00:30:00Z', '1'),
      iv('M1', '2026-03-29T00:15:00Z', '1001'),
      iv('M1', '2026-03-29T00:07:00Z', '1'),
      iv('M1', '2026-03-29T00:30:00Z', 12),
      iv('M1', '2026-03-29T00:30:00Z', '-3'),
      iv('M1', '2026-03-28T23:45:00Z', '1'),
      iv('M1', '2026-03-31T00:00:00Z', '1'),
      iv('bad id!', '2026-03-29T00:00:00Z', '1'),
      'not an object',
      iv('M1', '2026-03-29T00:45:00Z', '1', 'guessed'),
    ]);
    expect(accepted.map((a) => a.energyWh)).toEqual([7n]);
    expect(rejections.map((r) => [r.code, r.field])).toEqual(
      expect.arrayContaining([
        ['UNKNOWN_METER', 'intervals[1].meterId'],
        ['METER_RETIRED', 'intervals[2].periodId'],
        ['ABOVE_CONNECTION_LIMIT', 'intervals[3].energyWh'],
        ['MALFORMED_TIMESTAMP', 'intervals[4].periodId'],
        ['MALFORMED_NUMBER', 'intervals[5].energyWh'],
        ['MALFORMED_NUMBER', 'intervals[6].energyWh'],
        ['OUTSIDE_VALIDITY', 'intervals[7].periodId'],
        ['TIMESTAMP_IN_FUTURE', 'intervals[8].periodId'],
        ['MALFORMED_METER_ID', 'intervals[9].meterId'],
        ['MALFORMED_ENTRY', 'intervals[10]'],
        ['MALFORMED_ENTRY', 'intervals[11].quality'],
      ]),
    );
    expect(rejections).toHaveLength(11);
    expect(rejections.find((r) => r.code === 'MALFORMED_NUMBER')).toMatchObject({ meterId: 'M1', value: '12' });
  });

  it('collapses identical duplicates and refuses conflicting ones', () => {
    const { accepted, rejections } = run([iv('M1', '2026-03-29T00:00:00Z', '5'), iv('M1', '2026-03-29T00:00:00Z', '5'), iv('M1', '2026-03-29T00:15:00Z', '5'), iv('M1', '2026-03-29T00:15:00Z', '6')]);
    expect(accepted.map((a) => a.periodId)).toEqual(['2026-03-29T00:00:00Z']);
    expect(rejections.map((r) => r.code)).toEqual(['CONFLICTING_DUPLICATE']);
  });

  it('judges duplicates inside a batch the same whether the meters come in order or not', () => {
    const meters = ['A1', 'A2', 'B1', 'B2', 'C1'];
    const wide = buildRegistryView(meters.map((meterId) => version(meterId)));
    const periods = ['2026-03-29T00:00:00Z', '2026-03-29T00:15:00Z', '2026-03-29T00:30:00Z'];
    const value = fc.tuple(fc.constantFrom(...meters), fc.constantFrom(...periods), fc.constantFrom('5', '6'), fc.constantFrom('measured', 'estimated'));
    // Sorted runs (the usual batch), shuffled ones and repeats; the oracle: a (meter, period)
    // sent with one content is accepted once at its first position, sent with two is refused.
    const batch = fc.oneof(
      fc.array(value, { minLength: 1, maxLength: 25 }),
      fc.array(value, { minLength: 1, maxLength: 25 }).map((values) => [...values].sort((a, b) => (a[1] + a[0] < b[1] + b[0] ? -1 : 1))),
      fc.uniqueArray(value, { minLength: 1, maxLength: 15, selector: ([m, p]) => `${m}|${p}` }).map((values) => [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    );
    fc.assert(
      fc.property(batch, (values) => {
        const parsed = parseReadingBatch({ mpo, intervals: values.map(([m, p, e, q]) => iv(m, p, e, q)) });
        const { accepted, rejections } = validateIntervals(parsed.intervals, { mpo, periodLength: 'PT15M', nowMs: T0 + 96 * QH, registry: wide });
        const contents = new Map<string, Set<string>>();
        const first = new Map<string, number>();
        values.forEach(([m, p, e, q], index) => {
          const key = `${m}|${p}`;
          contents.set(key, (contents.get(key) ?? new Set()).add(`${e}|${q}`));
          if (!first.has(key)) first.set(key, index);
        });
        const kept = [...first].filter(([key]) => contents.get(key)!.size === 1).map(([, index]) => index);
        expect(accepted.map((a) => a.index)).toEqual(kept);
        expect(rejections.map((r) => `${r.code}|${r.meterId}`).sort()).toEqual(
          [...contents].filter(([, set]) => set.size > 1).map(([key]) => `CONFLICTING_DUPLICATE|${key.split('|')[0]}`).sort(),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('bounds each value by its own meter\'s connection limit when limits alternate', () => {
    const mixed = buildRegistryView(['S1', 'L1', 'S2', 'L2', 'S3'].map((meterId) => version(meterId, { connectionLimitW: meterId.startsWith('L') ? 8000n : 4000n })));
    const parsed = parseReadingBatch({ mpo, intervals: ['S1', 'L1', 'S2', 'L2', 'S3'].map((meterId) => iv(meterId, '2026-03-29T00:00:00Z', '1500')) });
    const { accepted, rejections } = validateIntervals(parsed.intervals, { mpo, periodLength: 'PT15M', nowMs: T0 + 96 * QH, registry: mixed });
    expect(accepted.map((a) => a.meterId)).toEqual(['L1', 'L2']);
    expect(rejections.map((r) => [r.code, r.meterId])).toEqual([
      ['ABOVE_CONNECTION_LIMIT', 'S1'],
      ['ABOVE_CONNECTION_LIMIT', 'S2'],
      ['ABOVE_CONNECTION_LIMIT', 'S3'],
    ]);
  });

  it('reports meters of another MPO apart, for a 403', () => {
    const { foreign } = run([iv('FOREIGN', '2026-03-29T00:00:00Z', '1')]);
    expect(foreign).toEqual([expect.objectContaining({ code: 'NOT_OPERATED_BY_MPO', meterId: 'FOREIGN' })]);
  });

  it('refuses a broken envelope as a whole, naming the field', () => {
    expect(() => parseReadingBatch({ mpo, intervals: [], readings: [] })).toThrow(BatchFormatError);
    expect(() => parseReadingBatch({ mpo: 'nobody', intervals: [1] })).toThrow(/mpo/);
    expect(() => parseReadingBatch({ mpo, intervals: [1], extra: true })).toThrow(/extra: unknown field/);
    expect(() => parseReadingBatch([])).toThrow(/body/);
  });
});

describe('correction window', () => {
  it('refuses values for periods older than the window, naming it', () => {
    const batch = parseReadingBatch({ intervals: [iv('M1', '2026-03-29T00:00:00Z', '1'), iv('M1', '2026-03-29T01:00:00Z', '1')] });
    const result = validateIntervals(batch.intervals, { mpo, periodLength: batch.periodLength, nowMs: T0 + 8 * QH, registry, correctionWindowMs: 4 * QH });
    expect(result.accepted.map((a) => a.periodId)).toEqual(['2026-03-29T01:00:00Z']);
    expect(result.rejections).toEqual([expect.objectContaining({ code: 'OUTSIDE_CORRECTION_WINDOW', field: 'intervals[0].periodId' })]);
  });
});
