import { EMPTY_VALUES_DIGEST, valuesDigest, type Direction } from '@gridledger/domain';
import { MEASURED, MeterRowsBuilder, NO_VALUE, SUBSTITUTED, directionCode, measuredValuesDigest } from '../src';

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('measuredValuesDigest', () => {
  it.each([1, 2, 3, 4, 5])('equals valuesDigest over the measured rows in any row order (seed %i)', (seed) => {
    const next = random(seed);
    const builder = new MeterRowsBuilder();
    const measured: { meterId: string; direction: Direction; energyWh: bigint }[] = [];
    for (let i = 0; i < 500; i++) {
      // Ids of different lengths and cases, both directions of one meter, rows with no value and substitutes.
      const meterId = `${next() < 0.5 ? 'DE' : 'de'}${Math.floor(next() * 1_000_000)}${next() < 0.2 ? 'X' : ''}`;
      const direction: Direction = next() < 0.5 ? 'consumption' : 'production';
      const kind = next() < 0.7 ? MEASURED : next() < 0.5 ? SUBSTITUTED : NO_VALUE;
      const energyWh = kind === NO_VALUE ? 0n : BigInt(Math.floor(next() * 10_000_000));
      if (measured.some((value) => value.meterId === meterId && value.direction === direction)) continue;
      builder.push(meterId, directionCode(direction), next() < 0.9, kind, energyWh);
      if (kind === MEASURED) measured.push({ meterId, direction, energyWh });
    }
    expect(measured.length).toBeGreaterThan(200);
    expect(measuredValuesDigest(builder.build())).toEqual(valuesDigest(measured));
  });

  it('hashes rows already in the canonical order without reordering them, with the same answer', () => {
    const builder = new MeterRowsBuilder();
    builder.push('A1', directionCode('consumption'), true, MEASURED, 5n);
    builder.push('A1', directionCode('production'), true, MEASURED, 7n);
    builder.push('B', directionCode('consumption'), true, SUBSTITUTED, 9n);
    builder.push('a', directionCode('consumption'), false, MEASURED, 11n);
    const digest = measuredValuesDigest(builder.build());
    expect(digest).toEqual(
      valuesDigest([
        { meterId: 'a', direction: 'consumption', energyWh: 11n },
        { meterId: 'A1', direction: 'production', energyWh: 7n },
        { meterId: 'A1', direction: 'consumption', energyWh: 5n },
      ]),
    );
    expect(digest.count).toBe(3);
  });

  it('is the empty digest when nothing was measured', () => {
    const builder = new MeterRowsBuilder();
    builder.push('A', directionCode('consumption'), true, NO_VALUE, 0n);
    expect(measuredValuesDigest(builder.build())).toEqual({ count: 0, digest: EMPTY_VALUES_DIGEST });
  });
});
