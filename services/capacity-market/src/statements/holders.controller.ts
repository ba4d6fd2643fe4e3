import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { holderAccount, holderNotRegistered, invalidField } from '@gridledger/capacity';
import { parsePeriodId, type Clock } from '@gridledger/domain';
import { InjectClock, InjectDataSource } from '@gridledger/service-kit';
import { parseBody, registerHolderBody } from '../http/request-schemas';
import { SharesService } from '../shares/shares.service';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

@Controller('holders')
export class HoldersController {
  constructor(
    private readonly shares: SharesService,
    @InjectDataSource() private readonly db: DataSource,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post()
  async register(@Body() body: unknown): Promise<{ holderId: string }> {
    const input = parseBody(registerHolderBody, body);
    await this.shares.registerHolder(input, this.clock.now());
    return { holderId: input.holderId };
  }

  @Get(':holderId')
  async get(@Param('holderId') holderId: string): Promise<unknown> {
    const holder = await this.holder(holderId);
    const holdings = await this.db.query(
      `SELECT plant_id AS "plantId", shares_w::text AS "sharesW", valid_from AS "validFrom" FROM holdings
       WHERE holder_id = $1 AND valid_to IS NULL ORDER BY plant_id COLLATE "C"`,
      [holderId],
    );
    return { ...holder, holdings };
  }

  /**
   * The holder's statement for one period (`?period=2026-03-29T01:00:00Z`, latest version,
   * with per-plant allocations and postings) or one UTC month (`?month=2026-03`, totals over
   * the latest version of each period, money from the ledger including reversals).
   */
  @Get(':holderId/statement')
  async statement(@Param('holderId') holderId: string, @Query('period') period?: string, @Query('month') month?: string): Promise<unknown> {
    await this.holder(holderId);
    if (period !== undefined) return this.periodStatement(holderId, period);
    if (month !== undefined) return this.monthStatement(holderId, month);
    throw invalidField('period', 'give ?period=<period id> or ?month=YYYY-MM');
  }

  private async periodStatement(holderId: string, period: string): Promise<unknown> {
    try {
      parsePeriodId(period, 'PT15M');
    } catch (error) {
      throw invalidField('period', error instanceof Error ? error.message : String(error));
    }
    const [row] = (await this.db.query(
      `SELECT h.period_id AS "periodId", h.version, h.group_id AS "groupId", h.allocated_wh::text AS "allocatedWh", h.consumed_wh::text AS "consumedWh",
              h.residual_wh::text AS "residualWh", h.surplus_wh::text AS "surplusWh", h.capacity_fee_cents::text AS "capacityFeeCents",
              h.residual_cost_cents::text AS "residualCostCents", h.surplus_revenue_cents::text AS "surplusRevenueCents", v.energy_price_per_mwh::text AS "energyPricePerMWh"
       FROM holder_allocations h JOIN periods p ON p.period_id = h.period_id AND p.latest_version = h.version
       JOIN allocation_versions v ON v.period_id = h.period_id AND v.version = h.version
       WHERE h.holder_id = $1 AND h.period_id = $2`,
      [holderId, period],
    )) as Record<string, unknown>[];
    if (!row) return { holderId, periodId: period, computed: false };
    const plants = await this.db.query(
      `SELECT plant_id AS "plantId", shares_w::text AS "sharesW", allocated_wh::text AS "allocatedWh" FROM holding_allocations
       WHERE period_id = $1 AND version = $2 AND holder_id = $3 ORDER BY plant_id COLLATE "C"`,
      [period, row.version, holderId],
    );
    const postings = await this.db.query(
      `SELECT posting_id AS "postingId", kind, version, account, amount_cents::text AS "amountCents" FROM ledger_entries
       WHERE period_id = $1 AND holder_id = $2 ORDER BY version, posting_id, account`,
      [period, holderId],
    );
    return { holderId, computed: true, ...row, plants, postings };
  }

  private async monthStatement(holderId: string, month: string): Promise<unknown> {
    if (!MONTH.test(month)) throw invalidField('month', 'must read YYYY-MM');
    const [totals] = (await this.db.query(
      `SELECT count(*)::int AS periods, coalesce(sum(h.allocated_wh), 0)::text AS "allocatedWh", coalesce(sum(h.consumed_wh), 0)::text AS "consumedWh",
              coalesce(sum(h.residual_wh), 0)::text AS "residualWh", coalesce(sum(h.surplus_wh), 0)::text AS "surplusWh"
       FROM holder_allocations h JOIN periods p ON p.period_id = h.period_id AND p.latest_version = h.version
       WHERE h.holder_id = $1 AND h.period_id LIKE $2`,
      [holderId, `${month}-%`],
    )) as Record<string, unknown>[];
    const money = (await this.db.query(
      `SELECT kind, coalesce(sum(amount_cents), 0)::text AS "amountCents" FROM ledger_entries
       WHERE account = $1 AND period_id LIKE $2 GROUP BY kind ORDER BY kind`,
      [holderAccount(holderId), `${month}-%`],
    )) as { kind: string; amountCents: string }[];
    const balance = money.reduce((sum, m) => sum + BigInt(m.amountCents), 0n);
    return { holderId, month, ...totals, money: Object.fromEntries(money.map((m) => [m.kind, m.amountCents])), balanceChangeCents: balance.toString() };
  }

  private async holder(holderId: string): Promise<Record<string, unknown>> {
    const [holder] = (await this.db.query(
      `SELECT holder_id AS "holderId", consumption_meter_id AS "consumptionMeterId", group_id AS "groupId" FROM holders WHERE holder_id = $1`,
      [holderId],
    )) as Record<string, unknown>[];
    if (!holder) throw holderNotRegistered(holderId);
    return holder;
  }
}
