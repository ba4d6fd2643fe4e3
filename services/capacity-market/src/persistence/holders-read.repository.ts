import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface HolderView {
  readonly holderId: string;
  readonly consumptionMeterId: string;
  readonly groupId: string;
}

export interface PeriodStatementRow extends Record<string, unknown> {
  readonly periodId: string;
  readonly version: number;
}

/** A holder, its holdings and its statements (per period, per month) as the API shows them. */
@Injectable()
export class HoldersReadRepository {
  async find(em: EntityManager, holderId: string): Promise<HolderView | undefined> {
    const [holder] = (await em.query(
      `SELECT holder_id AS "holderId", consumption_meter_id AS "consumptionMeterId", group_id AS "groupId" FROM holders WHERE holder_id = $1`,
      [holderId],
    )) as HolderView[];
    return holder;
  }

  /** Its current holdings, one per plant (bounded by the number of plants). */
  holdings(em: EntityManager, holderId: string): Promise<{ plantId: string; sharesW: string; validFrom: Date }[]> {
    return em.query(
      `SELECT plant_id AS "plantId", shares_w::text AS "sharesW", valid_from AS "validFrom" FROM holdings
       WHERE holder_id = $1 AND valid_to IS NULL ORDER BY plant_id COLLATE "C"`,
      [holderId],
    );
  }

  /** The latest allocation version of a period for the holder, undefined if none is computed. */
  async periodAllocation(em: EntityManager, holderId: string, periodId: string): Promise<PeriodStatementRow | undefined> {
    const [row] = (await em.query(
      `SELECT h.period_id AS "periodId", h.version, h.group_id AS "groupId", h.allocated_wh::text AS "allocatedWh", h.consumed_wh::text AS "consumedWh",
              h.residual_wh::text AS "residualWh", h.surplus_wh::text AS "surplusWh", h.capacity_fee_cents::text AS "capacityFeeCents",
              h.residual_cost_cents::text AS "residualCostCents", h.surplus_revenue_cents::text AS "surplusRevenueCents", v.energy_price_per_mwh::text AS "energyPricePerMWh"
       FROM holder_allocations h JOIN periods p ON p.period_id = h.period_id AND p.latest_version = h.version
       JOIN allocation_versions v ON v.period_id = h.period_id AND v.version = h.version
       WHERE h.holder_id = $1 AND h.period_id = $2`,
      [holderId, periodId],
    )) as PeriodStatementRow[];
    return row;
  }

  /** Per plant of one allocation version (bounded by the holder's plants). */
  plantAllocations(em: EntityManager, holderId: string, periodId: string, version: number): Promise<unknown[]> {
    return em.query(
      `SELECT plant_id AS "plantId", shares_w::text AS "sharesW", allocated_wh::text AS "allocatedWh" FROM holding_allocations
       WHERE period_id = $1 AND version = $2 AND holder_id = $3 ORDER BY plant_id COLLATE "C"`,
      [periodId, version, holderId],
    );
  }

  /** Every posting of the holder in one period, reversals included (a few per version). */
  postings(em: EntityManager, holderId: string, periodId: string): Promise<unknown[]> {
    return em.query(
      `SELECT posting_id AS "postingId", kind, version, account, amount_cents::text AS "amountCents" FROM ledger_entries
       WHERE period_id = $1 AND holder_id = $2 ORDER BY version, posting_id, account`,
      [periodId, holderId],
    );
  }

  /** Energy totals over the latest version of each period of a UTC month (`YYYY-MM`). */
  async monthTotals(em: EntityManager, holderId: string, month: string): Promise<Record<string, unknown>> {
    const [totals] = (await em.query(
      `SELECT count(*)::int AS periods, coalesce(sum(h.allocated_wh), 0)::text AS "allocatedWh", coalesce(sum(h.consumed_wh), 0)::text AS "consumedWh",
              coalesce(sum(h.residual_wh), 0)::text AS "residualWh", coalesce(sum(h.surplus_wh), 0)::text AS "surplusWh"
       FROM holder_allocations h JOIN periods p ON p.period_id = h.period_id AND p.latest_version = h.version
       WHERE h.holder_id = $1 AND h.period_id LIKE $2`,
      [holderId, `${month}-%`],
    )) as Record<string, unknown>[];
    return totals;
  }

  /** Money of a ledger account over a UTC month, per kind of posting. */
  monthMoney(em: EntityManager, account: string, month: string): Promise<{ kind: string; amountCents: string }[]> {
    return em.query(
      `SELECT kind, coalesce(sum(amount_cents), 0)::text AS "amountCents" FROM ledger_entries
       WHERE account = $1 AND period_id LIKE $2 GROUP BY kind ORDER BY kind`,
      [account, `${month}-%`],
    );
  }
}
