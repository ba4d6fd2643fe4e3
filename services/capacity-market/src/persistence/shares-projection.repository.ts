import type { EntityManager } from 'typeorm';
import {
  HoldingVersion,
  HoldingsChange,
  HolderEvent,
  PlantRecord,
  PlantSharesEvent,
  PlantSharesState,
  decodeHolderEvent,
  decodePlantSharesEvent,
  HolderRecord,
  holderRecord,
  plantReadModel,
  plantRecord,
  projectPlantEvents,
} from '@gridledger/capacity';
import { loadStreams } from './event-store';

/**
 * The `plants`, `holders` and `holdings` tables are projections of the event store: written
 * only here, from events, in the transaction that appends those events, and rebuildable from
 * the log at any time (`rebuildShareProjections`).
 */

/** Applies a plant's new events (appended after `before`, now at `version`) to its rows. */
export async function projectPlant(
  em: EntityManager,
  before: PlantSharesState,
  events: readonly PlantSharesEvent[],
  version: number,
): Promise<{ readonly state: PlantSharesState; readonly changes: readonly HoldingsChange[] }> {
  const projected = projectPlantEvents(before, events);
  await upsertPlants(em, [plantRecord(projected.state, version)]);
  for (const change of projected.changes) await moveHoldings(em, change);
  return projected;
}

/** Applies a holder's new events to its row. */
export async function projectHolder(em: EntityManager, events: readonly HolderEvent[]): Promise<void> {
  await insertHolders(em, [holderRecord(events)]);
}

/**
 * Drops the three projections and writes them again from the event store. Takes the event
 * store's SHARE lock first: it waits for transactions that are appending, and holds new
 * appends off until the rebuilt rows are committed, so no event is missed or applied twice.
 */
export async function rebuildShareProjections(em: EntityManager): Promise<{ plants: number; holders: number; holdings: number }> {
  await em.query(`LOCK TABLE events IN SHARE MODE`);
  await em.query(`TRUNCATE holdings, plants, holders RESTART IDENTITY`);
  const holders = [...(await loadStreams(em, 'holder:', decodeHolderEvent)).values()].map(holderRecord);
  await insertHolders(em, holders);
  const plants: PlantRecord[] = [];
  const holdings: HoldingVersion[] = [];
  for (const events of (await loadStreams(em, 'plant:', decodePlantSharesEvent)).values()) {
    const model = plantReadModel(events);
    plants.push(model.plant);
    holdings.push(...model.holdings);
  }
  await upsertPlants(em, plants);
  await insertHoldings(em, holdings);
  return { plants: plants.length, holders: holders.length, holdings: holdings.length };
}

/** Inserts new plants and updates known ones to the record (their stream's latest state). */
async function upsertPlants(em: EntityManager, records: readonly PlantRecord[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: PlantRecord) => T): T[] => records.map(pick);
  await em.query(
    `INSERT INTO plants (plant_id, kind, meter_id, capacity_w, operator, group_id, fee_per_mw_period_cents, issued_w, stream_version, last_change_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::int[], $10::timestamptz[])
     ON CONFLICT (plant_id) DO UPDATE SET issued_w = excluded.issued_w, stream_version = excluded.stream_version, last_change_at = excluded.last_change_at`,
    [
      column((r) => r.plant.plantId),
      column((r) => r.plant.kind),
      column((r) => r.plant.meterId),
      column((r) => r.plant.capacityW.toString()),
      column((r) => r.plant.operator),
      column((r) => r.plant.groupId),
      column((r) => r.plant.feePerMWPeriodCents.toString()),
      column((r) => r.issuedW.toString()),
      column((r) => r.streamVersion),
      column((r) => r.lastChangeAt),
    ],
  );
}

async function insertHolders(em: EntityManager, holders: readonly HolderRecord[]): Promise<void> {
  if (holders.length === 0) return;
  await em.query(
    `INSERT INTO holders (holder_id, consumption_meter_id, group_id, registered_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`,
    [holders.map((h) => h.holder.holderId), holders.map((h) => h.holder.consumptionMeterId), holders.map((h) => h.holder.groupId), holders.map((h) => h.registeredAt)],
  );
}

/** Closes the open row of each holder the change names at its instant and opens one with the new balance. */
async function moveHoldings(em: EntityManager, change: HoldingsChange): Promise<void> {
  const holderIds = change.balances.map(([holderId]) => holderId);
  await em.query(`UPDATE holdings SET valid_to = $3 WHERE plant_id = $1 AND holder_id = ANY($2::text[]) AND valid_to IS NULL`, [change.plantId, holderIds, change.at]);
  const at = Date.parse(change.at);
  await insertHoldings(
    em,
    change.balances.filter(([, sharesW]) => sharesW > 0n).map(([holderId, sharesW]) => ({ plantId: change.plantId, holderId, sharesW, validFromMs: at, validToMs: null })),
  );
}

/** Rows per INSERT: a rebuild of a large book goes in slices of bounded size. */
const INSERT_SLICE = 50_000;

async function insertHoldings(em: EntityManager, all: readonly HoldingVersion[]): Promise<void> {
  for (let start = 0; start < all.length; start += INSERT_SLICE) {
    const rows = all.slice(start, start + INSERT_SLICE);
    await em.query(
      `INSERT INTO holdings (plant_id, holder_id, shares_w, valid_from, valid_to)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])`,
      [
        rows.map((r) => r.plantId),
        rows.map((r) => r.holderId),
        rows.map((r) => r.sharesW.toString()),
        rows.map((r) => new Date(r.validFromMs).toISOString()),
        rows.map((r) => (r.validToMs === null ? null : new Date(r.validToMs).toISOString())),
      ],
    );
  }
}
