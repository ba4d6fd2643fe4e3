import { PricePerMWh } from '@gridledger/domain';
import { HolderId, PlantId } from './ids';
import { LedgerPosting } from './ledger';
import { GroupExchange, HolderNettingRow, PeriodBook, PlantAllocationRow, allocatePeriod } from './period-book';
import { Holder, Plant } from './plant';

/** A holder's shares of a plant, as valid at the period's start. */
export interface Holding {
  readonly plantId: PlantId;
  readonly holderId: HolderId;
  readonly sharesW: bigint;
}

/**
 * Everything one period's allocation depends on, and nothing else: no earlier period's
 * result goes in, so no allocation can outlive its period (energy cannot be banked).
 */
export interface PeriodInput {
  readonly periodId: string;
  readonly energyPricePerMWh: PricePerMWh;
  readonly plants: readonly Plant[];
  readonly holders: ReadonlyMap<HolderId, Holder>;
  readonly holdings: readonly Holding[];
  /** Metered output of this period by production meter id; a missing meter counts as 0. */
  readonly outputWh: ReadonlyMap<string, bigint>;
  /** Metered consumption of this period by consumption meter id; missing counts as 0. */
  readonly consumptionWh: ReadonlyMap<string, bigint>;
}

/** A period computed and fully materialized (fine for tests and small markets). */
export interface PeriodAllocation {
  readonly periodId: string;
  readonly energyPricePerMWh: PricePerMWh;
  /** Sorted by plantId. */
  readonly plants: readonly PlantAllocationRow[];
  /** Holders with shares at the period's start, sorted by holderId. */
  readonly holders: readonly HolderNettingRow[];
  /** Sorted by (fromGroup, toGroup); only pairs of different groups with energy. */
  readonly exchanges: readonly GroupExchange[];
  readonly postings: readonly LedgerPosting[];
}

/** Byte-wise order, the same in every locale and in Postgres with COLLATE "C". */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the indexed book from keyed inputs. */
export function bookOf(input: PeriodInput): PeriodBook {
  const plants = [...input.plants].sort((a, b) => compareIds(a.plantId, b.plantId));
  const holderIds = [...new Set(input.holdings.map((h) => h.holderId))].sort(compareIds);
  const holders = holderIds.map((holderId) => {
    const holder = input.holders.get(holderId);
    if (holder === undefined) throw new RangeError(`holder ${holderId} holds shares but is not in the input`);
    return holder;
  });
  const plantIndex = new Map(plants.map((plant, p) => [plant.plantId, p]));
  const holderIndex = new Map(holderIds.map((holderId, h) => [holderId, h]));
  const n = input.holdings.length;
  const holdingPlant = new Int32Array(n);
  const holdingHolder = new Int32Array(n);
  const holdingSharesW = new Float64Array(n);
  input.holdings.forEach((holding, i) => {
    const p = plantIndex.get(holding.plantId);
    if (p === undefined) throw new RangeError(`holdings name plant ${holding.plantId}, which is not in the input`);
    holdingPlant[i] = p;
    holdingHolder[i] = holderIndex.get(holding.holderId) as number;
    holdingSharesW[i] = Number(holding.sharesW);
  });
  return {
    periodId: input.periodId,
    energyPricePerMWh: input.energyPricePerMWh,
    plants,
    holders,
    holdingPlant,
    holdingHolder,
    holdingSharesW,
    plantOutputWh: Float64Array.from(plants, (plant) => Number(input.outputWh.get(plant.meterId) ?? 0n)),
    holderConsumedWh: Float64Array.from(holders, (holder) => Number(input.consumptionWh.get(holder.consumptionMeterId) ?? 0n)),
  };
}

export function computePeriodAllocation(input: PeriodInput): PeriodAllocation {
  const allocated = allocatePeriod(bookOf(input));
  const holders: HolderNettingRow[] = [];
  const postings: LedgerPosting[] = [];
  for (let k = 0; k < allocated.holderCount; k++) {
    const row = allocated.holderRow(k);
    holders.push(row);
    postings.push(...allocated.postingsOf(k, row));
  }
  return { periodId: input.periodId, energyPricePerMWh: input.energyPricePerMWh, plants: allocated.plantRows(), holders, exchanges: allocated.exchanges, postings };
}
