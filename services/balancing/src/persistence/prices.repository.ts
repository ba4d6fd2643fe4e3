import { CLEAR_FAILURES } from './group-periods.repository';
import { Sql, toBigInt } from './sql';

/** Stores a period's prices; returns whether the imbalance price changed. */
export async function upsertPrices(sql: Sql, periodId: string, imbalancePricePerMWh: bigint, energyPricePerMWh: bigint | null): Promise<boolean> {
  const before: { imbalance_price_per_mwh: string }[] = await sql.query(`SELECT imbalance_price_per_mwh FROM prices WHERE period_id = $1 FOR UPDATE`, [periodId]);
  await sql.query(
    `INSERT INTO prices (period_id, imbalance_price_per_mwh, energy_price_per_mwh) VALUES ($1, $2, $3)
     ON CONFLICT (period_id) DO UPDATE SET imbalance_price_per_mwh = EXCLUDED.imbalance_price_per_mwh,
       energy_price_per_mwh = COALESCE(EXCLUDED.energy_price_per_mwh, prices.energy_price_per_mwh)`,
    [periodId, imbalancePricePerMWh.toString(), energyPricePerMWh?.toString() ?? null],
  );
  return before.length === 0 || BigInt(before[0].imbalance_price_per_mwh) !== imbalancePricePerMWh;
}

export async function imbalancePriceOf(sql: Sql, periodId: string): Promise<bigint | null> {
  const rows: { imbalance_price_per_mwh: string }[] = await sql.query(`SELECT imbalance_price_per_mwh FROM prices WHERE period_id = $1`, [periodId]);
  return rows.length === 0 ? null : toBigInt(rows[0].imbalance_price_per_mwh);
}

/** Settled periods re-settle (trigger "priced") when their price arrives or changes; a new price also un-parks the period's group-periods. */
export async function markPeriodRepriced(sql: Sql, periodId: string): Promise<void> {
  await sql.query(
    `UPDATE group_periods SET dirty = dirty OR status <> 'open', ${CLEAR_FAILURES} WHERE period_id = $1 AND (status <> 'open' OR failures > 0)`,
    [periodId],
  );
}
