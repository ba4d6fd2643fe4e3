import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AllocatedPeriod, GroupExchange, HolderNettingRow, LedgerPosting, allocatePeriod, assertBalanced, exchangesToPublish, periodReadiness } from '@gridledger/capacity';
import { PeriodLength } from '@gridledger/domain';
import { CapacityAllocationComputed, CapacityExchangeScheduled } from '@gridledger/events';
import { OutboxItem, enqueueOutboxMany } from '@gridledger/messaging';
import { loadPeriodBook } from './period-book.loader';

export interface ComputationSettings {
  readonly graceMs: number;
  readonly partSize: number;
}

export type ComputationOutcome =
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'unchanged'; readonly version: number }
  | { readonly kind: 'computed'; readonly version: number; readonly reason: string };

interface PeriodRow {
  period_id: string;
  period_length: PeriodLength;
  period_start: Date;
  period_end: Date;
  latest_version: number;
}

/**
 * Computes one dirty period inside the caller's transaction, holding the period's row lock
 * (FOR UPDATE SKIP LOCKED, so replicas share the work). A result equal to the latest version
 * only clears the flag; a different one becomes version n+1: rows, postings (with the
 * reversal of version n's), outbox events. Nothing published is ever edited.
 */
export async function computeDirtyPeriod(em: EntityManager, periodId: string, now: Date, settings: ComputationSettings): Promise<ComputationOutcome> {
  const [period] = (await em.query(`SELECT * FROM periods WHERE period_id = $1 AND dirty FOR UPDATE SKIP LOCKED`, [periodId])) as PeriodRow[];
  if (!period) return { kind: 'skipped', reason: 'not dirty or locked by another worker' };
  const [price] = (await em.query(`SELECT energy_price_per_mwh FROM prices WHERE period_id = $1`, [periodId])) as { energy_price_per_mwh: string }[];
  const loaded = price ? await loadPeriodBook(em, periodId, period.period_start, BigInt(price.energy_price_per_mwh)) : undefined;
  const readiness = periodReadiness({
    nowMs: now.getTime(),
    periodEndMs: period.period_end.getTime(),
    graceMs: settings.graceMs,
    priceKnown: price !== undefined,
    expectedMeters: loaded?.expectedMeters ?? 0,
    arrivedMeters: loaded?.arrivedMeters ?? 0,
  });
  if (!readiness.ready || !loaded) return { kind: 'skipped', reason: readiness.reason };
  if (loaded.expectedMeters === 0) {
    await em.query(`UPDATE periods SET dirty = false WHERE period_id = $1`, [periodId]);
    return { kind: 'skipped', reason: 'no holdings at the period start' };
  }

  const allocated = allocatePeriod(loaded.book);
  const { holderRows, postings } = rowsAndPostings(allocated);
  const digest = digestOf(allocated, holderRows);
  if (period.latest_version > 0) {
    const [latest] = (await em.query(`SELECT digest FROM allocation_versions WHERE period_id = $1 AND version = $2`, [periodId, period.latest_version])) as { digest: string }[];
    if (latest?.digest === digest) {
      await em.query(`UPDATE periods SET dirty = false WHERE period_id = $1`, [periodId]);
      return { kind: 'unchanged', version: period.latest_version };
    }
  }
  const version = period.latest_version + 1;
  const reason = versionReason(version, readiness.reason);
  const exchanges = await storeVersion(em, periodId, version, reason, allocated, { holderRows, postings, digest }, now);
  await enqueueOutboxMany(em, [...allocationEvents(period, version, allocated, holderRows, settings.partSize, now), ...exchangeEvents(period, version, exchanges, now)]);
  await em.query(`UPDATE periods SET dirty = false, latest_version = $2 WHERE period_id = $1`, [periodId, version]);
  return { kind: 'computed', version, reason };
}

/** What allocation_versions.reason says: the readiness of the first version, "recomputed (…)" of later ones. */
export function versionReason(version: number, readiness: 'complete' | 'deadline'): string {
  return version === 1 ? readiness : `recomputed (${readiness})`;
}

/** The holders' netting rows and their postings (each checked to balance). */
export function rowsAndPostings(allocated: AllocatedPeriod): { holderRows: HolderNettingRow[]; postings: LedgerPosting[] } {
  const holderRows: HolderNettingRow[] = [];
  const postings: LedgerPosting[] = [];
  for (let k = 0; k < allocated.holderCount; k++) {
    const row = allocated.holderRow(k);
    holderRows.push(row);
    for (const posting of allocated.postingsOf(k, row)) {
      assertBalanced(posting);
      postings.push(posting);
    }
  }
  return { holderRows, postings };
}

/**
 * Stores version `version` of a period as computed (the version row, plant, holder and holding
 * rows, postings after reversing version n−1's, the exchanges to publish; rows, postings and
 * digest as `rowsAndPostings` and `digestOf` give them) and returns those
 * exchanges. The period worker and the adoption of the history on a rebuild
 * (rebuild/allocation-history.adoption.ts) both store through here, so they store alike.
 */
export async function storeVersion(
  em: EntityManager,
  periodId: string,
  version: number,
  reason: string,
  allocated: AllocatedPeriod,
  { holderRows, postings, digest }: { holderRows: readonly HolderNettingRow[]; postings: readonly LedgerPosting[]; digest: string },
  computedAt: Date,
): Promise<GroupExchange[]> {
  await em.query(
    `INSERT INTO allocation_versions (period_id, version, reason, digest, energy_price_per_mwh, holder_count, plant_count, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [periodId, version, reason, digest, allocated.book.energyPricePerMWh.toString(), holderRows.length, allocated.book.plants.length, computedAt.toISOString()],
  );
  await insertRows(em, periodId, version, allocated, holderRows);
  await insertPostings(em, periodId, version, version - 1, postings);
  return recordExchanges(em, periodId, version, allocated.exchanges);
}

export function digestOf(allocated: AllocatedPeriod, holders: readonly HolderNettingRow[]): string {
  const hash = createHash('sha256');
  const text = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  hash.update(allocated.book.energyPricePerMWh.toString());
  for (const plant of allocated.plantRows()) hash.update(text(plant));
  for (const holder of holders) hash.update(text(holder));
  return hash.digest('hex');
}

async function insertRows(em: EntityManager, periodId: string, version: number, allocated: AllocatedPeriod, holders: readonly HolderNettingRow[]): Promise<void> {
  const plants = allocated.plantRows();
  const s = (values: readonly bigint[]): string[] => values.map((v) => v.toString());
  await em.query(
    `INSERT INTO plant_allocations (period_id, version, plant_id, group_id, capacity_w, issued_w, output_wh, allocated_to_holders_wh, operator_wh)
     SELECT $1, $2, p, g, c::bigint, i::bigint, o::bigint, a::bigint, r::bigint
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) AS x(p, g, c, i, o, a, r)`,
    [
      periodId,
      version,
      plants.map((p) => p.plantId),
      plants.map((p) => p.groupId),
      s(plants.map((p) => p.capacityW)),
      s(plants.map((p) => p.issuedW)),
      s(plants.map((p) => p.outputWh)),
      s(plants.map((p) => p.allocatedToHoldersWh)),
      s(plants.map((p) => p.operatorWh)),
    ],
  );
  await em.query(
    `INSERT INTO holder_allocations (period_id, version, holder_id, group_id, allocated_wh, consumed_wh, residual_wh, surplus_wh, capacity_fee_cents, residual_cost_cents, surplus_revenue_cents)
     SELECT $1, $2, h, g, a::bigint, c::bigint, r::bigint, s::bigint, f::bigint, rc::bigint, sr::bigint
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]) AS x(h, g, a, c, r, s, f, rc, sr)`,
    [
      periodId,
      version,
      holders.map((h) => h.holderId),
      holders.map((h) => h.groupId),
      s(holders.map((h) => h.allocatedWh)),
      s(holders.map((h) => h.consumedWh)),
      s(holders.map((h) => h.residualWh)),
      s(holders.map((h) => h.surplusWh)),
      s(holders.map((h) => h.capacityFeeCents)),
      s(holders.map((h) => h.residualCostCents)),
      s(holders.map((h) => h.surplusRevenueCents)),
    ],
  );
  const lines = holders.flatMap((h) => h.plants.map((p) => ({ holderId: h.holderId, ...p })));
  await em.query(
    `INSERT INTO holding_allocations (period_id, version, holder_id, plant_id, shares_w, allocated_wh)
     SELECT $1, $2, h, p, s::bigint, a::bigint FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS x(h, p, s, a)`,
    [periodId, version, lines.map((l) => l.holderId), lines.map((l) => l.plantId), s(lines.map((l) => l.sharesW)), s(lines.map((l) => l.allocatedWh))],
  );
}

/** Version n's postings, after reversing version n−1's (a storno: the old ones stay as they were). */
async function insertPostings(em: EntityManager, periodId: string, version: number, previousVersion: number, postings: readonly LedgerPosting[]): Promise<void> {
  if (previousVersion > 0) {
    await em.query(
      `INSERT INTO ledger_entries (posting_id, account, amount_cents, kind, holder_id, period_id, version)
       SELECT $1 || '/v' || $4 || '/reversal:' || posting_id, account, -amount_cents, kind, holder_id, period_id, $2::int
       FROM ledger_entries WHERE period_id = $1 AND version = $3::int AND posting_id NOT LIKE '%/reversal:%'`,
      [periodId, version, previousVersion, String(version)],
    );
  }
  const entries = postings.flatMap((posting) =>
    posting.entries.map((entry) => ({ postingId: `${periodId}/v${version}/${posting.key}`, account: entry.account, amount: entry.amountCents.toString(), kind: posting.kind, holderId: posting.holderId })),
  );
  if (entries.length === 0) return;
  await em.query(
    `INSERT INTO ledger_entries (posting_id, account, amount_cents, kind, holder_id, period_id, version)
     SELECT i, a, m::bigint, k, h, $1, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS x(i, a, m, k, h)`,
    [periodId, version, entries.map((e) => e.postingId), entries.map((e) => e.account), entries.map((e) => e.amount), entries.map((e) => e.kind), entries.map((e) => e.holderId)],
  );
}

async function recordExchanges(em: EntityManager, periodId: string, version: number, current: readonly GroupExchange[]): Promise<GroupExchange[]> {
  const earlier: { from_group: string; to_group: string }[] = await em.query(`SELECT DISTINCT from_group, to_group FROM published_exchanges WHERE period_id = $1`, [periodId]);
  const exchanges = exchangesToPublish(
    earlier.map((e) => ({ fromGroup: e.from_group, toGroup: e.to_group, energyWh: 0n })),
    current,
  );
  if (exchanges.length === 0) return exchanges;
  await em.query(
    `INSERT INTO published_exchanges (period_id, version, from_group, to_group, energy_wh)
     SELECT $1, $2, f, t, e::bigint FROM unnest($3::text[], $4::text[], $5::text[]) AS x(f, t, e)`,
    [periodId, version, exchanges.map((e) => e.fromGroup), exchanges.map((e) => e.toGroup), exchanges.map((e) => e.energyWh.toString())],
  );
  return exchanges;
}

function allocationEvents(period: PeriodRow, version: number, allocated: AllocatedPeriod, holders: readonly HolderNettingRow[], partSize: number, now: Date): OutboxItem[] {
  const plants = allocated.plantRows();
  const partCount = Math.max(1, Math.ceil(holders.length / partSize), Math.ceil(plants.length / partSize));
  const items: OutboxItem[] = [];
  for (let part = 0; part < partCount; part++) {
    const envelope = CapacityAllocationComputed.create({
      idParts: [period.period_id, String(version), String(part)],
      occurredAt: now,
      data: {
        periodId: period.period_id,
        periodLength: period.period_length,
        version,
        part,
        partCount,
        holderCount: holders.length,
        plantCount: plants.length,
        energyPricePerMWh: allocated.book.energyPricePerMWh.toString(),
        plants: plants.slice(part * partSize, (part + 1) * partSize).map((p) => ({
          plantId: p.plantId,
          meterId: p.meterId,
          groupId: p.groupId,
          capacityW: p.capacityW.toString(),
          issuedW: p.issuedW.toString(),
          outputWh: p.outputWh.toString(),
          allocatedToHoldersWh: p.allocatedToHoldersWh.toString(),
          operatorWh: p.operatorWh.toString(),
        })),
        holders: holders.slice(part * partSize, (part + 1) * partSize).map((h) => ({
          holderId: h.holderId,
          groupId: h.groupId,
          consumptionMeterId: h.consumptionMeterId,
          allocatedWh: h.allocatedWh.toString(),
          consumedWh: h.consumedWh.toString(),
          residualWh: h.residualWh.toString(),
          surplusWh: h.surplusWh.toString(),
          capacityFeeCents: h.capacityFeeCents.toString(),
          residualCostCents: h.residualCostCents.toString(),
          surplusRevenueCents: h.surplusRevenueCents.toString(),
          plants: h.plants.map((p) => ({ plantId: p.plantId, sharesW: p.sharesW.toString(), allocatedWh: p.allocatedWh.toString() })),
        })),
      },
    });
    items.push({ definition: CapacityAllocationComputed, envelope });
  }
  return items;
}

function exchangeEvents(period: PeriodRow, version: number, exchanges: readonly GroupExchange[], now: Date): OutboxItem[] {
  return exchanges.map((exchange) => ({
    definition: CapacityExchangeScheduled,
    envelope: CapacityExchangeScheduled.create({
      idParts: [period.period_id, exchange.fromGroup, exchange.toGroup, String(version)],
      occurredAt: now,
      data: {
        periodId: period.period_id,
        periodLength: period.period_length,
        version,
        fromGroup: exchange.fromGroup,
        toGroup: exchange.toGroup,
        energyWh: exchange.energyWh.toString(),
      },
    }),
  }));
}
