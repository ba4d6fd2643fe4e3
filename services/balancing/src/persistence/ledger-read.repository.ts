import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, type CursorKey } from '@gridledger/service-kit';

export interface AccountBalance {
  readonly account: string;
  readonly debits: string;
  readonly credits: string;
  /** credits − debits, minor units. */
  readonly balance: string;
}

/** Balances summed from the ledger's postings alone (reads only). */
@Injectable()
export class LedgerReadRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Accounts in byte order of their names, after a cursor. */
  balances(after: CursorKey | null, limit: number): Promise<AccountBalance[]> {
    return this.dataSource.query(
      `SELECT account, sum(debit)::text AS debits, sum(credit)::text AS credits, (sum(credit) - sum(debit))::text AS balance
       FROM ledger_entries WHERE $1::text IS NULL OR account COLLATE "C" > $1
       GROUP BY account ORDER BY account COLLATE "C" LIMIT $2`,
      [after?.[0] ?? null, limit],
    );
  }

  /** Over every account: the number of accounts and the sum of their balances (zero, by double entry). */
  async total(): Promise<{ accounts: number; total: string }> {
    const [row] = (await this.dataSource.query(
      `SELECT count(DISTINCT account)::int AS accounts, coalesce(sum(credit) - sum(debit), 0)::text AS total FROM ledger_entries`,
    )) as { accounts: number; total: string }[];
    return row;
  }
}
