import type { EntityManager } from 'typeorm';
import { Holder, PeriodBook, Plant, allocatePeriod } from '@gridledger/capacity';
import { PeriodLength, parsePeriodId, periodLengthMs } from '@gridledger/domain';
import { CapacityAllocationComputed, type EventData } from '@gridledger/events';
import { STREAMS, readStreamSubject, type MessagingClient } from '@gridledger/messaging';
import { digestOf, rowsAndPostings, storeVersion, versionReason } from '../allocation/period-computation';
import { PlantColumns, plantFromRow } from '../persistence/plant-row';

type Part = EventData<typeof CapacityAllocationComputed>;
interface RecordedVersion {
  readonly periodId: string;
  readonly periodLength: PeriodLength;
  readonly version: number;
  readonly energyPricePerMWh: bigint;
  readonly plants: Part['plants'];
  readonly holders: Part['holders'];
  readonly computedAt: Date;
}

/**
 * Rebuild from the log (docs/integrity.md): the `capacity.allocation.computed` events on the
 * CAPACITY stream are the record of every allocation version capacity-market computed (every
 * plant and holder row, in parts). On an empty database, after the share registry is back and
 * before the consumers and the period worker start, each period's versions 1..n are stored
 * again as the worker stores them (`storeVersion`: version row, rows, postings with the
 * reversals, exchanges): each version's book is put together from its rows (holdings, meter
 * values, price; plants from the rebuilt registry) and allocated again, and the result must be
 * the recorded rows exactly, else the start stops. The period is then at version n, not dirty:
 * the replayed meter values and prices that equal version n change nothing, a value that
 * differs makes version n+1 as without the rebuild. Nothing is published again.
 */
export async function adoptAllocationHistory(em: EntityManager, messaging: MessagingClient, graceMs: number): Promise<{ periods: number; versions: number } | undefined> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('capacity_market.allocation_versions'), 0)`);
  const [any] = (await em.query(`SELECT 1 FROM allocation_versions LIMIT 1`)) as unknown[];
  if (any !== undefined) return undefined;
  const byPeriod = await readRecordedVersions(messaging);
  if (byPeriod.size === 0) return undefined;
  const plantRows: PlantColumns[] = await em.query(`SELECT plant_id, kind, meter_id, capacity_w, operator, group_id, fee_per_mw_period_cents FROM plants`);
  const registry = new Map(plantRows.map((row) => [row.plant_id, plantFromRow(row)]));
  let versions = 0;
  for (const periodId of [...byPeriod.keys()].sort()) {
    const recorded = byPeriod.get(periodId) as RecordedVersion[];
    const { periodLength } = recorded[0];
    const startMs = parsePeriodId(periodId, periodLength);
    const endMs = startMs + periodLengthMs(periodLength);
    for (const version of recorded) {
      const allocated = allocatePeriod(bookOf(version, registry));
      const { holderRows, postings } = rowsAndPostings(allocated);
      const text = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      if (text(allocated.plantRows()) !== text(version.plants) || text(holderRows) !== text(version.holders)) {
        throw new Error(`period ${periodId} version ${version.version} on the CAPACITY stream does not come out of its own rows again (registry or engine differ); restore from a backup`);
      }
      // The reason is not on the event: computed before the gate deadline it can only have been
      // a complete period; at or after it, "deadline" (the event does not say whether all were in).
      const readiness = version.computedAt.getTime() < endMs + graceMs ? 'complete' : 'deadline';
      await storeVersion(em, periodId, version.version, versionReason(version.version, readiness), allocated, { holderRows, postings, digest: digestOf(allocated, holderRows) }, version.computedAt);
      versions++;
    }
    await em.query(
      `INSERT INTO periods (period_id, period_length, period_start, period_end, latest_version, dirty) VALUES ($1, $2, $3, $4, $5, false)`,
      [periodId, periodLength, new Date(startMs).toISOString(), new Date(endMs).toISOString(), recorded.length],
    );
  }
  return { periods: byPeriod.size, versions };
}

/** Every version on the stream, its parts joined, by period in version order; a missing part or version stops the start. */
async function readRecordedVersions(messaging: MessagingClient): Promise<Map<string, RecordedVersion[]>> {
  const parts = new Map<string, { part: Part; occurredAt: string; text: string }>();
  await readStreamSubject(messaging, STREAMS.CAPACITY.name, CapacityAllocationComputed.subject(), (msg) => {
    const envelope = CapacityAllocationComputed.parse(msg.json());
    const { data } = envelope;
    const key = `${data.periodId}|${data.version}|${data.part}`;
    const text = JSON.stringify(data);
    const seen = parts.get(key);
    // Re-sent from the outbox beyond the duplicate window: the same part once.
    if (seen && seen.text !== text) throw new Error(`the CAPACITY stream holds two different allocation parts at ${key}`);
    if (!seen) parts.set(key, { part: data, occurredAt: envelope.occurredAt, text });
  });
  const byVersion = new Map<string, { part: Part; occurredAt: string }[]>();
  for (const entry of parts.values()) {
    const key = `${entry.part.periodId}|${entry.part.version}`;
    byVersion.set(key, [...(byVersion.get(key) ?? []), entry]);
  }
  const byPeriod = new Map<string, RecordedVersion[]>();
  for (const [key, list] of byVersion) {
    list.sort((a, b) => a.part.part - b.part.part);
    const first = list[0].part;
    const complete = list.length === first.partCount && list.every((entry, i) => entry.part.part === i && entry.part.partCount === first.partCount && entry.part.energyPricePerMWh === first.energyPricePerMWh);
    const plants = list.flatMap((entry) => entry.part.plants);
    const holders = list.flatMap((entry) => entry.part.holders);
    if (!complete || plants.length !== first.plantCount || holders.length !== first.holderCount) {
      throw new Error(`the CAPACITY stream misses parts of allocation ${key} (${list.length} of ${first.partCount}); restore from a backup or an outbox replay`);
    }
    const version: RecordedVersion = {
      periodId: first.periodId,
      periodLength: first.periodLength,
      version: first.version,
      energyPricePerMWh: BigInt(first.energyPricePerMWh),
      plants,
      holders,
      // Every part of a version has the computation's instant.
      computedAt: new Date(list[0].occurredAt),
    };
    byPeriod.set(first.periodId, [...(byPeriod.get(first.periodId) ?? []), version]);
  }
  for (const [periodId, list] of byPeriod) {
    list.sort((a, b) => a.version - b.version);
    list.forEach((version, i) => {
      if (version.version !== i + 1) throw new Error(`the CAPACITY stream misses allocation ${periodId} version ${i + 1} (next found: ${version.version}); restore from a backup or an outbox replay`);
    });
  }
  return byPeriod;
}

/** The book the version was computed from: its holdings and values as its rows say, the plants from the registry. */
function bookOf(version: RecordedVersion, registry: ReadonlyMap<string, Plant>): PeriodBook {
  const plants: Plant[] = version.plants.map((row) => {
    const plant = registry.get(row.plantId);
    if (!plant) throw new Error(`period ${version.periodId} version ${version.version} allocates plant ${row.plantId}, which the rebuilt registry does not hold`);
    return plant;
  });
  const holders: Holder[] = version.holders.map((row) => ({ holderId: row.holderId, consumptionMeterId: row.consumptionMeterId, groupId: row.groupId }));
  const plantIndex = new Map(plants.map((plant, p) => [plant.plantId, p]));
  const lines = version.holders.flatMap((row, h) => row.plants.map((line) => ({ h, p: plantIndex.get(line.plantId), sharesW: line.sharesW })));
  if (lines.some((line) => line.p === undefined)) throw new Error(`period ${version.periodId} version ${version.version} has a holding of a plant without a plant row`);
  return {
    periodId: version.periodId,
    energyPricePerMWh: version.energyPricePerMWh,
    plants,
    holders,
    holdingPlant: Int32Array.from(lines, (line) => line.p as number),
    holdingHolder: Int32Array.from(lines, (line) => line.h),
    holdingSharesW: Float64Array.from(lines, (line) => Number(line.sharesW)),
    plantOutputWh: Float64Array.from(version.plants, (row) => Number(row.outputWh)),
    holderConsumedWh: Float64Array.from(version.holders, (row) => Number(row.consumedWh)),
  };
}
