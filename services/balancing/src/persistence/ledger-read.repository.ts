import { Injectable } from '@nestjs/common';
import type { CursorKey } from '@gridledger/service-kit';
import type { Sql } from './sql';

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
  /** Accounts in byte order of their names, after a cursor. */
  balances(sql: Sql, after: CursorKey | null, limit: number): Promise<AccountBalance[]> {
    return sql.query(
      `SELECT account, sum(debit)::text AS debits, sum(credit)::text AS credits, (sum(credit) - sum(debit))::text AS balance
       FROM ledger_entries WHERE $1::text IS NULL OR account COLLATE "C" > $1
       GROUP BY account ORDER BY account COLLATE "C" LIMIT $2`,
      [after?.[0] ?? null, limit],
    );
  }

  /** Over every account: the number of accounts and the sum of their balances (zero, by double entry). */
  async total(sql: Sql): Promise<{ accounts: number; total: string }> {
    const [row] = (await sql.query(
      `SELECT count(DISTINCT account)::int AS accounts, coalesce(sum(credit) - sum(debit), 0)::text AS total FROM ledger_entries`,
    )) as { accounts: number; total: string }[];
    return row;
  }
}
