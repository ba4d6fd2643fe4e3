import type { Plant, PlantKind } from '@gridledger/capacity';

/** The columns of a `plants` row that describe the plant, as pg returns them (bigints as strings). */
export interface PlantColumns {
  plant_id: string;
  kind: PlantKind;
  meter_id: string;
  capacity_w: string;
  operator: string;
  group_id: string;
  fee_per_mw_period_cents: string;
}

export function plantFromRow(row: PlantColumns): Plant {
  return {
    plantId: row.plant_id,
    kind: row.kind,
    meterId: row.meter_id,
    capacityW: BigInt(row.capacity_w),
    operator: row.operator,
    groupId: row.group_id,
    feePerMWPeriodCents: BigInt(row.fee_per_mw_period_cents),
  };
}
