import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { MAX_POINTS_PER_EVENT, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired } from '@gridledger/events';
import { inParts, partOf } from '../intake/event-parts';
import { registryRefusal } from './registry-refusal';
import { enqueueOutboxMany, type OutboxItem } from '@gridledger/messaging';
import { DomainError } from '@gridledger/domain';
import {
  decodeRegistryEvent,
  encodeRegistryEvent,
  meterPointDecider,
  settledPeriodsRefusal,
  versionToJson,
  type MeterPointState,
  type MeterPointVersionJson,
  type MeterPointVersionState,
  type RegistryCommand,
  type RegistryEvent,
  type Requester,
  type StoredRegistryEvent,
} from '@gridledger/metering';

export interface RegistryOutcome {
  /** Versions as they stand after the request, for every meter it touched. */
  readonly points: MeterPointVersionJson[];
  /** Registrations identical to what is stored: accepted as no-ops. */
  readonly unchanged: number;
}

export interface MeterPointView {
  readonly meterId: string;
  readonly status: 'active' | 'retired';
  /** The grid area (of the latest version): its DSO manages the point. */
  readonly gridArea: string;
  readonly versions: MeterPointVersionJson[];
}

/** Buckets the registry's meters are locked by: a request locks at most this many, however many meters it names. */
export const REGISTRY_LOCK_BUCKETS = 256;

/**
 * Serializes requests that touch the same meters: one transaction-level advisory lock per
 * bucket of meter ids (two-key form: class `hashtext('meter-registry')`, bucket), taken in
 * ascending order so two requests cannot deadlock. A lock per meter would put ten thousand
 * locks of one registration into Postgres' shared lock table, which is sized for about 64 per
 * connection: two such requests at once ran the server out of shared memory and failed every
 * other transaction on it. Requests on different meters of one bucket wait for each other,
 * which registry traffic can afford.
 */
async function lockRegistryBuckets(em: EntityManager, meterIds: readonly string[]): Promise<void> {
  await em.query(
    `SELECT pg_advisory_xact_lock(hashtext('meter-registry'), bucket)
     FROM (SELECT DISTINCT hashtext(id) & ${REGISTRY_LOCK_BUCKETS - 1} AS bucket FROM unnest($1::text[]) AS id ORDER BY 1) AS buckets`,
    [meterIds],
  );
}

/**
 * The event-sourced registry: load each meter's events, decide, append the new events, update
 * the read model and enqueue the wire events, all in one transaction per request. A request
 * is all or nothing, so an MPO never has to work out which half of a batch went in.
 */
export class MeterRegistryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    /** Registry changes may not take effect earlier than this long ago (the correction window). */
    private readonly correctionWindowMs = Number.POSITIVE_INFINITY,
  ) {}

  async apply(commands: readonly RegistryCommand[], requester: Requester): Promise<RegistryOutcome> {
    if (commands.length === 0) return { points: [], unchanged: 0 };
    this.refuseOutsideWindow(commands);
    const requestedBy = requester.address;
    return this.dataSource.transaction(async (em) => {
      const meterIds = [...new Set(commands.map((c) => c.meterId))].sort();
      await lockRegistryBuckets(em, meterIds);
      const states = await this.loadStates(em, meterIds);
      const errors: DomainError[] = [];
      const decided: { meterId: string; event: RegistryEvent }[] = [];
      let unchanged = 0;
      const firstSettled = await this.firstSettled(em, commands);
      for (const command of commands) {
        const state = states.get(command.meterId) ?? meterPointDecider.initialState();
        try {
          const events = meterPointDecider.decide({ ...command, requester }, state);
          // After the decider: unknown meters, wrong roles and bad instants are named first.
          const current = state.status === 'unregistered' ? undefined : state.versions[state.versions.length - 1];
          const settled = settledPeriodsRefusal(command, current, requester, firstSettled.get(command) ?? null);
          if (settled) throw settled;
          // The decider answers an identical re-registration with no event.
          if (events.length === 0) unchanged += 1;
          let next = state;
          for (const event of events) {
            next = meterPointDecider.evolve(next, event);
            decided.push({ meterId: command.meterId, event });
          }
          states.set(command.meterId, next);
        } catch (error) {
          if (error instanceof DomainError) errors.push(error);
          else throw error;
        }
      }
      if (errors.length > 0) throw registryRefusal(errors);
      if (decided.length === 0) return { points: [], unchanged };

      const recordedAt = this.clock.now().toISOString();
      const stored = decided.map((d) => encodeRegistryEvent(d.event));
      const seqs: { seq: string }[] = await em.query(
        `INSERT INTO registry_events (meter_id, event_type, data, requested_by, recorded_at)
         SELECT m, t, d::jsonb, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(m, t, d, n) ORDER BY n
         RETURNING seq::text`,
        [decided.map((d) => d.meterId), decided.map((d) => d.event.type), stored.map((s) => JSON.stringify(s)), requestedBy, recordedAt],
      );
      await this.project(em, decided.map((d) => d.event));
      await rebookMovedValues(em, decided.map((d) => d.event));

      const touched = [...new Set(decided.map((d) => d.meterId))];
      const byType = new Map<RegistryEvent['type'], MeterPointVersionJson[]>();
      for (const { event } of decided) {
        const state = states.get(event.type === 'MeterPointRetired' ? event.meterId : event.version.meterId);
        if (!state || state.status === 'unregistered') continue;
        const version = event.type === 'MeterPointRetired' ? state.versions[state.versions.length - 1] : versionOf(state, event.version.validFromMs);
        const list = byType.get(event.type) ?? [];
        list.push(versionToJson(version));
        byType.set(event.type, list);
      }
      const idParts = [seqs[0].seq, seqs[seqs.length - 1].seq];
      const items: OutboxItem[] = [];
      for (const [type, points] of byType) {
        const definition = type === 'MeterPointRegistered' ? MeterPointsRegistered : type === 'MeterPointChanged' ? MeterPointsChanged : MeterPointsRetired;
        const parts = inParts(points, MAX_POINTS_PER_EVENT);
        parts.forEach((slice, index) => {
          const { fields, idSuffix } = partOf(index, parts.length);
          items.push({ definition, envelope: definition.create({ data: { requestedBy, points: slice, ...fields }, idParts: [...idParts, ...idSuffix], occurredAt: recordedAt }) });
        });
      }
      await enqueueOutboxMany(em, items);
      const points = touched.flatMap((id) => {
        const state = states.get(id);
        return state && state.status !== 'unregistered' ? [versionToJson(state.versions[state.versions.length - 1])] : [];
      });
      return { points, unchanged };
    });
  }

  async get(meterId: string): Promise<MeterPointView | null> {
    const states = await this.loadStates(this.dataSource.manager, [meterId]);
    const state = states.get(meterId);
    if (!state || state.status === 'unregistered') return null;
    return { meterId, status: state.status, gridArea: state.versions[state.versions.length - 1].gridArea, versions: state.versions.map(versionToJson) };
  }

  /** A change may not reach back past the correction window: the periods before it are closed. */
  private refuseOutsideWindow(commands: readonly RegistryCommand[]): void {
    if (!Number.isFinite(this.correctionWindowMs)) return;
    const earliestMs = this.clock.nowMs() - this.correctionWindowMs;
    const errors: DomainError[] = [];
    for (const command of commands) {
      const [field, instantMs] =
        command.type === 'RegisterMeterPoint' ? ['validFrom', command.validFromMs] : command.type === 'ChangeMeterPoint' ? ['effectiveFrom', command.effectiveFromMs] : ['effectiveAt', command.effectiveAtMs];
      if (instantMs < earliestMs) {
        errors.push(
          new DomainError('unprocessable', 'OUTSIDE_CORRECTION_WINDOW', field, `meter ${command.meterId}: ${new Date(instantMs).toISOString()} is before the correction window (earliest ${new Date(earliestMs).toISOString()}); periods before it can no longer be changed`),
        );
      }
    }
    if (errors.length > 0) throw registryRefusal(errors.slice(0, 1000));
  }

  /**
   * Per change or retirement: the earliest period at or after its instant for which a value of
   * the meter is accepted (settled periods, as meter-ingest sees them), or none.
   */
  private async firstSettled(em: EntityManager, commands: readonly RegistryCommand[]): Promise<Map<RegistryCommand, number>> {
    const found = new Map<RegistryCommand, number>();
    for (const command of commands) {
      if (command.type === 'RegisterMeterPoint') continue;
      const fromMs = command.type === 'ChangeMeterPoint' ? command.effectiveFromMs : command.effectiveAtMs;
      const rows: { first_ms: number | null }[] = await em.query(
        `SELECT (extract(epoch FROM min(period_start)) * 1000)::float8 AS first_ms FROM intervals WHERE meter_id = $1 AND period_start >= $2`,
        [command.meterId, new Date(fromMs)],
      );
      if (rows[0]?.first_ms != null) found.set(command, rows[0].first_ms);
    }
    return found;
  }

  private async loadStates(em: EntityManager, meterIds: readonly string[]): Promise<Map<string, MeterPointState>> {
    const rows: { meter_id: string; data: StoredRegistryEvent }[] = await em.query(
      `SELECT meter_id, data FROM registry_events WHERE meter_id = ANY($1::text[]) ORDER BY seq`,
      [meterIds],
    );
    const states = new Map<string, MeterPointState>();
    for (const row of rows) states.set(row.meter_id, meterPointDecider.evolve(states.get(row.meter_id) ?? meterPointDecider.initialState(), decodeRegistryEvent(row.data)));
    return states;
  }

  /** The read model intake validates against: one row per version. */
  private async project(em: EntityManager, events: readonly RegistryEvent[]): Promise<void> {
    const inserts: MeterPointVersionState[] = [];
    for (const event of events) {
      if (event.type === 'MeterPointRegistered') inserts.push(event.version);
      else if (event.type === 'MeterPointChanged') {
        await flushInserts(em, inserts);
        await em.query(`UPDATE meter_points SET valid_to = $2 WHERE meter_id = $1 AND valid_to IS NULL`, [event.version.meterId, new Date(event.version.validFromMs)]);
        inserts.push(event.version);
      } else {
        await flushInserts(em, inserts);
        await em.query(`UPDATE meter_points SET valid_to = $2, retired = true WHERE meter_id = $1 AND valid_to IS NULL`, [event.meterId, new Date(event.retiredAtMs)]);
      }
    }
    await flushInserts(em, inserts);
  }
}

async function flushInserts(em: EntityManager, versions: MeterPointVersionState[]): Promise<void> {
  if (versions.length === 0) return;
  await em.query(
    `INSERT INTO meter_points (meter_id, valid_from, direction, mpo, dso, group_id, supplier, connection_limit_w)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])`,
    [
      versions.map((v) => v.meterId),
      versions.map((v) => new Date(v.validFromMs).toISOString()),
      versions.map((v) => v.direction),
      versions.map((v) => v.mpo),
      versions.map((v) => v.dso),
      versions.map((v) => v.groupId),
      versions.map((v) => v.supplier),
      versions.map((v) => v.connectionLimitW.toString()),
    ],
  );
  versions.length = 0;
}

/**
 * A correction that moves a meter to another group re-books the values it covers: each
 * accepted value from the new version's start on leaves its old group and joins the new one
 * (one row, one group: no kWh in two groups, none in none), and both group-periods are marked
 * for new manifests, their batch digests from intake as unknown. Balancing moves its copies
 * when the MeterPointsChanged event arrives.
 */
async function rebookMovedValues(em: EntityManager, events: readonly RegistryEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type !== 'MeterPointChanged') continue;
    const { meterId, groupId, validFromMs } = event.version;
    const moved: { old_group: string; period_start: Date; period_minutes: number; batch_seq: string }[] = await em.query(
      `WITH moved AS (
         SELECT meter_id, period_start, group_id AS old_group FROM intervals
         WHERE meter_id = $1 AND period_start >= $2 AND group_id <> $3 FOR UPDATE),
       updated AS (
         UPDATE intervals i SET group_id = $3 FROM moved m
         WHERE i.meter_id = m.meter_id AND i.period_start = m.period_start
         RETURNING m.old_group, i.period_start, i.period_minutes, i.batch_seq)
       SELECT old_group, period_start, period_minutes, batch_seq::text AS batch_seq FROM updated`,
      [meterId, new Date(validFromMs), groupId],
    );
    if (moved.length === 0) continue;
    // Both group-periods are dirty, and the batch counts and digests intake stored for them
    // no longer hold: the manifest computes those batches in SQL from now on (NULL = unknown).
    await em.query(
      `WITH marks AS (
         SELECT g, p, m, s::bigint AS s FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::text[]) AS x(g, p, m, s)),
       dirty AS (
         INSERT INTO manifest_dirty (group_id, period_start, period_minutes, batch_seq) SELECT g, p, m, s FROM marks ON CONFLICT DO NOTHING)
       INSERT INTO manifest_batches (period_start, group_id, batch_seq, value_count, digest)
       SELECT DISTINCT p, g, s, NULL::int, NULL::text FROM marks
       ON CONFLICT (period_start, group_id, batch_seq) DO UPDATE SET value_count = NULL, digest = NULL`,
      [
        [...moved.map((row) => row.old_group), ...moved.map(() => groupId)],
        [...moved.map((row) => row.period_start), ...moved.map((row) => row.period_start)],
        [...moved.map((row) => row.period_minutes), ...moved.map((row) => row.period_minutes)],
        [...moved.map((row) => row.batch_seq), ...moved.map((row) => row.batch_seq)],
      ],
    );
  }
}

function versionOf(state: Exclude<MeterPointState, { status: 'unregistered' }>, validFromMs: number): MeterPointVersionState {
  return state.versions.find((v) => v.validFromMs === validFromMs) ?? state.versions[state.versions.length - 1];
}
