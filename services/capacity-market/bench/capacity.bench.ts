/**
 * bench:capacity — allocates one period for P plants and H holders, pure computation
 * (allocation, netting, fees, postings, exchanges) on the indexed book the service loads
 * for a period. Inputs are generated first and not timed; the time covers the allocation
 * and producing every holder row and posting (in parts of 2,000, as published).
 *
 * Holdings: each holder holds shares of 1-3 plants (60% one, 30% two, 10% three), 1-10 kW
 * each; a plant's nameplate is its shares plus 0-30% unsold; 20 balancing groups, so most
 * allocations cross groups. Output is a capacity factor of 0-60% of a quarter hour.
 *
 * Prints figures per size and ends with one JSON line for 10,000 × 1,000,000 and its target.
 * The machine is shared, so each size also prints the process CPU time of the timed part.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Holder, PeriodBook, Plant, allocatePeriod, postingSum } from '@gridledger/capacity';
// The module, not the package index: the index also exports the jest-only given/when/then.
import { mulberry32 } from '@gridledger/testing/src/seeded-random';

interface Size {
  readonly plants: number;
  readonly holders: number;
}

const SIZES: readonly Size[] = [
  { plants: 1_000, holders: 100_000 },
  { plants: 10_000, holders: 1_000_000 },
  { plants: 100_000, holders: 10_000_000 },
];
const HEADLINE = SIZES[1];
/** The target for the headline size, in seconds. */
const TARGET_SECONDS = 2;
const GROUPS = 20;
const OPERATOR = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
/** Rows per allocation event part, as the service publishes them. */
const PART_SIZE = 2_000;

/** The book the service loads for a period: ids zero-padded so index order is id order. */
function generate(size: Size): PeriodBook {
  // Seeded per size so every run sees the same market.
  const next = mulberry32(size.plants * 31 + size.holders);
  const holders: Holder[] = new Array(size.holders);
  const plantColumn: number[] = [];
  const holderColumn: number[] = [];
  const sharesColumn: number[] = [];
  const issued = new Float64Array(size.plants);
  const holderConsumedWh = new Float64Array(size.holders);
  for (let h = 0; h < size.holders; h++) {
    holders[h] = { holderId: `h${String(h).padStart(8, '0')}`, consumptionMeterId: `C${h}`, groupId: `BG-${h % GROUPS}` };
    const roll = next();
    const count = roll < 0.6 ? 1 : roll < 0.9 ? 2 : 3;
    const chosen: number[] = [];
    for (let k = 0; k < count; k++) {
      const plant = Math.floor(next() * size.plants);
      if (chosen.includes(plant)) continue;
      chosen.push(plant);
      const sharesW = 1_000 + Math.floor(next() * 9_000);
      issued[plant] += sharesW;
      plantColumn.push(plant);
      holderColumn.push(h);
      sharesColumn.push(sharesW);
    }
    // A household's quarter hour: 0-1,500 Wh.
    holderConsumedWh[h] = Math.floor(next() * 1_500);
  }
  const plants: Plant[] = new Array(size.plants);
  const plantOutputWh = new Float64Array(size.plants);
  for (let p = 0; p < size.plants; p++) {
    const capacityW = Math.max(1_000, Math.ceil(issued[p] * (1 + next() * 0.3)));
    const kind = p % 3 === 0 ? 'wind' : p % 3 === 1 ? 'pv' : 'hydro';
    plants[p] = {
      plantId: `p${String(p).padStart(6, '0')}`,
      kind,
      meterId: `P${p}`,
      capacityW: BigInt(capacityW),
      operator: OPERATOR,
      groupId: `BG-${(p * 7) % GROUPS}`,
      feePerMWPeriodCents: 285n,
    };
    plantOutputWh[p] = Math.floor(capacityW * 0.25 * next() * 0.6);
  }
  return {
    periodId: '2026-06-21T11:00:00Z',
    energyPricePerMWh: 8_000n,
    plants,
    holders,
    holdingPlant: Int32Array.from(plantColumn),
    holdingHolder: Int32Array.from(holderColumn),
    holdingSharesW: Float64Array.from(sharesColumn),
    plantOutputWh,
    holderConsumedWh,
  };
}

/**
 * Generating a size leaves hundreds of MB of garbage; without this its major GC would land
 * inside the timed part and be charged to the engine. `gc` is exposed at run time so the
 * npm script needs no flag.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Figures {
  readonly allocateSeconds: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly holdings: number;
  readonly rows: number;
  readonly postings: number;
  readonly exchanges: number;
}

/** Times the allocation and then the rows and postings, produced in parts as the service does. */
function run(size: Size): Figures {
  const generatedAt = process.hrtime.bigint();
  const book = generate(size);
  const generateSeconds = Number(process.hrtime.bigint() - generatedAt) / 1e9;
  console.log(`  generated ${size.plants} plants, ${size.holders} holders, ${book.holdingPlant.length} holdings in ${generateSeconds.toFixed(2)} s (not timed)`);
  collectGarbage();
  const cpuAtStart = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const allocated = allocatePeriod(book);
  const allocateSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  let rows = 0;
  let postings = 0;
  let allocatedWh = 0n;
  for (let start = 0; start < allocated.holderCount; start += PART_SIZE) {
    const end = Math.min(start + PART_SIZE, allocated.holderCount);
    for (let k = start; k < end; k++) {
      const row = allocated.holderRow(k);
      allocatedWh += row.allocatedWh;
      rows++;
      for (const posting of allocated.postingsOf(k, row)) {
        if (postingSum(posting) !== 0n) throw new Error(`posting ${posting.key} does not balance`);
        postings++;
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const cpu = process.cpuUsage(cpuAtStart);
  let output = 0n;
  let operator = 0n;
  for (const plant of allocated.plantRows()) {
    output += plant.outputWh;
    operator += plant.operatorWh;
  }
  if (allocatedWh + operator !== output) throw new Error(`allocations ${allocatedWh + operator} differ from output ${output}`);
  return { allocateSeconds, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, holdings: book.holdingPlant.length, rows, postings, exchanges: allocated.exchanges.length };
}

function main(): void {
  const only = process.argv.includes('--headline-only');
  const results = new Map<Size, number>();
  for (const size of only ? [HEADLINE] : SIZES) {
    console.log(`allocating one period: ${size.plants} plants × ${size.holders} holders`);
    const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
    try {
      const figures = run(size);
      results.set(size, figures.seconds);
      console.log(
        `  ${figures.seconds.toFixed(2)} s in all (${figures.cpuSeconds.toFixed(2)} s CPU): allocation ${figures.allocateSeconds.toFixed(2)} s, then ${figures.rows} holder rows and ` +
          `${figures.postings} postings (all balanced); ${figures.holdings} holdings, ${figures.exchanges} group exchanges; ` +
          `heap used ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB of ${heapLimitMb} MB`,
      );
    } catch (error) {
      console.log(`  did not complete: ${error instanceof Error ? error.message : String(error)}`);
    }
    collectGarbage();
  }
  console.log(JSON.stringify({ seconds: Number((results.get(HEADLINE) ?? NaN).toFixed(3)), plants: HEADLINE.plants, holders: HEADLINE.holders, targetSeconds: TARGET_SECONDS }));
}

main();
