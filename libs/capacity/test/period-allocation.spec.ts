import fc from 'fast-check';
import { nextPeriodId } from '@gridledger/domain';
import { balancesOf, postingSum } from '../src/ledger';
import { Holding, PeriodInput, computePeriodAllocation } from '../src/period-allocation';
import { Holder, Plant } from '../src/plant';

const operator = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const pv: Plant = { plantId: 'pv-1', kind: 'pv', meterId: 'M-PV-1', capacityW: 10_000n, operator, groupId: 'BG-A', feePerMWPeriodCents: 300_000n };
const wind: Plant = { plantId: 'wind-1', kind: 'wind', meterId: 'M-W-1', capacityW: 3n, operator, groupId: 'BG-B', feePerMWPeriodCents: 0n };
const holders = new Map<string, Holder>([
  ['alice', { holderId: 'alice', consumptionMeterId: 'M-C-A', groupId: 'BG-A' }],
  ['bob', { holderId: 'bob', consumptionMeterId: 'M-C-B', groupId: 'BG-B' }],
  ['carol', { holderId: 'carol', consumptionMeterId: 'M-C-C', groupId: 'BG-C' }],
]);

function input(overrides: Partial<PeriodInput>): PeriodInput {
  return {
    periodId: '2026-03-29T01:00:00Z',
    energyPricePerMWh: 8_000n,
    plants: [pv, wind],
    holders,
    holdings: [],
    outputWh: new Map(),
    consumptionWh: new Map(),
    ...overrides,
  };
}

describe('computePeriodAllocation', () => {
  it('books one fee entry per operator account when a holder holds shares of two plants of the same operator', () => {
    const windWithFee: Plant = { ...wind, capacityW: 10_000n, feePerMWPeriodCents: 300_000n };
    const result = computePeriodAllocation(
      input({
        plants: [pv, windWithFee],
        holdings: [
          { plantId: 'pv-1', holderId: 'alice', sharesW: 5_000n },
          { plantId: 'wind-1', holderId: 'alice', sharesW: 5_000n },
        ],
        outputWh: new Map([
          ['M-PV-1', 1_000n],
          ['M-W-1', 1_000n],
        ]),
        consumptionWh: new Map([['M-C-A', 300n]]),
      }),
    );
    const fee = result.postings.find((posting) => posting.kind === 'capacity-fee' && posting.holderId === 'alice');
    expect(fee).toBeDefined();
    const accounts = fee!.entries.map((entry) => entry.account);
    expect(new Set(accounts).size).toBe(accounts.length);
    expect(fee!.entries).toHaveLength(2);
    expect(postingSum(fee!)).toBe(0n);
  });

  it('shares out the output pro rata, the unsold part to the operator, and nets each holder', () => {
    const result = computePeriodAllocation(
      input({
        holdings: [
          { plantId: 'pv-1', holderId: 'alice', sharesW: 5_000n },
          { plantId: 'pv-1', holderId: 'bob', sharesW: 2_500n },
          { plantId: 'wind-1', holderId: 'bob', sharesW: 1n },
          { plantId: 'wind-1', holderId: 'carol', sharesW: 1n },
        ],
        outputWh: new Map([
          ['M-PV-1', 1_001n],
          ['M-W-1', 10n],
        ]),
        consumptionWh: new Map([
          ['M-C-A', 300n],
          ['M-C-B', 1_000n],
        ]),
      }),
    );
    expect(result.plants.map((p) => [p.plantId, p.allocatedToHoldersWh, p.operatorWh])).toEqual([
      ['pv-1', 751n, 250n],
      ['wind-1', 7n, 3n],
    ]);
    const byHolder = Object.fromEntries(result.holders.map((h) => [h.holderId, h]));
    // pv: 1001 × 5000/10000 = 500.5 → 501 (tie 0.5/0.25/0.25 remainder), bob 250.25 → 250, operator 250.25 → 250
    expect(byHolder.alice.allocatedWh).toBe(501n);
    expect(byHolder.alice.surplusWh).toBe(201n);
    expect(byHolder.alice.residualWh).toBe(0n);
    expect(byHolder.bob.plants.map((p) => p.allocatedWh)).toEqual([250n, 4n]);
    expect(byHolder.bob.residualWh).toBe(1_000n - 254n);
    expect(byHolder.carol.consumedWh).toBe(0n);
    expect(byHolder.carol.surplusWh).toBe(3n);
    // fee: 5000 W × 300000 cents/MW = 1500 cents; residual 746 Wh × 80 €/MWh = 5.968 cents → 6
    expect(byHolder.alice.capacityFeeCents).toBe(1_500n);
    expect(byHolder.bob.residualCostCents).toBe(6n);
    expect(result.exchanges).toEqual([
      { fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: 250n },
      { fromGroup: 'BG-B', toGroup: 'BG-C', energyWh: 3n },
    ]);
    for (const posting of result.postings) expect(postingSum(posting)).toBe(0n);
    const balances = balancesOf(result.postings);
    expect(balances.get(`operator:${operator.toLowerCase()}`)).toBe(1_500n + 750n);
  });

  const plantsArb = fc.array(
    fc.record({ capacityW: fc.bigInt({ min: 1n, max: 10n ** 8n }), output: fc.bigInt({ min: 0n, max: 10n ** 9n }), group: fc.constantFrom('G1', 'G2') }),
    { minLength: 1, maxLength: 5 },
  );

  it('allocations sum exactly to each plant output and postings balance, for random shares and outputs (property)', () => {
    fc.assert(
      fc.property(plantsArb, fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 30 }), fc.bigInt({ min: -5_000n, max: 50_000n }), (specs, cuts, price) => {
        const plants: Plant[] = specs.map((s, i) => ({ ...pv, plantId: `p${i}`, meterId: `M-P${i}`, capacityW: s.capacityW, groupId: s.group }));
        const holderMap = new Map<string, Holder>();
        const holdings: Holding[] = [];
        plants.forEach((plant, p) => {
          let left = plant.capacityW;
          cuts.forEach((cut, h) => {
            const sharesW = (plant.capacityW * BigInt(cut)) / 4_000n;
            if (sharesW === 0n || sharesW > left || (h + p) % 3 === 0) return;
            left -= sharesW;
            const holderId = `h${h}`;
            holderMap.set(holderId, { holderId, consumptionMeterId: `M-C${h}`, groupId: h % 2 ? 'G1' : 'G3' });
            holdings.push({ plantId: plant.plantId, holderId, sharesW });
          });
        });
        const outputWh = new Map(plants.map((plant, i) => [plant.meterId, specs[i].output]));
        const consumptionWh = new Map([...holderMap.values()].map((h, i) => [h.consumptionMeterId, BigInt(i * 777)]));
        const result = computePeriodAllocation(input({ plants, holders: holderMap, holdings, outputWh, consumptionWh, energyPricePerMWh: price }));
        result.plants.forEach((row, i) => {
          const toHolders = result.holders.flatMap((h) => h.plants).filter((a) => a.plantId === row.plantId).reduce((a, b) => a + b.allocatedWh, 0n);
          expect(toHolders).toBe(row.allocatedToHoldersWh);
          expect(row.allocatedToHoldersWh + row.operatorWh).toBe(specs[i].output);
        });
        for (const row of result.holders) {
          expect(row.consumedWh - row.allocatedWh).toBe(row.residualWh - row.surplusWh);
          expect(row.residualWh === 0n || row.surplusWh === 0n).toBe(true);
        }
        for (const posting of result.postings) expect(postingSum(posting)).toBe(0n);
      }),
      { numRuns: 200 },
    );
  });

  it('never uses period p’s allocation in period p+1: energy cannot be banked', () => {
    const holdings = [{ plantId: 'pv-1', holderId: 'alice', sharesW: 10_000n }];
    const p = computePeriodAllocation(input({ holdings, outputWh: new Map([['M-PV-1', 5_000n]]), consumptionWh: new Map([['M-C-A', 1_000n]]) }));
    expect(p.holders[0].surplusWh).toBe(4_000n);
    // p+1: the plant produced nothing; alice's unused 4,000 Wh from p do not cover her consumption.
    const next = computePeriodAllocation(
      input({ periodId: nextPeriodId(p.periodId), holdings, outputWh: new Map([['M-PV-1', 0n]]), consumptionWh: new Map([['M-C-A', 1_000n]]) }),
    );
    expect(next.holders[0].allocatedWh).toBe(0n);
    expect(next.holders[0].residualWh).toBe(1_000n);
    expect(next.holders[0].surplusWh).toBe(0n);
    // The input of a period carries no earlier result at all.
    expect(Object.keys(input({}))).toEqual(['periodId', 'energyPricePerMWh', 'plants', 'holders', 'holdings', 'outputWh', 'consumptionWh']);
  });

  it('refuses holdings beyond a plant capacity and unknown holders', () => {
    expect(() => computePeriodAllocation(input({ holdings: [{ plantId: 'wind-1', holderId: 'bob', sharesW: 4n }] }))).toThrow(/exceed its capacity/);
    expect(() => computePeriodAllocation(input({ holdings: [{ plantId: 'wind-1', holderId: 'zed', sharesW: 1n }] }))).toThrow(/holder zed/);
  });
});
