import { Controller, Get, Inject } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, PageQuery, PageRequest, type Page } from '@gridledger/service-kit';
import { LedgerReadRepository, type AccountBalance } from '../persistence/ledger-read.repository';

@Controller('ledger')
export class LedgerController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly ledger: LedgerReadRepository,
  ) {}

  /**
   * Balances per account (credits − debits, minor units), summed from the postings alone, a
   * page of accounts at a time; `accounts` and `total` are over every account (double entry:
   * every posting sums to zero, so the balances do too).
   */
  @Get('balances')
  async balances(@PageQuery(['string']) page: PageRequest): Promise<Page<AccountBalance> & { currency: string; unit: string; accounts: number; total: string }> {
    const [rows, { accounts, total }] = await Promise.all([this.ledger.balances(this.dataSource.manager, page.after, page.fetchLimit), this.ledger.total(this.dataSource.manager)]);
    return { currency: 'EUR', unit: 'cent', accounts, total, ...page.page(rows, (row) => [row.account]) };
  }
}
