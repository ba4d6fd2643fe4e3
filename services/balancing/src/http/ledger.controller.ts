import { Controller, Get, Inject } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, PageQuery, PageRequest, ReadSession, SessionAddress, type Page } from '@gridledger/service-kit';
import { LedgerReadRepository, type AccountBalance } from '../persistence/ledger-read.repository';
import { ReaderAccess } from './reader-access';

@Controller('ledger')
export class LedgerController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly ledger: LedgerReadRepository,
    private readonly access: ReaderAccess,
  ) {}

  /**
   * Balances per account (credits − debits, minor units), summed from the postings alone, a
   * page of accounts at a time; `accounts` and `total` are over every account (double entry:
   * every posting sums to zero, so the balances do too). MARKET_OPERATOR and TSO read every
   * account; a BRP only its own `brp:<group>` accounts (and `accounts`, `total` over those).
   */
  @Get('balances')
  @ReadSession()
  async balances(@PageQuery(['string']) page: PageRequest, @SessionAddress() reader: string): Promise<Page<AccountBalance> & { currency: string; unit: string; accounts: number; total: string }> {
    const visible = await this.access.ledgerAccounts(reader);
    const [rows, { accounts, total }] = await Promise.all([this.ledger.balances(this.dataSource.manager, page.after, page.fetchLimit, visible), this.ledger.total(this.dataSource.manager, visible)]);
    return { currency: 'EUR', unit: 'cent', accounts, total, ...page.page(rows, (row) => [row.account]) };
  }
}
