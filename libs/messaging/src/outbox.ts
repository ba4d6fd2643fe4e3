import { z } from 'zod';
import type { Context } from '@opentelemetry/api';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { vacuumQueueTable } from '@gridledger/persistence';
import type { AnyEventDefinition, MessagingClient } from './messaging-client';
import { outboxChannel, schemaOf, serializeEvent, writeOutbox } from './outbox-writer';
import type { ConsumerLogger } from './consumer';
import { forgetReadings, reportOutboxBacklog, reportOutboxParked } from './lag-metrics';
import { boundParkReason, classifyPublishFailure, type PublishFailure } from './publish-failure';

export interface OutboxItem<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly definition: D;
  readonly envelope: ReturnType<D['create']>;
  readonly key?: string;
  /** Trace context to continue; default the active one (pass event.traceContext in batch handlers). */
  readonly trace?: Context;
}

/**
 * Writes events to the service's outbox inside the caller's transaction: they are published
 * if and only if the transaction commits. Validates each envelope first.
 */
export async function enqueueOutbox<D extends AnyEventDefinition>(em: EntityManager, definition: D, envelope: ReturnType<D['create']>, key?: string, trace?: Context): Promise<void> {
  await enqueueOutboxMany(em, [{ definition, envelope, key, trace }]);
}

export async function enqueueOutboxMany(em: EntityManager, items: readonly OutboxItem[]): Promise<void> {
  await writeOutbox(em, items.map((item) => serializeEvent(item.definition, item.envelope, item.key, item.trace)));
}

export interface OutboxRelayOptions {
  readonly dataSource: DataSource;
  readonly messaging: MessagingClient;
  /** Rows published per transaction (default 500). */
  readonly batchSize?: number;
  /** Poll even without a notification, to pick up rows after a restart or a lost notify. */
  readonly pollIntervalMs?: number;
  /** Transient failures of one row (while the server answers) before it is parked (default 20). */
  readonly maxAttempts?: number;
  /** How often the background relay vacuums the outbox and refreshes its statistics (default a minute; 0 never). */
  readonly maintenanceIntervalMs?: number;
  readonly logger?: ConsumerLogger;
}

interface OutboxRow {
  position: string;
  event_id: string;
  event_type: string;
  subject: string;
  payload: string;
  headers: Record<string, string>;
  attempts: number;
}

/** What one relay round did: rows published, rows parked, and whether it stopped on a transient failure. */
interface RelayRound {
  readonly published: number;
  readonly parked: number;
  readonly blocked: boolean;
}

/** How stale the relay's backlog and parked gauges may be (the poll interval refreshes them). */
const BACKLOG_REFRESH_MS = 1_000;

/**
 * Publishes unpublished outbox rows in position order and marks them published. One relay
 * per schema is active at a time (advisory lock), so order holds across replicas; a crash
 * between publish and mark re-publishes, which JetStream drops by Nats-Msg-Id.
 *
 * No single row stops the queue: a row that can never be published (classifyPublishFailure:
 * too large for the server, a subject or message JetStream refuses) is parked with its reason
 * (`parked_at`, `park_reason`), logged as an error and counted in
 * `gridledger_outbox_parked_rows`, and the rows behind it go on. A transient failure (no
 * responders, timeout, connection) stops the round there and is retried on the next one, so
 * order holds; it counts against the row only while the server answers a ping (an outage
 * parks nothing), and after `maxAttempts` such failures the row is parked too. A full stream
 * (discard new) or a cluster short of resources holds the round the same way and never counts:
 * the rows wait in order until retention frees space or an operator raises the limit.
 */
export class OutboxRelay {
  private readonly schema: string;
  private listener: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<number> | undefined;
  private again = false;
  private maintainedAt = Date.now();
  private countedAt = 0;
  private countTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.schema = schemaOf(options.dataSource);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen().catch(() => undefined);
    const poll = () => {
      this.kick();
      // A listener lost with a Postgres restart is re-established; polling covers the gap.
      if (this.running && !this.listener) void this.listen().catch(() => undefined);
      if (this.running) this.timer = setTimeout(poll, this.options.pollIntervalMs ?? 1000);
    };
    poll();
  }

  /** LISTEN on the schema's channel so a commit wakes the relay at once. */
  private async listen(): Promise<void> {
    const url = (this.options.dataSource.options as { url?: string }).url;
    if (!url) return;
    const listener = new Client({ connectionString: url });
    const drop = (error?: Error) => {
      if (error) this.options.logger?.warn(`outbox listener: ${error.message}`, 'OutboxRelay');
      if (this.listener === listener) this.listener = undefined;
      void listener.end().catch(() => undefined);
    };
    listener.on('notification', () => this.kick());
    listener.on('error', drop);
    listener.on('end', () => drop());
    this.listener = listener;
    try {
      await listener.connect();
      await listener.query(`LISTEN "${outboxChannel(this.schema)}"`);
    } catch (error) {
      drop(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.countTimer);
    this.countTimer = undefined;
    forgetReadings(this);
    await this.inFlight?.catch(() => 0);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /**
   * Publishes everything pending now and returns how many rows this call published. Waits
   * for a relay that is busy (here or in another replica), so when it returns, every row
   * committed before the call is on JetStream.
   */
  flush(): Promise<number> {
    return this.drain(true);
  }

  private async drain(waitForLock: boolean): Promise<number> {
    let total = 0;
    let parkedAny = false;
    for (;;) {
      const round = await this.relayOnce(waitForLock);
      total += round.published;
      parkedAny ||= round.parked > 0;
      if (round.blocked || round.published + round.parked < (this.options.batchSize ?? 500)) break;
    }
    // The gauges at most a second old: a busy producer wakes the relay many times a second,
    // and counting on every wake cost more than the rounds themselves (measured in meter-ingest:
    // 1.6 counts per intake batch). A flush or a park counts at once; a skipped count is made
    // up a second later (the count alone, no relay round), so the gauges settle when the wakes stop.
    if (waitForLock || parkedAny || Date.now() - this.countedAt >= BACKLOG_REFRESH_MS) await this.countBacklog();
    else {
      this.countTimer ??= setTimeout(() => {
        this.countTimer = undefined;
        if (this.running) void this.countBacklog().catch(() => undefined);
      }, BACKLOG_REFRESH_MS).unref();
    }
    return total;
  }

  /**
   * Each count on the conditions of its partial index (outbox_unpublished, outbox_parked), so
   * it reads the unpublished rows only: published rows are kept (the event archive), and one
   * count over `published_at IS NULL` alone scanned all of them on every drain.
   */
  private async countBacklog(): Promise<void> {
    this.countedAt = Date.now();
    const [{ backlog, parked }] = (await this.options.dataSource.query(
      `SELECT (SELECT count(*) FROM "${this.schema}"."outbox" WHERE "published_at" IS NULL AND "parked_at" IS NULL)::int AS backlog,
              (SELECT count(*) FROM "${this.schema}"."outbox" WHERE "parked_at" IS NOT NULL AND "published_at" IS NULL)::int AS parked`,
    )) as { backlog: number; parked: number }[];
    reportOutboxBacklog(this, backlog, { schema: this.schema });
    reportOutboxParked(this, parked, { schema: this.schema });
  }

  private kick(): void {
    if (!this.running) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.drain(false)
      .then(async (published) => {
        await this.maintain();
        return published;
      })
      .catch((error: unknown) => {
        this.options.logger?.warn(`outbox relay: ${error instanceof Error ? error.message : String(error)}`, 'OutboxRelay');
        return 0;
      })
      .finally(() => {
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * The outbox keeps every row (the event archive) and updates each once when publishing it,
   * so it is a queue table (vacuumQueueTable): the background relay vacuums it now and then,
   * with statistics of the queue's columns only.
   */
  private async maintain(): Promise<void> {
    const interval = this.options.maintenanceIntervalMs ?? 60_000;
    if (interval <= 0 || Date.now() - this.maintainedAt < interval) return;
    this.maintainedAt = Date.now();
    await vacuumQueueTable(this.options.dataSource, this.schema, 'outbox', ['position', 'published_at', 'parked_at']);
  }

  private async relayOnce(waitForLock: boolean): Promise<RelayRound> {
    const batchSize = this.options.batchSize ?? 500;
    const idle: RelayRound = { published: 0, parked: 0, blocked: false };
    return this.options.dataSource.transaction(async (em) => {
      if (waitForLock) {
        await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`outbox:${this.schema}`]);
      } else {
        // The background loop skips a round when another relay is at work.
        const [{ locked }] = (await em.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [`outbox:${this.schema}`])) as { locked: boolean }[];
        if (!locked) return idle;
      }
      const rows: OutboxRow[] = await em.query(
        `SELECT "position", "event_id", "event_type", "subject", "payload", "headers", "attempts" FROM "${this.schema}"."outbox"
         WHERE "published_at" IS NULL AND "parked_at" IS NULL ORDER BY "position" LIMIT $1`,
        [batchSize],
      );
      if (rows.length === 0) return idle;
      // Sent in order on one connection; acks awaited together for throughput.
      const outcomes = await Promise.allSettled(
        rows.map((row) => this.options.messaging.publishRaw(row.subject, row.payload, { eventId: row.event_id, eventType: row.event_type, traceHeaders: row.headers })),
      );
      const published: string[] = [];
      const parked: { row: OutboxRow; reason: string }[] = [];
      let blockedBy: { row: OutboxRow; failure: PublishFailure } | undefined;
      for (const [i, outcome] of outcomes.entries()) {
        const row = rows[i];
        if (outcome.status === 'fulfilled') {
          published.push(row.position);
          continue;
        }
        const failure = classifyPublishFailure(outcome.reason);
        if (failure.kind === 'permanent') {
          parked.push({ row, reason: failure.reason });
          continue;
        }
        // Held back by the stream (full) or the cluster: not this row's fault, like an outage.
        const counts = failure.kind === 'transient' && (await this.serverAnswers());
        const attempts = row.attempts + (counts ? 1 : 0);
        if (attempts >= (this.options.maxAttempts ?? 20)) {
          parked.push({ row, reason: boundParkReason(`${attempts} failed attempts, last: ${failure.reason}`) });
          continue;
        }
        if (counts) await em.query(`UPDATE "${this.schema}"."outbox" SET "attempts" = $2 WHERE "position" = $1`, [row.position, attempts]);
        // Rows behind a transient failure stay unpublished (order); those that did go out are
        // dropped as Nats-Msg-Id duplicates when the next round sends them again.
        blockedBy = { row, failure };
        break;
      }
      if (published.length > 0) {
        await em.query(`UPDATE "${this.schema}"."outbox" SET "published_at" = now() WHERE "position" = ANY($1::bigint[])`, [published]);
      }
      for (const { row, reason } of parked) {
        await em.query(`UPDATE "${this.schema}"."outbox" SET "parked_at" = now(), "park_reason" = $2 WHERE "position" = $1`, [row.position, reason]);
        this.options.logger?.error(`outbox row parked: position ${row.position}, event ${row.event_id}, subject ${row.subject}: ${reason}`, 'OutboxRelay');
      }
      if (blockedBy) {
        this.options.logger?.warn(`outbox relay waits: position ${blockedBy.row.position}, subject ${blockedBy.row.subject}: ${blockedBy.failure.reason}`, 'OutboxRelay');
      }
      return { published: published.length, parked: parked.length, blocked: blockedBy !== undefined };
    });
  }

  /** Whether NATS answers now: a failure during an outage is not the row's fault. */
  private serverAnswers(): Promise<boolean> {
    return this.options.messaging.ping(1000).then(
      () => true,
      () => false,
    );
  }
}

export interface OutboxReplayRequest {
  /** Names this replay; the same id twice is deduped by JetStream (retries are harmless). */
  readonly replayId: string;
  /** Logical subject or subject prefix, e.g. `meter.intervals.measured.G1`. */
  readonly subjectPrefix?: string;
  readonly eventIds?: readonly string[];
  /** ISO instants bounding when the rows were written. */
  readonly createdFrom?: string;
  readonly createdTo?: string;
  /** Outbox position (the row's sequence in the outbox) to start from, inclusive. */
  readonly fromPosition?: number;
  /** At most this many rows (default 10,000). */
  readonly limit?: number;
  /**
   * Also un-park the matching parked rows (after their cause was fixed, e.g. the server's
   * max_payload raised): the relay tries them again on its next round, after the rows
   * already published (they keep their position; order among them holds). Answered as
   * `retriedParked`.
   */
  readonly retryParked?: boolean;
}

const replayRequestSchema = z
  .object({
    replayId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters [A-Za-z0-9_.:-]'),
    subjectPrefix: z.string().min(1).optional(),
    eventIds: z.array(z.string().min(1)).max(100_000).optional(),
    createdFrom: z.string().datetime().optional(),
    createdTo: z.string().datetime().optional(),
    fromPosition: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().max(100_000).optional(),
    retryParked: z.boolean().optional(),
  })
  .strict();

// The filters of a replay request, shared by replay and retryParked: $1-$4 and $6 (limit is $5).
const REPLAY_FILTER = `AND ($1::text IS NULL OR "subject" = $1 OR left("subject", length($1) + 1) = $1 || '.')
       AND ($2::text[] IS NULL OR "event_id" = ANY($2))
       AND ($3::timestamptz IS NULL OR "created_at" >= $3)
       AND ($4::timestamptz IS NULL OR "created_at" < $4)
       AND ($6::bigint IS NULL OR "position" >= $6)`;

function replayParameters(valid: z.infer<typeof replayRequestSchema>): unknown[] {
  return [valid.subjectPrefix ?? null, valid.eventIds ?? null, valid.createdFrom ?? null, valid.createdTo ?? null, valid.limit ?? 10_000, valid.fromPosition ?? null];
}

/**
 * Re-publishes outbox rows that were already published, so a receiver whose reconciliation
 * found a gap can heal it (Postgres is the system of record, JetStream only the transport).
 * A replay carries a fresh Nats-Msg-Id (`<event id>~replay~<replayId>`), so JetStream stores
 * it even inside the duplicate window; receivers' inboxes still apply each event id once.
 */
export async function replayOutbox(dataSource: DataSource, messaging: MessagingClient, request: OutboxReplayRequest): Promise<number> {
  const valid = replayRequestSchema.parse(request);
  const schema = schemaOf(dataSource);
  const rows: OutboxRow[] = await dataSource.query(
    `SELECT "position", "event_id", "event_type", "subject", "payload", "headers" FROM "${schema}"."outbox"
     WHERE "published_at" IS NOT NULL
       ${REPLAY_FILTER}
     ORDER BY "position" LIMIT $5`,
    replayParameters(valid),
  );
  for (let i = 0; i < rows.length; i += 500) {
    await Promise.all(
      rows.slice(i, i + 500).map((row) =>
        messaging.publishRaw(row.subject, row.payload, { eventId: row.event_id, eventType: row.event_type, traceHeaders: row.headers, msgId: `${row.event_id}~replay~${valid.replayId}` }),
      ),
    );
  }
  return rows.length;
}

/**
 * Un-parks parked rows matching the replay's filters (attempts back to 0) and wakes the relay,
 * which publishes them with their own Nats-Msg-Id (they were never published). Returns how many.
 */
export async function retryParkedOutbox(dataSource: DataSource, request: OutboxReplayRequest): Promise<number> {
  const valid = replayRequestSchema.parse(request);
  const schema = schemaOf(dataSource);
  return dataSource.transaction(async (em) => {
    // A CTE, because TypeORM answers a bare UPDATE … RETURNING as [rows, affected].
    const [{ retried }]: { retried: number }[] = await em.query(
      `WITH retried AS (UPDATE "${schema}"."outbox" SET "parked_at" = NULL, "park_reason" = NULL, "attempts" = 0
       WHERE "position" IN (
         SELECT "position" FROM "${schema}"."outbox"
         WHERE "parked_at" IS NOT NULL AND "published_at" IS NULL
           ${REPLAY_FILTER}
         ORDER BY "position" LIMIT $5)
       RETURNING "position")
       SELECT count(*)::int AS retried FROM retried`,
      replayParameters(valid),
    );
    if (retried > 0) await em.query(`SELECT pg_notify($1, '')`, [outboxChannel(schema)]);
    return retried;
  });
}

/** The request subject on which a service answers replay requests: `<service>.outbox.replay`. */
export function outboxReplaySubject(service: string): string {
  return `${service}.outbox.replay`;
}

/** The answer to a replay request: `{ replayed }`, or `{ error }` naming the bad field. */
export async function answerOutboxReplay(dataSource: DataSource, messaging: MessagingClient, body: unknown): Promise<{ replayed: number; retriedParked?: number } | { error: string }> {
  const parsed = replayRequestSchema.safeParse(body);
  if (!parsed.success) return { error: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ') };
  const replayed = await replayOutbox(dataSource, messaging, parsed.data);
  if (!parsed.data.retryParked) return { replayed };
  return { replayed, retriedParked: await retryParkedOutbox(dataSource, parsed.data) };
}
