import { PricePerMWh, divideRoundHalfAwayFromZero, priceEnergy } from '@gridledger/domain';
import { largestRemainder } from './largest-remainder';
import { LedgerEntry, LedgerPosting, MARKET_ACCOUNT, holderAccount, operatorAccount } from './ledger';
import { Holder, Plant } from './plant';

/**
 * The allocation engine for one period, over an indexed, columnar book so that a million
 * holders cost arrays rather than millions of objects and string-keyed lookups.
 *
 * Exactness: Wh, W and cents are integers. The typed arrays hold them as doubles, which are
 * exact for integers up to 2^53 (9·10^15 Wh per period, far beyond any market); every input
 * is checked to be a safe integer and every product that could pass 2^53 (output × capacity,
 * shares × fee) takes the bigint path instead. Money is priced with `priceEnergy` on bigint.
 *
 * Everything here is computed from this period's book only: nothing from an earlier period
 * goes in, so no allocation can outlive its period.
 */
export interface PeriodBook {
  readonly periodId: string;
  readonly energyPricePerMWh: PricePerMWh;
  /** Sorted by plantId (byte order), no duplicates. */
  readonly plants: readonly Plant[];
  /** Sorted by holderId (byte order), no duplicates; the order breaks remainder ties. */
  readonly holders: readonly Holder[];
  /** Holdings valid at the period's start, as parallel arrays of equal length. */
  readonly holdingPlant: Int32Array;
  readonly holdingHolder: Int32Array;
  readonly holdingSharesW: Float64Array;
  /** Metered output by plant index (0 when missing). */
  readonly plantOutputWh: Float64Array;
  /** Metered consumption by holder index (0 when missing). */
  readonly holderConsumedWh: Float64Array;
}

export interface PlantAllocationRow {
  readonly plantId: string;
  readonly meterId: string;
  readonly groupId: string;
  readonly capacityW: bigint;
  readonly issuedW: bigint;
  readonly outputWh: bigint;
  readonly allocatedToHoldersWh: bigint;
  /** The unsold capacity's part, which stays with the plant operator. */
  readonly operatorWh: bigint;
}

export interface HolderPlantAllocation {
  readonly plantId: string;
  readonly sharesW: bigint;
  readonly allocatedWh: bigint;
}

export interface HolderNettingRow {
  readonly holderId: string;
  readonly groupId: string;
  readonly consumptionMeterId: string;
  readonly allocatedWh: bigint;
  readonly consumedWh: bigint;
  readonly residualWh: bigint;
  readonly surplusWh: bigint;
  readonly capacityFeeCents: bigint;
  readonly residualCostCents: bigint;
  readonly surplusRevenueCents: bigint;
  readonly plants: readonly HolderPlantAllocation[];
}

export interface GroupExchange {
  readonly fromGroup: string;
  readonly toGroup: string;
  readonly energyWh: bigint;
}

const SAFE = Number.MAX_SAFE_INTEGER;
const W_PER_MW = 1_000_000;

/** The computed period: columns plus on-demand rows and postings (materialized in parts). */
export class AllocatedPeriod {
  constructor(
    readonly book: PeriodBook,
    /** Holding indices ordered by (holder, plant); holder h owns [holderStart[h], holderStart[h+1]). */
    private readonly byHolder: Int32Array,
    private readonly holderStart: Int32Array,
    private readonly allocatedByHolding: Float64Array,
    private readonly feeByHolding: Float64Array,
    private readonly issuedW: Float64Array,
    private readonly operatorWh: Float64Array,
    /** Holders that hold shares at the period's start, in holderId order. */
    readonly activeHolders: Int32Array,
    readonly exchanges: readonly GroupExchange[],
  ) {}

  get periodId(): string {
    return this.book.periodId;
  }

  get holderCount(): number {
    return this.activeHolders.length;
  }

  plantRows(): PlantAllocationRow[] {
    return this.book.plants.map((plant, p) => ({
      plantId: plant.plantId,
      meterId: plant.meterId,
      groupId: plant.groupId,
      capacityW: plant.capacityW,
      issuedW: BigInt(this.issuedW[p]),
      outputWh: BigInt(this.book.plantOutputWh[p]),
      allocatedToHoldersWh: BigInt(this.book.plantOutputWh[p] - this.operatorWh[p]),
      operatorWh: BigInt(this.operatorWh[p]),
    }));
  }

  /** The netting row of the k-th active holder. */
  holderRow(k: number): HolderNettingRow {
    const h = this.activeHolders[k];
    const holder = this.book.holders[h];
    const plants: HolderPlantAllocation[] = [];
    let allocated = 0;
    let fee = 0n;
    for (let j = this.holderStart[h]; j < this.holderStart[h + 1]; j++) {
      const i = this.byHolder[j];
      allocated += this.allocatedByHolding[i];
      fee += BigInt(this.feeByHolding[i]);
      plants.push({
        plantId: this.book.plants[this.book.holdingPlant[i]].plantId,
        sharesW: BigInt(this.book.holdingSharesW[i]),
        allocatedWh: BigInt(this.allocatedByHolding[i]),
      });
    }
    const consumed = this.book.holderConsumedWh[h];
    const residualWh = consumed > allocated ? BigInt(consumed - allocated) : 0n;
    const surplusWh = allocated > consumed ? BigInt(allocated - consumed) : 0n;
    const price = this.book.energyPricePerMWh;
    return {
      holderId: holder.holderId,
      groupId: holder.groupId,
      consumptionMeterId: holder.consumptionMeterId,
      allocatedWh: BigInt(allocated),
      consumedWh: BigInt(consumed),
      residualWh,
      surplusWh,
      capacityFeeCents: fee,
      residualCostCents: residualWh === 0n ? 0n : priceEnergy(residualWh, price),
      surplusRevenueCents: surplusWh === 0n ? 0n : priceEnergy(surplusWh, price),
      plants,
    };
  }

  /**
   * The postings of one holder's row: capacity fee (holder pays, each plant's operator
   * receives), residual purchase (holder → market), surplus sale (market → holder).
   */
  postingsOf(k: number, row: HolderNettingRow = this.holderRow(k)): LedgerPosting[] {
    const postings: LedgerPosting[] = [];
    const holder = holderAccount(row.holderId);
    if (row.capacityFeeCents !== 0n) {
      const entries: LedgerEntry[] = [{ account: holder, amountCents: -row.capacityFeeCents }];
      const h = this.activeHolders[k];
      for (let j = this.holderStart[h]; j < this.holderStart[h + 1]; j++) {
        const i = this.byHolder[j];
        if (this.feeByHolding[i] === 0) continue;
        const plant = this.book.plants[this.book.holdingPlant[i]];
        const account = operatorAccount(plant.operator);
        // One operator may run several of the holder's plants: one entry per account.
        const existing = entries.findIndex((entry) => entry.account === account);
        if (existing >= 0) entries[existing] = { account, amountCents: entries[existing].amountCents + BigInt(this.feeByHolding[i]) };
        else entries.push({ account, amountCents: BigInt(this.feeByHolding[i]) });
      }
      postings.push({ key: `capacity-fee:${row.holderId}`, kind: 'capacity-fee', holderId: row.holderId, entries });
    }
    if (row.residualCostCents !== 0n) {
      postings.push({
        key: `residual-purchase:${row.holderId}`,
        kind: 'residual-purchase',
        holderId: row.holderId,
        entries: [
          { account: holder, amountCents: -row.residualCostCents },
          { account: MARKET_ACCOUNT, amountCents: row.residualCostCents },
        ],
      });
    }
    if (row.surplusRevenueCents !== 0n) {
      postings.push({
        key: `surplus-sale:${row.holderId}`,
        kind: 'surplus-sale',
        holderId: row.holderId,
        entries: [
          { account: MARKET_ACCOUNT, amountCents: -row.surplusRevenueCents },
          { account: holder, amountCents: row.surplusRevenueCents },
        ],
      });
    }
    return postings;
  }

  /** Rows in parts of `size` holders, so a consumer never holds a million objects at once. */
  *holderRowParts(size: number): Generator<HolderNettingRow[]> {
    for (let start = 0; start < this.activeHolders.length; start += size) {
      const part: HolderNettingRow[] = [];
      const end = Math.min(start + size, this.activeHolders.length);
      for (let k = start; k < end; k++) part.push(this.holderRow(k));
      yield part;
    }
  }
}

export function allocatePeriod(book: PeriodBook): AllocatedPeriod {
  const plantCount = book.plants.length;
  const holderCount = book.holders.length;
  const n = book.holdingPlant.length;
  checkBook(book);

  // Two stable counting sorts give holdings by (plant, holder) and by (holder, plant) in O(n).
  const byHolderFirst = countingSort(book.holdingHolder, holderCount, identity(n));
  const byPlant = countingSort(book.holdingPlant, plantCount, byHolderFirst.order);
  const byPlantFirst = countingSort(book.holdingPlant, plantCount, identity(n));
  const byHolder = countingSort(book.holdingHolder, holderCount, byPlantFirst.order);

  const allocatedByHolding = new Float64Array(n);
  const feeByHolding = new Float64Array(n);
  const issuedW = new Float64Array(plantCount);
  const operatorWh = new Float64Array(plantCount);
  for (let p = 0; p < plantCount; p++) {
    allocatePlant(book, p, byPlant.order, byPlant.start[p], byPlant.start[p + 1], allocatedByHolding, feeByHolding, issuedW, operatorWh);
  }

  const active: number[] = [];
  for (let h = 0; h < holderCount; h++) if (byHolder.start[h + 1] > byHolder.start[h]) active.push(h);
  const exchanges = groupExchanges(book, allocatedByHolding);
  return new AllocatedPeriod(book, byHolder.order, byHolder.start, allocatedByHolding, feeByHolding, issuedW, operatorWh, Int32Array.from(active), exchanges);
}

function checkBook(book: PeriodBook): void {
  const n = book.holdingPlant.length;
  if (book.holdingHolder.length !== n || book.holdingSharesW.length !== n) throw new RangeError('holding columns differ in length');
  if (book.plantOutputWh.length !== book.plants.length) throw new RangeError('plantOutputWh must have one value per plant');
  if (book.holderConsumedWh.length !== book.holders.length) throw new RangeError('holderConsumedWh must have one value per holder');
  for (let p = 1; p < book.plants.length; p++) {
    if (!(book.plants[p - 1].plantId < book.plants[p].plantId)) throw new RangeError(`plants must be sorted by id without duplicates at ${book.plants[p].plantId}`);
  }
  for (let h = 1; h < book.holders.length; h++) {
    if (!(book.holders[h - 1].holderId < book.holders[h].holderId)) throw new RangeError(`holders must be sorted by id without duplicates at ${book.holders[h].holderId}`);
  }
  for (let i = 0; i < n; i++) {
    const shares = book.holdingSharesW[i];
    if (!Number.isSafeInteger(shares) || shares < 0) throw new RangeError(`holding ${i}: sharesW must be a non-negative integer`);
    const p = book.holdingPlant[i];
    const h = book.holdingHolder[i];
    if (p < 0 || p >= book.plants.length || h < 0 || h >= book.holders.length) throw new RangeError(`holding ${i}: plant or holder index out of range`);
  }
  for (let p = 0; p < book.plants.length; p++) requireEnergy(book.plantOutputWh[p], `output of plant ${book.plants[p].plantId}`);
  for (let h = 0; h < book.holders.length; h++) requireEnergy(book.holderConsumedWh[h], `consumption of holder ${book.holders[h].holderId}`);
  // Sums of allocations (per holder, per group pair) stay exact when the whole output does.
  let totalOutput = 0;
  for (let p = 0; p < book.plants.length; p++) totalOutput += book.plantOutputWh[p];
  if (totalOutput > SAFE) throw new RangeError('the output of all plants in one period must stay below 2^53 Wh');
  for (const plant of book.plants) {
    if (plant.capacityW > BigInt(SAFE) || plant.feePerMWPeriodCents > BigInt(SAFE)) throw new RangeError(`plant ${plant.plantId}: capacity or fee out of range`);
  }
}

function requireEnergy(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer number of Wh below 2^53`);
}

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Stable counting sort of `order` by key[order[j]] in [0, buckets). */
function countingSort(key: Int32Array, buckets: number, order: Int32Array): { order: Int32Array; start: Int32Array } {
  const start = new Int32Array(buckets + 1);
  for (let j = 0; j < order.length; j++) start[key[order[j]] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const cursor = start.slice(0, buckets);
  const sorted = new Int32Array(order.length);
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    sorted[cursor[key[i]]++] = i;
  }
  return { order: sorted, start };
}

function allocatePlant(
  book: PeriodBook,
  p: number,
  order: Int32Array,
  from: number,
  to: number,
  allocated: Float64Array,
  fees: Float64Array,
  issuedW: Float64Array,
  operatorWh: Float64Array,
): void {
  const plant = book.plants[p];
  const capacity = Number(plant.capacityW);
  const output = book.plantOutputWh[p];
  const feePerMW = Number(plant.feePerMWPeriodCents);
  let issued = 0;
  for (let j = from; j < to; j++) {
    const i = order[j];
    if (j > from && book.holdingHolder[i] === book.holdingHolder[order[j - 1]]) {
      throw new RangeError(`holder ${book.holders[book.holdingHolder[i]].holderId} appears twice in plant ${plant.plantId}`);
    }
    issued += book.holdingSharesW[i];
    fees[i] = capacityFeeCents(book.holdingSharesW[i], feePerMW, plant.feePerMWPeriodCents);
  }
  if (issued > capacity) throw new RangeError(`holdings of plant ${plant.plantId} (${issued} W) exceed its capacity (${capacity} W)`);
  issuedW[p] = issued;
  const unsold = capacity - issued;

  if (output * capacity > SAFE) {
    // Rare (very large plants): exact bigint path.
    const weights: bigint[] = [];
    for (let j = from; j < to; j++) weights.push(BigInt(book.holdingSharesW[order[j]]));
    weights.push(BigInt(unsold));
    const parts = largestRemainder(BigInt(output), weights, plant.capacityW);
    for (let j = from; j < to; j++) allocated[order[j]] = Number(parts[j - from]);
    operatorWh[p] = Number(parts[to - from]);
    return;
  }
  // Integer arithmetic in doubles, exact because output × capacity ≤ 2^53.
  const count = to - from + 1;
  const remainders = new Float64Array(count);
  let given = 0;
  for (let j = from; j < to; j++) {
    const i = order[j];
    const product = output * book.holdingSharesW[i];
    const remainder = product % capacity;
    const quota = (product - remainder) / capacity;
    allocated[i] = quota;
    remainders[j - from] = remainder;
    given += quota;
  }
  const operatorProduct = output * unsold;
  const operatorRemainder = operatorProduct % capacity;
  let operatorQuota = (operatorProduct - operatorRemainder) / capacity;
  remainders[count - 1] = operatorRemainder;
  given += operatorQuota;
  const leftover = output - given;
  if (leftover > 0) {
    // Largest remainders first; ties to the earlier claim (holder id order, operator last).
    const ranks = Array.from({ length: count }, (_, k) => k).sort((a, b) => remainders[b] - remainders[a] || a - b);
    for (let k = 0; k < leftover; k++) {
      const claim = ranks[k];
      if (claim === count - 1) operatorQuota += 1;
      else allocated[order[from + claim]] += 1;
    }
  }
  operatorWh[p] = operatorQuota;
}

/** shares × fee per MW / 10^6, rounded half away from zero (fees are never negative). */
function capacityFeeCents(sharesW: number, feePerMW: number, feeBig: bigint): number {
  const product = sharesW * feePerMW;
  if (product > SAFE) return Number(divideRoundHalfAwayFromZero(BigInt(sharesW) * feeBig, BigInt(W_PER_MW)));
  const remainder = product % W_PER_MW;
  const quotient = (product - remainder) / W_PER_MW;
  return remainder * 2 >= W_PER_MW ? quotient + 1 : quotient;
}

function groupExchanges(book: PeriodBook, allocated: Float64Array): GroupExchange[] {
  const groupIndex = new Map<string, number>();
  const groups: string[] = [];
  const indexOf = (group: string): number => {
    let index = groupIndex.get(group);
    if (index === undefined) {
      index = groups.length;
      groups.push(group);
      groupIndex.set(group, index);
    }
    return index;
  };
  const plantGroup = Int32Array.from(book.plants, (plant) => indexOf(plant.groupId));
  const holderGroup = Int32Array.from(book.holders, (holder) => indexOf(holder.groupId));
  const totals = new Map<number, number>();
  const width = groups.length;
  for (let i = 0; i < allocated.length; i++) {
    const energy = allocated[i];
    if (energy === 0) continue;
    const from = plantGroup[book.holdingPlant[i]];
    const to = holderGroup[book.holdingHolder[i]];
    if (from === to) continue;
    const key = from * width + to;
    totals.set(key, (totals.get(key) ?? 0) + energy);
  }
  return [...totals]
    .map(([key, energy]) => ({ fromGroup: groups[Math.floor(key / width)], toGroup: groups[key % width], energyWh: BigInt(energy) }))
    .sort((a, b) => (a.fromGroup < b.fromGroup ? -1 : a.fromGroup > b.fromGroup ? 1 : a.toGroup < b.toGroup ? -1 : a.toGroup > b.toGroup ? 1 : 0));
}
