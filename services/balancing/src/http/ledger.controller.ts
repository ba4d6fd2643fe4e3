import { Controller, Get, Inject } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@gridledger/service-kit';
import { ledgerBalances } from '../persistence/versions.repository';

@Controller('ledger')
export class LedgerController {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Balances per account (credits − debits, minor units), summed from the postings alone. */
  @Get('balances')
  async balances() {
    const balances = await ledgerBalances(this.dataSource.manager);
    let total = 0n;
    for (const account of balances) total += account.balance;
    return {
      currency: 'EUR',
      unit: 'cent',
      accounts: balances.map((b) => ({ account: b.account, debits: b.debits.toString(), credits: b.credits.toString(), balance: b.balance.toString() })),
      // Double entry: every posting sums to zero, so the balances do too.
      total: total.toString(),
    };
  }
}
