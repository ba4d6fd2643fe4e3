import type { EntityManager } from 'typeorm';
import { type HolderId, type PlantSharesEvent, type PlantSharesState, type Stored, decodePlantSharesEvent, plantSharesDecider } from '@gridledger/capacity';
import { foldEvents } from '@gridledger/domain';
import { loadStreamForUpdate, lockStream } from './event-store';

/**
 * A plant's decider state without folding its stream: `plant_snapshots` (version, shares in
 * circulation, last change) and `plant_snapshot_balances`, written in the transaction that
 * appends the plant's events. The plant itself is its stream's first event (it never changes).
 * A command then costs a few index lookups however many holders the plant has; folding the
 * stream made issuing a plant's n-th share read n events (quadratic in its holdings).
 *
 * The event store stays the truth: a snapshot is used only when it is at the stream's last
 * version (the lock is held, so nothing appends meanwhile); otherwise (none yet, a rebuild
 * inserted records, a test emptied the store) the stream is folded and the snapshot rewritten.
 */
export interface LoadedPlant {
  /** The stream's last version: the version the next append expects. */
  readonly version: number;
  /** The full state, or (from the snapshot) one whose balances hold only the named holders. */
  readonly state: PlantSharesState;
  /** Whether `state` came from a full fold: its snapshot is rewritten whole. */
  readonly folded: boolean;
}

/** Takes the stream's lock and loads the state `decide` needs for a command naming `holderIds`. */
export async function loadPlantForUpdate(em: EntityManager, streamId: string, holderIds: readonly HolderId[]): Promise<LoadedPlant> {
  await lockStream(em, streamId);
  const [head]: { version: number; snapshot: number | null; issued_w: string | null; changed_at: string | null }[] = await em.query(
    `SELECT coalesce((SELECT max(stream_version) FROM events WHERE stream_id = $1), 0) AS version, s.stream_version AS snapshot, s.issued_w::text, s.changed_at
       FROM (SELECT 1) AS one LEFT JOIN plant_snapshots s ON s.stream_id = $1`,
    [streamId],
  );
  if (head.version > 0 && head.snapshot === head.version && head.issued_w !== null && head.changed_at !== null) {
    const [first]: { data: Stored<PlantSharesEvent> }[] = await em.query(`SELECT data FROM events WHERE stream_id = $1 AND stream_version = 1`, [streamId]);
    const registered = decodePlantSharesEvent(first.data);
    if (registered.type !== 'PlantRegistered') throw new Error(`stream ${streamId} does not start with PlantRegistered`);
    const rows: { holder_id: string; shares_w: string }[] = await em.query(
      `SELECT holder_id, shares_w::text FROM plant_snapshot_balances WHERE stream_id = $1 AND holder_id = ANY($2::text[])`,
      [streamId, holderIds],
    );
    const balances = new Map(rows.map((row) => [row.holder_id, BigInt(row.shares_w)]));
    return { version: head.version, state: { status: 'registered', plant: registered.plant, issuedW: BigInt(head.issued_w), balances, changedAt: head.changed_at }, folded: false };
  }
  const stream = await loadStreamForUpdate(em, streamId, decodePlantSharesEvent);
  return { version: stream.version, state: foldEvents(plantSharesDecider, stream.events), folded: true };
}

/**
 * Writes the snapshot at `version` from the state after the command: whole after a fold,
 * otherwise the totals and the balances the command changed (`changed`, 0 W deletes the row).
 */
export async function savePlantSnapshot(
  em: EntityManager,
  streamId: string,
  version: number,
  state: PlantSharesState,
  changed: ReadonlyArray<readonly [HolderId, bigint]>,
  folded: boolean,
): Promise<void> {
  if (state.status !== 'registered') return;
  await em.query(
    `INSERT INTO plant_snapshots (stream_id, stream_version, issued_w, changed_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (stream_id) DO UPDATE SET stream_version = excluded.stream_version, issued_w = excluded.issued_w, changed_at = excluded.changed_at`,
    [streamId, version, state.issuedW.toString(), state.changedAt],
  );
  if (folded) await em.query(`DELETE FROM plant_snapshot_balances WHERE stream_id = $1`, [streamId]);
  const balances = folded ? [...state.balances.entries()] : changed;
  const zero = balances.filter(([, sharesW]) => sharesW === 0n).map(([holderId]) => holderId);
  const held = balances.filter(([, sharesW]) => sharesW !== 0n);
  if (zero.length > 0) await em.query(`DELETE FROM plant_snapshot_balances WHERE stream_id = $1 AND holder_id = ANY($2::text[])`, [streamId, zero]);
  if (held.length === 0) return;
  await em.query(
    `INSERT INTO plant_snapshot_balances (stream_id, holder_id, shares_w)
     SELECT $1, h, w FROM unnest($2::text[], $3::bigint[]) AS x(h, w)
     ON CONFLICT (stream_id, holder_id) DO UPDATE SET shares_w = excluded.shares_w`,
    [streamId, held.map(([holderId]) => holderId), held.map(([, sharesW]) => sharesW.toString())],
  );
}
