import { PeriodLength } from '@gridledger/domain';
import { LedgerEntry, Posting, SettledVersion, SettlementTrigger, SubstitutionReason } from '@gridledger/settlement';
import { Sql, toBigInt } from './sql';

export interface StoredVersion {
  readonly groupId: string;
  readonly periodId: string;
  readonly periodLength: PeriodLength;
  readonly version: number;
  readonly trigger: SettlementTrigger;
  readonly feedInWh: bigint;
  readonly feedOutWh: bigint;
  readonly scheduleNetWh: bigint;
  readonly imbalanceWh: bigint;
  readonly imbalancePricePerMWh: bigint | null;
  readonly imbalanceAmount: bigint | null;
  readonly ledgerDigest: string;
  readonly merkleRoot: string;
  readonly meterCount: number;
  readonly substitutedCount: number;
  /** Why the version holds substitutes (null: none). */
  readonly substitutionReason: SubstitutionReason | null;
  readonly valueWatermark: bigint;
  readonly settledAt: Date;
}

interface VersionRow {
  group_id: string;
  period_id: string;
  period_length: PeriodLength;
  version: number;
  trigger: SettlementTrigger;
  feed_in_wh: string;
  feed_out_wh: string;
  schedule_net_wh: string;
  imbalance_wh: string;
  imbalance_price_per_mwh: string | null;
  imbalance_amount: string | null;
  ledger_digest: string;
  merkle_root: string;
  meter_count: number;
  substituted_count: number;
  substitution_reason: SubstitutionReason | null;
  value_watermark: string;
  settled_at: Date;
}

function fromRow(row: VersionRow): StoredVersion {
  return {
    groupId: row.group_id,
    periodId: row.period_id,
    periodLength: row.period_length,
    version: row.version,
    trigger: row.trigger,
    feedInWh: BigInt(row.feed_in_wh),
    feedOutWh: BigInt(row.feed_out_wh),
    scheduleNetWh: BigInt(row.schedule_net_wh),
    imbalanceWh: BigInt(row.imbalance_wh),
    imbalancePricePerMWh: toBigInt(row.imbalance_price_per_mwh),
    imbalanceAmount: toBigInt(row.imbalance_amount),
    ledgerDigest: row.ledger_digest,
    merkleRoot: row.merkle_root,
    meterCount: row.meter_count,
    substitutedCount: row.substituted_count,
    substitutionReason: row.substitution_reason,
    valueWatermark: BigInt(row.value_watermark),
    settledAt: row.settled_at,
  };
}

/** Appends a settled version and its posting; versions and entries are never updated. */
export async function insertVersion(sql: Sql, settled: SettledVersion, watermark: bigint, settledAt: Date): Promise<void> {
  await sql.query(
    `INSERT INTO period_versions (group_id, period_id, version, period_length, trigger, feed_in_wh, feed_out_wh, schedule_net_wh,
       imbalance_wh, imbalance_price_per_mwh, imbalance_amount, ledger_digest, merkle_root, meter_count, substituted_count, value_watermark, settled_at, substitution_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      settled.groupId,
      settled.periodId,
      settled.version,
      settled.periodLength,
      settled.trigger,
      settled.totals.feedInWh.toString(),
      settled.totals.feedOutWh.toString(),
      settled.totals.scheduleNetWh.toString(),
      settled.totals.imbalanceWh.toString(),
      settled.imbalancePricePerMWh?.toString() ?? null,
      settled.imbalanceAmount?.toString() ?? null,
      settled.ledgerDigest,
      settled.merkleRoot,
      settled.totals.meterCount,
      settled.totals.substitutedCount,
      watermark.toString(),
      settledAt,
      settled.substitutionReason ?? null,
    ],
  );
  if (settled.posting) {
    const entries = settled.posting.entries;
    await sql.query(
      `INSERT INTO ledger_entries (posting_id, account, debit, credit, group_id, period_id, version)
       SELECT $1, a, d, c, $2, $3, $4 FROM unnest($5::text[], $6::bigint[], $7::bigint[]) AS x(a, d, c)`,
      [
        settled.posting.postingId,
        settled.groupId,
        settled.periodId,
        settled.version,
        entries.map((e) => e.account),
        entries.map((e) => e.debit.toString()),
        entries.map((e) => e.credit.toString()),
      ],
    );
  }
}

/**
 * Sets the latest version's watermark when it was adopted from the log without its values
 * (-1) and the current values are shown to be exactly its values (no new version was due).
 */
export async function restoreLatestWatermark(sql: Sql, key: { readonly groupId: string; readonly periodId: string }, watermark: bigint): Promise<void> {
  await sql.query(
    `UPDATE period_versions SET value_watermark = $3
     WHERE group_id = $1 AND period_id = $2 AND value_watermark = -1
       AND version = (SELECT max(version) FROM period_versions WHERE group_id = $1 AND period_id = $2)`,
    [key.groupId, key.periodId, watermark.toString()],
  );
}

export async function versionsOf(sql: Sql, groupId: string, periodId: string): Promise<StoredVersion[]> {
  const rows: VersionRow[] = await sql.query(`SELECT * FROM period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`, [groupId, periodId]);
  return rows.map(fromRow);
}

export async function versionOf(sql: Sql, groupId: string, periodId: string, version: number | undefined): Promise<StoredVersion | undefined> {
  const rows: VersionRow[] =
    version === undefined
      ? await sql.query(`SELECT * FROM period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version DESC LIMIT 1`, [groupId, periodId])
      : await sql.query(`SELECT * FROM period_versions WHERE group_id = $1 AND period_id = $2 AND version = $3`, [groupId, periodId, version]);
  return rows.length === 0 ? undefined : fromRow(rows[0]);
}

/** The latest version of every group of a period. */
export async function latestVersionsOfPeriod(sql: Sql, periodId: string): Promise<StoredVersion[]> {
  const rows: VersionRow[] = await sql.query(
    `SELECT DISTINCT ON (group_id) * FROM period_versions WHERE period_id = $1 ORDER BY group_id, version DESC`,
    [periodId],
  );
  return rows.map(fromRow);
}

/** The group-period's versions as the decider's state holds them: totals and each version's own posting. */
export async function settledVersionsOf(sql: Sql, groupId: string, periodId: string): Promise<SettledVersion[]> {
  const stored = await versionsOf(sql, groupId, periodId);
  if (stored.length === 0) return [];
  const postings = new Map((await postingsOf(sql, groupId, periodId)).map((posting) => [posting.version, posting]));
  return stored.map((version) => ({
    groupId: version.groupId,
    periodId: version.periodId,
    periodLength: version.periodLength,
    version: version.version,
    trigger: version.trigger,
    totals: {
      feedInWh: version.feedInWh,
      feedOutWh: version.feedOutWh,
      scheduleNetWh: version.scheduleNetWh,
      imbalanceWh: version.imbalanceWh,
      meterCount: version.meterCount,
      substitutedCount: version.substitutedCount,
    },
    imbalancePricePerMWh: version.imbalancePricePerMWh,
    imbalanceAmount: version.imbalanceAmount,
    posting: postings.get(version.version) ?? null,
    ledgerDigest: version.ledgerDigest,
    merkleRoot: version.merkleRoot,
    ...(version.substitutionReason ? { substitutionReason: version.substitutionReason } : {}),
  }));
}

export async function postingsOf(sql: Sql, groupId: string, periodId: string): Promise<Posting[]> {
  const rows: { posting_id: string; account: string; debit: string; credit: string; version: number }[] = await sql.query(
    `SELECT posting_id, account, debit, credit, version FROM ledger_entries WHERE group_id = $1 AND period_id = $2 ORDER BY version, account`,
    [groupId, periodId],
  );
  const postings = new Map<string, { version: number; entries: LedgerEntry[] }>();
  for (const row of rows) {
    const posting = postings.get(row.posting_id) ?? { version: row.version, entries: [] };
    posting.entries.push({ account: row.account, debit: BigInt(row.debit), credit: BigInt(row.credit) });
    postings.set(row.posting_id, posting);
  }
  return [...postings].map(([postingId, posting]) => ({ postingId, groupId, periodId, version: posting.version, entries: posting.entries }));
}

/** Balances (credits − debits) per account, summed from the entries. */
export async function ledgerBalances(sql: Sql): Promise<{ account: string; debits: bigint; credits: bigint; balance: bigint }[]> {
  const rows: { account: string; debits: string; credits: string }[] = await sql.query(
    `SELECT account, sum(debit) AS debits, sum(credit) AS credits FROM ledger_entries GROUP BY account ORDER BY account`,
  );
  return rows.map((row) => ({ account: row.account, debits: BigInt(row.debits), credits: BigInt(row.credits), balance: BigInt(row.credits) - BigInt(row.debits) }));
}
