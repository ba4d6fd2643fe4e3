import fc from 'fast-check';
import { priceEnergy } from '@gridledger/domain';
import { computePeriodAllocation } from '../src/period-allocation';
import { Holder, Plant } from '../src/plant';

const operator = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';

/** A plain bigint reference: floor quotas, then +1 by largest remainder, ties by holder id, operator last. */
function reference(output: bigint, capacity: bigint, shares: Array<[string, bigint]>): Map<string, bigint> {
  const claims = [...shares].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const unsold = capacity - claims.reduce((sum, [, s]) => sum + s, 0n);
  const all: Array<[string, bigint]> = [...claims, ['~operator', unsold]];
  const quotas = all.map(([, s]) => (output * s) / capacity);
  const remainders = all.map(([, s]) => (output * s) % capacity);
  let left = output - quotas.reduce((a, b) => a + b, 0n);
  const order = all.map((_, i) => i).sort((a, b) => (remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : a - b));
  for (const i of order) {
    if (left === 0n) break;
    quotas[i] += 1n;
    left -= 1n;
  }
  return new Map(all.map(([id], i) => [id, quotas[i]]));
}

describe('allocation engine against a plain bigint reference', () => {
  it('agrees on every allocation, on both the double and the bigint path (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 1_000 })), { minLength: 1, maxLength: 25 }),
        (capacityW, outputWh, raw) => {
          const shares = new Map<string, bigint>();
          let left = capacityW;
          for (const [holder, permille] of raw) {
            const id = `h${holder}`;
            const wanted = (capacityW * BigInt(permille)) / 25_000n;
            if (wanted === 0n || shares.has(id) || wanted > left) continue;
            shares.set(id, wanted);
            left -= wanted;
          }
          fc.pre(shares.size > 0);
          const plant: Plant = { plantId: 'p', kind: 'hydro', meterId: 'M-P', capacityW, operator, groupId: 'G1', feePerMWPeriodCents: 1_234n };
          const holders = new Map<string, Holder>([...shares.keys()].map((id) => [id, { holderId: id, consumptionMeterId: `C-${id}`, groupId: 'G2' }]));
          const result = computePeriodAllocation({
            periodId: '2026-03-29T01:00:00Z',
            energyPricePerMWh: 9_999n,
            plants: [plant],
            holders,
            holdings: [...shares].map(([holderId, sharesW]) => ({ plantId: 'p', holderId, sharesW })),
            outputWh: new Map([['M-P', outputWh]]),
            consumptionWh: new Map([...shares.keys()].map((id, i) => [`C-${id}`, BigInt(i) * 1_000n])),
          });
          const expected = reference(outputWh, capacityW, [...shares]);
          for (const row of result.holders) {
            expect(row.allocatedWh).toBe(expected.get(row.holderId));
            const fee = (shares.get(row.holderId) as bigint) * 1_234n;
            // The fee, rounded half away from zero once.
            expect(row.capacityFeeCents).toBe((fee * 2n + 1_000_000n) / 2_000_000n);
            expect(row.residualCostCents).toBe(row.residualWh === 0n ? 0n : priceEnergy(row.residualWh, 9_999n));
          }
          expect(result.plants[0].operatorWh).toBe(expected.get('~operator'));
          expect(result.exchanges).toEqual(result.plants[0].allocatedToHoldersWh === 0n ? [] : [{ fromGroup: 'G1', toGroup: 'G2', energyWh: result.plants[0].allocatedToHoldersWh }]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses inputs it cannot compute exactly', () => {
    const plant: Plant = { plantId: 'p', kind: 'pv', meterId: 'M-P', capacityW: 10n, operator, groupId: 'G1', feePerMWPeriodCents: 0n };
    const holders = new Map([['a', { holderId: 'a', consumptionMeterId: 'C-a', groupId: 'G1' }]]);
    const input = { periodId: '2026-03-29T01:00:00Z', energyPricePerMWh: 1n, plants: [plant], holders, holdings: [{ plantId: 'p', holderId: 'a', sharesW: 5n }], consumptionWh: new Map<string, bigint>() };
    expect(() => computePeriodAllocation({ ...input, outputWh: new Map([['M-P', 2n ** 60n]]) })).toThrow(/output of plant p must be a non-negative integer number of Wh below 2\^53/);
  });
});
