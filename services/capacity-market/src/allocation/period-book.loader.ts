import type { EntityManager } from 'typeorm';
import { Holder, PeriodBook, Plant } from '@gridledger/capacity';
import { PlantColumns, plantFromRow } from '../persistence/plant-row';

export interface LoadedBook {
  readonly book: PeriodBook;
  /** Meters whose value this period needs (plants' and holders'), and how many have one. */
  readonly expectedMeters: number;
  readonly arrivedMeters: number;
}

/**
 * The period's book: the holdings valid at the period's start (and only their plants and
 * holders), this period's meter values and nothing from any other period. Ids are sorted
 * byte-wise (COLLATE "C"), the order the engine's tie-break uses.
 */
export async function loadPeriodBook(em: EntityManager, periodId: string, periodStart: Date, energyPricePerMWh: bigint): Promise<LoadedBook> {
  const holdings: { plant_id: string; holder_id: string; shares_w: string }[] = await em.query(
    `SELECT plant_id, holder_id, shares_w FROM holdings
     WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)`,
    [periodStart],
  );
  const plantRows: (PlantColumns & { output_wh: string | null })[] = await em.query(
    `SELECT p.plant_id, p.kind, p.meter_id, p.capacity_w, p.operator, p.group_id, p.fee_per_mw_period_cents, v.energy_wh AS output_wh
     FROM plants p LEFT JOIN meter_values v ON v.period_id = $2 AND v.meter_id = p.meter_id
     WHERE p.plant_id IN (SELECT DISTINCT plant_id FROM holdings WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1))
     ORDER BY p.plant_id COLLATE "C"`,
    [periodStart, periodId],
  );
  const holderRows: { holder_id: string; consumption_meter_id: string; group_id: string; consumed_wh: string | null }[] = await em.query(
    `SELECT h.holder_id, h.consumption_meter_id, h.group_id, v.energy_wh AS consumed_wh
     FROM holders h LEFT JOIN meter_values v ON v.period_id = $2 AND v.meter_id = h.consumption_meter_id
     WHERE h.holder_id IN (SELECT DISTINCT holder_id FROM holdings WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1))
     ORDER BY h.holder_id COLLATE "C"`,
    [periodStart, periodId],
  );
  const plants: Plant[] = plantRows.map(plantFromRow);
  const holders: Holder[] = holderRows.map((row) => ({ holderId: row.holder_id, consumptionMeterId: row.consumption_meter_id, groupId: row.group_id }));
  const plantIndex = new Map(plants.map((plant, p) => [plant.plantId, p]));
  const holderIndex = new Map(holders.map((holder, h) => [holder.holderId, h]));
  const book: PeriodBook = {
    periodId,
    energyPricePerMWh,
    plants,
    holders,
    holdingPlant: Int32Array.from(holdings, (row) => plantIndex.get(row.plant_id) as number),
    holdingHolder: Int32Array.from(holdings, (row) => holderIndex.get(row.holder_id) as number),
    holdingSharesW: Float64Array.from(holdings, (row) => Number(row.shares_w)),
    plantOutputWh: Float64Array.from(plantRows, (row) => Number(row.output_wh ?? 0)),
    holderConsumedWh: Float64Array.from(holderRows, (row) => Number(row.consumed_wh ?? 0)),
  };
  const arrivedMeters = plantRows.filter((row) => row.output_wh !== null).length + holderRows.filter((row) => row.consumed_wh !== null).length;
  return { book, expectedMeters: plants.length + holders.length, arrivedMeters };
}
