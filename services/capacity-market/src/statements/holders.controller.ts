import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { holderAccount, holderNotRegistered, invalidField } from '@gridledger/capacity';
import { parsePeriodId, type Clock } from '@gridledger/domain';
import type { DataSource } from 'typeorm';
import type { VerifiedRequest } from '@gridledger/auth';
import { InjectClock, InjectDataSource, ReadSession, SessionAddress, Signed, SignedWrite } from '@gridledger/service-kit';
import { CapacityAccess } from '../http/capacity-access';
import { canonicalHolderId, parseBody, registerHolderBody } from '../http/request-schemas';
import { HoldersReadRepository, type HolderView } from '../persistence/holders-read.repository';
import { SharesService } from '../shares/shares.service';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Holders: a holder is the address that holds the shares (its holderId, checksummed). It
 * registers itself with a signed request (or the market operator registers it); its holdings
 * and statements are read in a session of the holder itself or the market operator.
 */
@Controller('holders')
export class HoldersController {
  constructor(
    private readonly shares: SharesService,
    private readonly access: CapacityAccess,
    private readonly holders: HoldersReadRepository,
    @InjectDataSource() private readonly db: DataSource,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post()
  @SignedWrite()
  async register(@Body() body: unknown, @Signed() signed: VerifiedRequest): Promise<{ holderId: string }> {
    const input = parseBody(registerHolderBody, body);
    this.access.registerHolder(signed.signer, input.holderId);
    await this.shares.registerHolder(input, this.clock.now());
    return { holderId: input.holderId };
  }

  @Get(':holderId')
  @ReadSession()
  async get(@Param('holderId') holderIdParam: string, @SessionAddress() reader: string): Promise<unknown> {
    // Who may read before whether it exists: a stranger learns nothing about the holder.
    const holderId = canonicalHolderId(holderIdParam);
    this.access.readHolder(reader, holderId);
    const holder = await this.holder(holderId);
    return { ...holder, holdings: await this.holders.holdings(this.db.manager, holderId) };
  }

  /**
   * The holder's statement for one period (`?period=2026-03-29T01:00:00Z`, latest version,
   * with per-plant allocations and postings) or one UTC month (`?month=2026-03`, totals over
   * the latest version of each period, money from the ledger including reversals).
   */
  @Get(':holderId/statement')
  @ReadSession()
  async statement(@Param('holderId') holderIdParam: string, @SessionAddress() reader: string, @Query('period') period?: string, @Query('month') month?: string): Promise<unknown> {
    const holderId = canonicalHolderId(holderIdParam);
    this.access.readHolder(reader, holderId);
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
    const row = await this.holders.periodAllocation(this.db.manager, holderId, period);
    if (!row) return { holderId, periodId: period, computed: false };
    const plants = await this.holders.plantAllocations(this.db.manager, holderId, period, row.version);
    const postings = await this.holders.postings(this.db.manager, holderId, period);
    return { holderId, computed: true, ...row, plants, postings };
  }

  private async monthStatement(holderId: string, month: string): Promise<unknown> {
    if (!MONTH.test(month)) throw invalidField('month', 'must read YYYY-MM');
    const totals = await this.holders.monthTotals(this.db.manager, holderId, month);
    const money = await this.holders.monthMoney(this.db.manager, holderAccount(holderId), month);
    const balance = money.reduce((sum, m) => sum + BigInt(m.amountCents), 0n);
    return { holderId, month, ...totals, money: Object.fromEntries(money.map((m) => [m.kind, m.amountCents])), balanceChangeCents: balance.toString() };
  }

  private async holder(holderId: string): Promise<HolderView> {
    const holder = await this.holders.find(this.db.manager, holderId);
    if (!holder) throw holderNotRegistered(holderId);
    return holder;
  }
}
