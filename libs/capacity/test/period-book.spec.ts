import fc from 'fast-check';
import { priceEnergy } from '@gridledger/domain';
import { postingSum } from '../src/ledger';
import { computePeriodAllocation } from '../src/period-allocation';
import { PeriodBook, allocatePeriod } from '../src/period-book';
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

/** A small random book: holdings in random order, some plants without holders, outputs small and beyond 2^53 / capacity. */
const bookArb = fc
  .record({
    plantCount: fc.integer({ min: 1, max: 6 }),
    holderCount: fc.integer({ min: 1, max: 12 }),
    pairs: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5_000 })), { minLength: 1, maxLength: 40 }),
    unsold: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 6, maxLength: 6 }),
    outputs: fc.array(fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 2 ** 40 })), { minLength: 6, maxLength: 6 }),
    groups: fc.array(fc.constantFrom('G1', 'G2', 'G3'), { minLength: 18, maxLength: 18 }),
    consumed: fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 12, maxLength: 12 }),
  })
  .map(({ plantCount, holderCount, pairs, unsold, outputs, groups, consumed }): PeriodBook => {
    // One holding per (plant, holder); the first drawn wins.
    const byPair = new Map<string, { p: number; h: number; sharesW: number }>();
    for (const [p, h, sharesW] of pairs) if (!byPair.has(`${p % plantCount}/${h % holderCount}`)) byPair.set(`${p % plantCount}/${h % holderCount}`, { p: p % plantCount, h: h % holderCount, sharesW });
    const holdings = [...byPair.values()];
    const issued = new Array<number>(plantCount).fill(0);
    for (const { p, sharesW } of holdings) issued[p] += sharesW;
    const plants: Plant[] = Array.from({ length: plantCount }, (_, p) => ({
      plantId: `p${p}`,
      kind: 'wind',
      meterId: `M-P${p}`,
      capacityW: BigInt(Math.max(1, issued[p] + unsold[p])),
      operator: p % 2 === 0 ? operator : '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2',
      groupId: groups[p],
      feePerMWPeriodCents: BigInt(p * 97),
    }));
    const holders: Holder[] = Array.from({ length: holderCount }, (_, h) => ({ holderId: `h${String(h).padStart(2, '0')}`, consumptionMeterId: `M-C${h}`, groupId: groups[6 + h] }));
    return {
      periodId: '2026-03-29T01:00:00Z',
      energyPricePerMWh: 8_000n,
      plants,
      holders,
      holdingPlant: Int32Array.from(holdings, ({ p }) => p),
      holdingHolder: Int32Array.from(holdings, ({ h }) => h),
      holdingSharesW: Float64Array.from(holdings, ({ sharesW }) => sharesW),
      plantOutputWh: Float64Array.from({ length: plantCount }, (_, p) => outputs[p]),
      holderConsumedWh: Float64Array.from({ length: holderCount }, (_, h) => consumed[h]),
    };
  });

describe('allocatePeriod on a whole book', () => {
  it('gives every plant the allocation of a direct per-plant computation, and exchanges the direct sums (property)', () => {
    fc.assert(
      fc.property(bookArb, (book) => {
        const allocated = allocatePeriod(book);
        const expectedByHolding = new Map<string, bigint>();
        const expectedExchanges = new Map<string, bigint>();
        book.plants.forEach((plant, p) => {
          const claims: Array<[string, bigint]> = [];
          book.holdingPlant.forEach((holdingPlant, i) => {
            if (holdingPlant === p) claims.push([book.holders[book.holdingHolder[i]].holderId, BigInt(book.holdingSharesW[i])]);
          });
          const expected = reference(BigInt(book.plantOutputWh[p]), plant.capacityW, claims);
          for (const [holderId, allocatedWh] of expected) {
            if (holderId === '~operator') continue;
            expectedByHolding.set(`${plant.plantId}/${holderId}`, allocatedWh);
            const holderGroup = book.holders.find((holder) => holder.holderId === holderId)!.groupId;
            if (holderGroup !== plant.groupId && allocatedWh !== 0n) {
              const pair = `${plant.groupId}>${holderGroup}`;
              expectedExchanges.set(pair, (expectedExchanges.get(pair) ?? 0n) + allocatedWh);
            }
          }
          const row = allocated.plantRows()[p];
          expect(row.operatorWh).toBe(expected.get('~operator'));
          expect(row.allocatedToHoldersWh + row.operatorWh).toBe(BigInt(book.plantOutputWh[p]));
        });
        const actualByHolding = new Map<string, bigint>();
        for (let k = 0; k < allocated.holderCount; k++) {
          const row = allocated.holderRow(k);
          // A holder's plants come in plant order, and its total is their sum.
          expect(row.plants.map((plant) => plant.plantId)).toEqual([...row.plants.map((plant) => plant.plantId)].sort());
          expect(row.allocatedWh).toBe(row.plants.reduce((sum, plant) => sum + plant.allocatedWh, 0n));
          for (const plant of row.plants) actualByHolding.set(`${plant.plantId}/${row.holderId}`, plant.allocatedWh);
          for (const posting of allocated.postingsOf(k, row)) expect(postingSum(posting)).toBe(0n);
        }
        expect(actualByHolding).toEqual(expectedByHolding);
        expect(new Map(allocated.exchanges.map((exchange) => [`${exchange.fromGroup}>${exchange.toGroup}`, exchange.energyWh]))).toEqual(expectedExchanges);
      }),
      { numRuns: 500 },
    );
  });
});

describe('allocatePeriod with a holder of many plants', () => {
  it('lists the holder\'s plants in plant order whatever the holdings order', () => {
    const plantCount = 40;
    const plants: Plant[] = Array.from({ length: plantCount }, (_, p) => ({ plantId: `p${String(p).padStart(2, '0')}`, kind: 'pv', meterId: `M-P${p}`, capacityW: 1_000n, operator, groupId: 'G1', feePerMWPeriodCents: 285n }));
    // Two holders hold every plant, holdings listed in reverse plant order and interleaved.
    const holdingPlant = Int32Array.from({ length: 2 * plantCount }, (_, i) => plantCount - 1 - Math.floor(i / 2));
    const holdingHolder = Int32Array.from({ length: 2 * plantCount }, (_, i) => 1 - (i % 2));
    const book: PeriodBook = {
      periodId: '2026-03-29T01:00:00Z',
      energyPricePerMWh: 8_000n,
      plants,
      holders: [0, 1].map((h) => ({ holderId: `h${h}`, consumptionMeterId: `M-C${h}`, groupId: 'G2' })),
      holdingPlant,
      holdingHolder,
      holdingSharesW: new Float64Array(2 * plantCount).fill(300),
      plantOutputWh: Float64Array.from({ length: plantCount }, (_, p) => p + 1),
      holderConsumedWh: new Float64Array(2),
    };
    const allocated = allocatePeriod(book);
    for (let k = 0; k < 2; k++) {
      const row = allocated.holderRow(k);
      expect(row.plants.map((plant) => plant.plantId)).toEqual(plants.map((plant) => plant.plantId));
      row.plants.forEach((plant, p) => {
        const expected = reference(BigInt(p + 1), 1_000n, [['h0', 300n], ['h1', 300n]]);
        expect(plant.allocatedWh).toBe(expected.get(row.holderId));
      });
    }
  });
});
