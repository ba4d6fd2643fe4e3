import { PricePerMWh, divideRoundHalfAwayFromZero, priceEnergy } from '@gridledger/domain';
import { HolderId, PlantId } from './ids';
import { LedgerEntry, LedgerPosting, MARKET_ACCOUNT, holderAccount, operatorAccount } from './ledger';
import { largestRemainder } from './largest-remainder';
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

export interface PlantAllocationRow {
  readonly plantId: PlantId;
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
  readonly plantId: PlantId;
  readonly sharesW: bigint;
  readonly allocatedWh: bigint;
}

export interface HolderNettingRow {
  readonly holderId: HolderId;
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

export interface PeriodAllocation {
  readonly periodId: string;
  readonly energyPricePerMWh: PricePerMWh;
  /** Sorted by plantId. */
  readonly plants: readonly PlantAllocationRow[];
  /** Sorted by holderId. */
  readonly holders: readonly HolderNettingRow[];
  /** Sorted by (fromGroup, toGroup); only pairs of different groups with energy. */
  readonly exchanges: readonly GroupExchange[];
  readonly postings: readonly LedgerPosting[];
}

const W_PER_MW = 1_000_000n;

export function computePeriodAllocation(input: PeriodInput): PeriodAllocation {
  const holdingsByPlant = groupHoldingsByPlant(input.holdings);
  const plants = [...input.plants].sort((a, b) => compareIds(a.plantId, b.plantId));
  const perHolder = new Map<HolderId, HolderPlantAllocation[]>();
  const plantRows: PlantAllocationRow[] = [];
  const plantById = new Map<PlantId, Plant>();

  for (const plant of plants) {
    plantById.set(plant.plantId, plant);
    const holdings = holdingsByPlant.get(plant.plantId) ?? [];
    holdingsByPlant.delete(plant.plantId);
    const row = allocatePlant(plant, holdings, input.outputWh.get(plant.meterId) ?? 0n, perHolder);
    plantRows.push(row);
  }
  if (holdingsByPlant.size > 0) {
    throw new RangeError(`holdings name plants that are not in the input: ${[...holdingsByPlant.keys()].slice(0, 5).join(', ')}`);
  }

  const holderIds = [...perHolder.keys()].sort(compareIds);
  const holderRows: HolderNettingRow[] = [];
  const postings: LedgerPosting[] = [];
  const exchangeTotals = new Map<string, GroupExchange>();
  for (const holderId of holderIds) {
    const holder = input.holders.get(holderId);
    if (holder === undefined) throw new RangeError(`holder ${holderId} holds shares but is not in the input`);
    const allocations = perHolder.get(holderId) ?? [];
    const row = netHolder(holder, allocations, input.consumptionWh.get(holder.consumptionMeterId) ?? 0n, input.energyPricePerMWh, plantById);
    holderRows.push(row);
    collectPostings(row, plantById, postings);
    collectExchanges(holder, allocations, plantById, exchangeTotals);
  }

  const exchanges = [...exchangeTotals.values()].sort((a, b) => compareIds(a.fromGroup, b.fromGroup) || compareIds(a.toGroup, b.toGroup));
  return { periodId: input.periodId, energyPricePerMWh: input.energyPricePerMWh, plants: plantRows, holders: holderRows, exchanges, postings };
}

/** Byte-wise order, the same in every locale and in Postgres with COLLATE "C". */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupHoldingsByPlant(holdings: readonly Holding[]): Map<PlantId, Holding[]> {
  const byPlant = new Map<PlantId, Holding[]>();
  for (const holding of holdings) {
    if (holding.sharesW <= 0n) continue;
    const list = byPlant.get(holding.plantId);
    if (list === undefined) byPlant.set(holding.plantId, [holding]);
    else list.push(holding);
  }
  return byPlant;
}

function allocatePlant(plant: Plant, unsorted: Holding[], outputWh: bigint, perHolder: Map<HolderId, HolderPlantAllocation[]>): PlantAllocationRow {
  if (outputWh < 0n) throw new RangeError(`output of plant ${plant.plantId} must not be negative`);
  // Ties of equal remainders go to the smaller holder id; the operator comes last.
  const holdings = unsorted.length > 1 ? unsorted.sort((a, b) => compareIds(a.holderId, b.holderId)) : unsorted;
  let issuedW = 0n;
  const weights: bigint[] = new Array(holdings.length + 1);
  for (let i = 0; i < holdings.length; i++) {
    if (i > 0 && holdings[i].holderId === holdings[i - 1].holderId) {
      throw new RangeError(`holder ${holdings[i].holderId} appears twice in plant ${plant.plantId}`);
    }
    weights[i] = holdings[i].sharesW;
    issuedW += holdings[i].sharesW;
  }
  if (issuedW > plant.capacityW) throw new RangeError(`holdings of plant ${plant.plantId} exceed its capacity`);
  weights[holdings.length] = plant.capacityW - issuedW;
  const parts = largestRemainder(outputWh, weights, plant.capacityW);

  let allocatedToHoldersWh = 0n;
  for (let i = 0; i < holdings.length; i++) {
    const allocation = { plantId: plant.plantId, sharesW: holdings[i].sharesW, allocatedWh: parts[i] };
    allocatedToHoldersWh += parts[i];
    const list = perHolder.get(holdings[i].holderId);
    if (list === undefined) perHolder.set(holdings[i].holderId, [allocation]);
    else list.push(allocation);
  }
  return {
    plantId: plant.plantId,
    meterId: plant.meterId,
    groupId: plant.groupId,
    capacityW: plant.capacityW,
    issuedW,
    outputWh,
    allocatedToHoldersWh,
    operatorWh: parts[holdings.length],
  };
}

function netHolder(
  holder: Holder,
  allocations: readonly HolderPlantAllocation[],
  consumedWh: bigint,
  price: PricePerMWh,
  plantById: ReadonlyMap<PlantId, Plant>,
): HolderNettingRow {
  if (consumedWh < 0n) throw new RangeError(`consumption of holder ${holder.holderId} must not be negative`);
  let allocatedWh = 0n;
  let capacityFeeCents = 0n;
  for (const allocation of allocations) {
    allocatedWh += allocation.allocatedWh;
    capacityFeeCents += capacityFee(allocation.sharesW, (plantById.get(allocation.plantId) as Plant).feePerMWPeriodCents);
  }
  const residualWh = consumedWh > allocatedWh ? consumedWh - allocatedWh : 0n;
  const surplusWh = allocatedWh > consumedWh ? allocatedWh - consumedWh : 0n;
  return {
    holderId: holder.holderId,
    groupId: holder.groupId,
    consumptionMeterId: holder.consumptionMeterId,
    allocatedWh,
    consumedWh,
    residualWh,
    surplusWh,
    capacityFeeCents,
    residualCostCents: residualWh === 0n ? 0n : priceEnergy(residualWh, price),
    surplusRevenueCents: surplusWh === 0n ? 0n : priceEnergy(surplusWh, price),
    plants: allocations,
  };
}

/** A holder's fee to one plant for one period: shares × fee per MW, rounded once. */
export function capacityFee(sharesW: bigint, feePerMWPeriodCents: bigint): bigint {
  return divideRoundHalfAwayFromZero(sharesW * feePerMWPeriodCents, W_PER_MW);
}

function collectPostings(row: HolderNettingRow, plantById: ReadonlyMap<PlantId, Plant>, postings: LedgerPosting[]): void {
  const holder = holderAccount(row.holderId);
  if (row.capacityFeeCents !== 0n) {
    // One posting per holder and period: the holder pays, each plant's operator receives its fee.
    const entries: LedgerEntry[] = [{ account: holder, amountCents: -row.capacityFeeCents }];
    for (const allocation of row.plants) {
      const plant = plantById.get(allocation.plantId) as Plant;
      const fee = capacityFee(allocation.sharesW, plant.feePerMWPeriodCents);
      if (fee !== 0n) entries.push({ account: operatorAccount(plant.operator), amountCents: fee });
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
}

function collectExchanges(
  holder: Holder,
  allocations: readonly HolderPlantAllocation[],
  plantById: ReadonlyMap<PlantId, Plant>,
  totals: Map<string, GroupExchange>,
): void {
  for (const allocation of allocations) {
    if (allocation.allocatedWh === 0n) continue;
    const fromGroup = (plantById.get(allocation.plantId) as Plant).groupId;
    if (fromGroup === holder.groupId) continue;
    const key = `${fromGroup}\u0000${holder.groupId}`;
    const current = totals.get(key);
    totals.set(key, { fromGroup, toGroup: holder.groupId, energyWh: (current?.energyWh ?? 0n) + allocation.allocatedWh });
  }
}
