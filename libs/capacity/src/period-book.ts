import { PricePerMWh, divideRoundHalfAwayFromZero, priceEnergy } from '@gridledger/domain';
import { exactFloorDivision, largestRemainderInto } from './largest-remainder';
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

  private operatorAccounts: (string | undefined)[] | undefined;

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
    const from = this.holderStart[h];
    const plants = new Array<HolderPlantAllocation>(this.holderStart[h + 1] - from);
    let allocated = 0;
    let fee = 0;
    for (let k = 0; k < plants.length; k++) {
      const i = this.byHolder[from + k];
      const allocatedWh = this.allocatedByHolding[i];
      allocated += allocatedWh;
      fee += this.feeByHolding[i];
      plants[k] = { plantId: this.book.plants[this.book.holdingPlant[i]].plantId, sharesW: BigInt(this.book.holdingSharesW[i]), allocatedWh: BigInt(allocatedWh) };
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
      // Each fee is a safe integer; a sum that passes 2^53 (never in practice) is redone in bigint.
      capacityFeeCents: fee <= SAFE ? BigInt(fee) : this.exactFeeOf(h),
      residualCostCents: residualWh === 0n ? 0n : priceEnergy(residualWh, price),
      surplusRevenueCents: surplusWh === 0n ? 0n : priceEnergy(surplusWh, price),
      plants,
    };
  }

  private exactFeeOf(h: number): bigint {
    let fee = 0n;
    for (let j = this.holderStart[h]; j < this.holderStart[h + 1]; j++) fee += BigInt(this.feeByHolding[this.byHolder[j]]);
    return fee;
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
        const account = this.operatorAccountOf(this.book.holdingPlant[i]);
        const amountCents = BigInt(this.feeByHolding[i]);
        // One operator may run several of the holder's plants: one entry per account.
        let e = 1;
        while (e < entries.length && entries[e].account !== account) e++;
        entries[e] = e < entries.length ? { account, amountCents: entries[e].amountCents + amountCents } : { account, amountCents };
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

  /** Built once per plant, not once per holding. */
  private operatorAccountOf(p: number): string {
    this.operatorAccounts ??= new Array<string | undefined>(this.book.plants.length);
    return (this.operatorAccounts[p] ??= operatorAccount(this.book.plants[p].operator));
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

/*
 * Performance note: each hot loop sits in its own small function. A function with several
 * million-iteration loops that runs once per period gets on-stack-replaced loop by loop and
 * deoptimized at each loop's exit, so later loops run interpreted (boxing every double);
 * one loop per function is optimized once and stays optimized.
 */
export function allocatePeriod(book: PeriodBook): AllocatedPeriod {
  const plantCount = book.plants.length;
  checkBook(book);

  const byHolder = holdingsByHolderThenPlant(book);
  // Stable, so each plant's claims stay in holder order, the tie-break order.
  const byPlant = countingSort(book.holdingPlant, plantCount, byHolder.order);

  const allocatedByHolding = new Float64Array(book.holdingPlant.length);
  const feeByHolding = capacityFees(book);
  const issuedW = new Float64Array(plantCount);
  const operatorWh = new Float64Array(plantCount);
  const exchanges = new GroupExchangeTotals(book);
  allocatePlants(book, byPlant, exchanges, allocatedByHolding, issuedW, operatorWh);
  return new AllocatedPeriod(book, byHolder.order, byHolder.start, allocatedByHolding, feeByHolding, issuedW, operatorWh, holdersWithHoldings(byHolder.start), exchanges.exchanges());
}

function allocatePlants(
  book: PeriodBook,
  byPlant: { readonly order: Int32Array; readonly start: Int32Array },
  exchanges: GroupExchangeTotals,
  allocatedByHolding: Float64Array,
  issuedW: Float64Array,
  operatorWh: Float64Array,
): void {
  const { order, start } = byPlant;
  // One claim per holding plus the operator's unsold part, reused plant after plant.
  const mostClaims = largestBucket(start) + 1;
  const claims = { weights: new Float64Array(mostClaims), parts: new Float64Array(mostClaims) };
  for (let p = 0; p < book.plants.length; p++) {
    allocatePlant(book, p, order, start[p], start[p + 1], claims, allocatedByHolding, issuedW, operatorWh);
    exchanges.addPlant(p, order, start[p], start[p + 1], allocatedByHolding);
  }
}

function largestBucket(start: Int32Array): number {
  let largest = 0;
  for (let b = 0; b + 1 < start.length; b++) largest = Math.max(largest, start[b + 1] - start[b]);
  return largest;
}

/** Holders with at least one holding, in holder order. */
function holdersWithHoldings(holderStart: Int32Array): Int32Array {
  const holders = new Int32Array(holderStart.length - 1);
  let count = 0;
  for (let h = 0; h + 1 < holderStart.length; h++) if (holderStart[h + 1] > holderStart[h]) holders[count++] = h;
  return holders.slice(0, count);
}

function checkBook(book: PeriodBook): void {
  const n = book.holdingPlant.length;
  if (book.holdingHolder.length !== n || book.holdingSharesW.length !== n) throw new RangeError('holding columns differ in length');
  if (book.plantOutputWh.length !== book.plants.length) throw new RangeError('plantOutputWh must have one value per plant');
  if (book.holderConsumedWh.length !== book.holders.length) throw new RangeError('holderConsumedWh must have one value per holder');
  checkPlants(book.plants);
  checkHolderOrder(book.holders);
  checkHoldings(book);
  // The message is built only on failure: a million template strings would cost more than the check.
  const plant = firstNonEnergy(book.plantOutputWh);
  if (plant >= 0) throw energyError(`output of plant ${book.plants[plant].plantId}`);
  const holder = firstNonEnergy(book.holderConsumedWh);
  if (holder >= 0) throw energyError(`consumption of holder ${book.holders[holder].holderId}`);
  // Sums of allocations (per holder, per group pair) stay exact when the whole output does.
  let totalOutput = 0;
  for (let p = 0; p < book.plants.length; p++) totalOutput += book.plantOutputWh[p];
  if (totalOutput > SAFE) throw new RangeError('the output of all plants in one period must stay below 2^53 Wh');
}

function checkPlants(plants: readonly Plant[]): void {
  const safe = BigInt(SAFE);
  for (let p = 0; p < plants.length; p++) {
    if (p > 0 && !(plants[p - 1].plantId < plants[p].plantId)) throw new RangeError(`plants must be sorted by id without duplicates at ${plants[p].plantId}`);
    if (plants[p].capacityW > safe || plants[p].feePerMWPeriodCents > safe) throw new RangeError(`plant ${plants[p].plantId}: capacity or fee out of range`);
  }
}

function checkHolderOrder(holders: readonly Holder[]): void {
  for (let h = 1; h < holders.length; h++) {
    if (!(holders[h - 1].holderId < holders[h].holderId)) throw new RangeError(`holders must be sorted by id without duplicates at ${holders[h].holderId}`);
  }
}

function checkHoldings(book: PeriodBook): void {
  const plantCount = book.plants.length;
  const holderCount = book.holders.length;
  for (let i = 0; i < book.holdingPlant.length; i++) {
    const shares = book.holdingSharesW[i];
    if (!Number.isSafeInteger(shares) || shares < 0) throw new RangeError(`holding ${i}: sharesW must be a non-negative integer`);
    const p = book.holdingPlant[i];
    const h = book.holdingHolder[i];
    if (p < 0 || p >= plantCount || h < 0 || h >= holderCount) throw new RangeError(`holding ${i}: plant or holder index out of range`);
  }
}

/** The index of the first value that is not a non-negative safe integer, or −1. */
function firstNonEnergy(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isSafeInteger(values[i]) || values[i] < 0) return i;
  return -1;
}

function energyError(what: string): RangeError {
  return new RangeError(`${what} must be a non-negative integer number of Wh below 2^53`);
}

/**
 * Stable counting sort of `order` (all indices in order when null) by key[order[j]] in
 * [0, buckets) in O(n); bucket b of the result is [start[b], start[b + 1]).
 */
function countingSort(key: Int32Array, buckets: number, order: Int32Array | null): { order: Int32Array; start: Int32Array } {
  // The scatter uses start[b] as bucket b's cursor, which leaves it at b's end = start[b + 1];
  // a shift by one restores the beginnings without a second array.
  const start = bucketStarts(key, buckets);
  const sorted = order === null ? scatterIndices(key, start) : scatterOrder(key, order, start);
  start.copyWithin(1, 0, buckets);
  start[0] = 0;
  return { order: sorted, start };
}

/** start[b] = where bucket b begins, start[buckets] = n. */
function bucketStarts(key: Int32Array, buckets: number): Int32Array {
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < key.length; i++) start[key[i] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  return start;
}

function scatterIndices(key: Int32Array, cursor: Int32Array): Int32Array {
  const sorted = new Int32Array(key.length);
  for (let i = 0; i < key.length; i++) sorted[cursor[key[i]]++] = i;
  return sorted;
}

function scatterOrder(key: Int32Array, order: Int32Array, cursor: Int32Array): Int32Array {
  const sorted = new Int32Array(order.length);
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    sorted[cursor[key[i]]++] = i;
  }
  return sorted;
}

/**
 * Holdings ordered by (holder, plant): a counting sort by holder, then each holder's few
 * holdings put in plant order in place (insertion sort; a long run gets a full sort).
 */
function holdingsByHolderThenPlant(book: PeriodBook): { order: Int32Array; start: Int32Array } {
  const byHolder = countingSort(book.holdingHolder, book.holders.length, null);
  const { order, start } = byHolder;
  const plant = book.holdingPlant;
  for (let h = 0; h < book.holders.length; h++) {
    const from = start[h];
    const to = start[h + 1];
    if (to - from > 16) {
      order.subarray(from, to).sort((a, b) => plant[a] - plant[b]);
      continue;
    }
    for (let j = from + 1; j < to; j++) {
      const i = order[j];
      let k = j - 1;
      for (; k >= from && plant[order[k]] > plant[i]; k--) order[k + 1] = order[k];
      order[k + 1] = i;
    }
  }
  return byHolder;
}

/**
 * Each holding's capacity fee, shares × fee per MW / 10^6 rounded half away from zero (fees
 * are never negative), in holding order: one sequential pass, doubles while the product
 * stays below 2^53, bigint beyond.
 */
function capacityFees(book: PeriodBook): Float64Array {
  const feePerMW = Float64Array.from(book.plants, (plant) => Number(plant.feePerMWPeriodCents));
  const fees = new Float64Array(book.holdingPlant.length);
  for (let i = 0; i < fees.length; i++) {
    const p = book.holdingPlant[i];
    const product = book.holdingSharesW[i] * feePerMW[p];
    if (product > SAFE) {
      fees[i] = Number(divideRoundHalfAwayFromZero(BigInt(book.holdingSharesW[i]) * book.plants[p].feePerMWPeriodCents, BigInt(W_PER_MW)));
      continue;
    }
    const quotient = exactFloorDivision(product, W_PER_MW);
    fees[i] = (product - quotient * W_PER_MW) * 2 >= W_PER_MW ? quotient + 1 : quotient;
  }
  return fees;
}

/**
 * One plant: its holdings (holder order) are the claims, the operator's unsold part the last
 * one, and `largestRemainderInto` shares the output among them, the same code as
 * `largestRemainder` (doubles while output × capacity ≤ 2^53 − 1, bigint beyond).
 */
function allocatePlant(
  book: PeriodBook,
  p: number,
  order: Int32Array,
  from: number,
  to: number,
  claims: { readonly weights: Float64Array; readonly parts: Float64Array },
  allocated: Float64Array,
  issuedW: Float64Array,
  operatorWh: Float64Array,
): void {
  const plant = book.plants[p];
  const capacity = Number(plant.capacityW);
  const { weights, parts } = claims;
  let issued = 0;
  let previousHolder = -1;
  for (let j = from; j < to; j++) {
    const i = order[j];
    const holder = book.holdingHolder[i];
    if (holder === previousHolder) throw new RangeError(`holder ${book.holders[holder].holderId} appears twice in plant ${plant.plantId}`);
    previousHolder = holder;
    const shares = book.holdingSharesW[i];
    weights[j - from] = shares;
    issued += shares;
  }
  if (issued > capacity) throw new RangeError(`holdings of plant ${plant.plantId} (${issued} W) exceed its capacity (${capacity} W)`);
  issuedW[p] = issued;
  const count = to - from;
  weights[count] = capacity - issued;
  largestRemainderInto(book.plantOutputWh[p], weights, count + 1, capacity, parts);
  for (let j = from; j < to; j++) allocated[order[j]] = parts[j - from];
  operatorWh[p] = parts[count];
}

/**
 * Energy allocated across balancing groups, summed per (plant group, holder group) plant by
 * plant: each plant's holdings are still in cache from its allocation, and the keyed map
 * sees one update per plant and holder group instead of one per holding. Totals stay exact
 * because all output together stays below 2^53 Wh (checked).
 */
class GroupExchangeTotals {
  private readonly groups: string[] = [];
  private readonly plantGroup: Int32Array;
  private readonly holderGroup: Int32Array;
  /** Energy of the current plant by holder group; `touched` lists the non-zero ones. */
  private readonly toGroup: Float64Array;
  private readonly touched: Int32Array;
  private readonly totals = new Map<number, number>();

  constructor(private readonly book: PeriodBook) {
    const groupIndex = new Map<string, number>();
    const indexOf = (group: string): number => {
      let index = groupIndex.get(group);
      if (index === undefined) {
        index = this.groups.length;
        this.groups.push(group);
        groupIndex.set(group, index);
      }
      return index;
    };
    this.plantGroup = groupIndices(book.plants, indexOf);
    this.holderGroup = groupIndices(book.holders, indexOf);
    this.toGroup = new Float64Array(this.groups.length);
    this.touched = new Int32Array(this.groups.length);
  }

  addPlant(p: number, order: Int32Array, from: number, to: number, allocated: Float64Array): void {
    const fromGroup = this.plantGroup[p];
    let touchedCount = 0;
    for (let j = from; j < to; j++) {
      const i = order[j];
      const energy = allocated[i];
      const toGroup = this.holderGroup[this.book.holdingHolder[i]];
      if (energy === 0 || toGroup === fromGroup) continue;
      if (this.toGroup[toGroup] === 0) this.touched[touchedCount++] = toGroup;
      this.toGroup[toGroup] += energy;
    }
    const width = this.groups.length;
    for (let t = 0; t < touchedCount; t++) {
      const toGroup = this.touched[t];
      const key = fromGroup * width + toGroup;
      this.totals.set(key, (this.totals.get(key) ?? 0) + this.toGroup[toGroup]);
      this.toGroup[toGroup] = 0;
    }
  }

  /** Sorted by (fromGroup, toGroup); only pairs of different groups with energy. */
  exchanges(): GroupExchange[] {
    const width = this.groups.length;
    return [...this.totals]
      .map(([key, energy]) => ({ fromGroup: this.groups[Math.floor(key / width)], toGroup: this.groups[key % width], energyWh: BigInt(energy) }))
      .sort((a, b) => (a.fromGroup < b.fromGroup ? -1 : a.fromGroup > b.fromGroup ? 1 : a.toGroup < b.toGroup ? -1 : a.toGroup > b.toGroup ? 1 : 0));
  }
}

/** A plain loop: Int32Array.from(objects, mapper) collects through the iterator first. */
function groupIndices(members: readonly { readonly groupId: string }[], indexOf: (group: string) => number): Int32Array {
  const indices = new Int32Array(members.length);
  for (let m = 0; m < members.length; m++) indices[m] = indexOf(members[m].groupId);
  return indices;
}
