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
  /** Accounts in byte order of their names, after a cursor; only `only`'s accounts unless it is null. */
  balances(sql: Sql, after: CursorKey | null, limit: number, only: readonly string[] | null = null): Promise<AccountBalance[]> {
    return sql.query(
      `SELECT account, sum(debit)::text AS debits, sum(credit)::text AS credits, (sum(credit) - sum(debit))::text AS balance
       FROM ledger_entries WHERE ($1::text IS NULL OR account COLLATE "C" > $1) AND ($3::text[] IS NULL OR account = ANY($3::text[]))
       GROUP BY account ORDER BY account COLLATE "C" LIMIT $2`,
      [after?.[0] ?? null, limit, only],
    );
  }

  /**
   * Over every account (or only `only`'s): the number of accounts and the sum of their
   * balances (zero over every account, by double entry).
   */
  async total(sql: Sql, only: readonly string[] | null = null): Promise<{ accounts: number; total: string }> {
    const [row] = (await sql.query(
      `SELECT count(DISTINCT account)::int AS accounts, coalesce(sum(credit) - sum(debit), 0)::text AS total FROM ledger_entries WHERE $1::text[] IS NULL OR account = ANY($1::text[])`,
      [only],
    )) as { accounts: number; total: string }[];
    return row;
  }
}
