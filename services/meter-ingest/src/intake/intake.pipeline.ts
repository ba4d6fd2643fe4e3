import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { DomainError, formatInstant, periodLengthMs, type Clock } from '@gridledger/domain';
import { MAX_INTERVALS_PER_EVENT, MAX_REJECTIONS_PER_EVENT, MeterIntervalsMeasured, MeterReadingsRejected, measuredSeriesOf, sampledSeries } from '@gridledger/events';
import { compareWithStored, rejection, validateIntervals, type AcceptedInterval, type Rejection } from '@gridledger/metering';
import { inParts, partOf } from './event-parts';
import { serializeTrustedEvent, serializeTrustedEventSpliced, type EnqueuedEvent, type SerializedEvent } from '@gridledger/messaging';
import { ValuesStoredBefore, beginBatch, insertIntervals, type IntervalInsert } from './interval-store';
import { RegistryCache, type CachedRegistryView } from './registry-cache';
import { IntervalPartitions, partitionName } from './interval-partitions';
import { refusalListing, type IntakeAnswer, type VerifiedSubmission } from './intake.types';
import { prepareRegisterReadings } from './register-intake';
import { batchManifestsOf, keepBatchSegments, type BatchManifest } from '../persistence/manifests.repository';
import { closeBatch } from './batch-closing';
import type { ManifestSegments } from '../manifests/manifest-segments';

export interface IntakeOutcome {
  readonly answer: IntakeAnswer;
  /** True when the batch was stored before: the stored answer, nothing new. */
  readonly replayed: boolean;
  /** The events this submission wrote to the outbox (none when replayed). */
  readonly events: readonly EnqueuedEvent[];
}

/**
 * The one pipeline behind every door: registry view → validation → values, events and the
 * raw batch in one transaction → answer. The answer is stored with the batch, so a re-sent
 * batch (same digest) gets the same answer and publishes nothing new.
 */
export class IntakePipeline {
  readonly schema: string;
  private readonly registry = new RegistryCache();
  private readonly partitions: IntervalPartitions;

  /**
   * `notifyRelay`: wake the outbox relay on commit (the CLI, or anyone who does not publish
   * the returned events itself); the service publishes them directly and leaves it false.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly notifyRelay = true,
    private readonly policy: IntakePolicy = OPEN_POLICY,
    /** Where the batches' canonical lines are kept for the manifests (none: manifests in SQL). */
    private readonly segments?: ManifestSegments,
  ) {
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'public';
    this.partitions = new IntervalPartitions(dataSource);
  }

  /** Creates the value partitions of today and the next `daysAhead` days (at start, then periodically). */
  partitionsAhead(daysAhead: number): Promise<void> {
    return this.partitions.ensureAhead(this.clock.nowMs(), daysAhead);
  }

  async submit(submission: VerifiedSubmission): Promise<IntakeOutcome> {
    if (submission.intervals.length === 0 && submission.readings.length === 0) {
      // Nothing in it could even be read: refuse the submission whole, as malformed input.
      const listed = submission.rejections.length > 1000 ? ' (the first 1,000 reasons are listed)' : '';
      throw refusalListing('invalid', 'NO_USABLE_VALUE', '(body)', `none of the ${submission.entryCount} entries could be read; nothing was stored${listed}`, submission.rejections.slice(0, 1000));
    }
    const days = await this.partitions.ensureFor(instantsOf(submission));
    // Register splits are computed inside the transaction and may reach other days.
    const partition = days.size === 1 && submission.readings.length === 0 ? partitionName([...days][0]) : undefined;
    // The connection from TypeORM's pool; the transaction on the driver's client, so that it
    // opens in the batch's first round trip (beginBatch).
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      try {
        const processed = await this.processDirectFirst(client, submission, partition);
        if (processed === null) {
          // A concurrent copy of the same batch committed first: answer as it did.
          await client.query('ROLLBACK');
          const theirs = await this.storedAnswer(submission.batchId);
          if (!theirs) throw new Error(`batch ${submission.batchId} vanished after a key conflict`);
          return replayOf(theirs, submission);
        }
        if ('stored' in processed) {
          // Stored before (beginBatch found it): its answer again, nothing written.
          await client.query('ROLLBACK');
          return replayOf(processed.stored, submission);
        }
        await client.query('COMMIT');
        return { answer: processed.answer, replayed: false, events: processed.events };
      } catch (error) {
        // Harmless when the transaction has ended: Postgres only warns.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** process with the direct COPY; when it meets a value stored before (which aborted the transaction), again through staging. */
  private async processDirectFirst(client: PoolClient, submission: VerifiedSubmission, partition: string | undefined): Promise<Processed> {
    try {
      return await this.process(client, submission, 'copy', partition);
    } catch (error) {
      if (!(error instanceof ValuesStoredBefore)) throw error;
      await client.query('ROLLBACK');
      return this.process(client, submission, 'staging');
    }
  }

  private async storedAnswer(batchId: string): Promise<IntakeAnswer | null> {
    const rows: { answer: IntakeAnswer }[] = await this.dataSource.query(`SELECT answer FROM raw_batches WHERE batch_id = $1`, [batchId]);
    return rows.length ? rows[0].answer : null;
  }

  /**
   * The batch in a transaction it opens on `client` (the caller ends it), its values inserted
   * `how`: what was written; `stored` when it was stored before (nothing written); null when
   * a concurrent copy committed first (roll back). Throws ValuesStoredBefore when a direct
   * COPY met a stored value.
   */
  private async process(client: PoolClient, submission: VerifiedSubmission, how: IntervalInsert, partition?: string): Promise<Processed> {
    const nowMs = this.clock.nowMs();
    const receivedAt = new Date(nowMs).toISOString();
    const rejections: Rejection[] = [...submission.rejections];
    const notes = [...submission.notes];
    const { batchSeq, registryRevision, storedAnswer, copyTarget } = await beginBatch(client, submission.batchId, partition);
    if (storedAnswer !== null) return { stored: storedAnswer };

    let values = submission.intervals;
    let registry: CachedRegistryView;
    if (submission.readings.length > 0) {
      // Register splits write series state: every meter is read before they run.
      registry = await this.registry.view(client, meterIdsOf(submission));
      const prepared = await prepareRegisterReadings(client, submission, registry, nowMs, batchSeq);
      refuseForeign(prepared.foreign);
      values = prepared.intervals;
      rejections.push(...prepared.rejections);
      notes.push(...prepared.notes);
    } else registry = await this.registry.at(client, registryRevision);
    const validate = () => validateIntervals(values, { mpo: submission.mpo, periodLength: submission.periodLength, nowMs, registry, correctionWindowMs: this.policy.correctionWindowMs });
    let validation = validate();
    if (registry.missed.size > 0) {
      // Meters not in memory yet: read them and judge the batch again (validation is pure).
      registry = await this.registry.complete(client, registry);
      validation = validate();
    }
    // The next batch of these meters in this order finds them by position.
    if (submission.readings.length === 0) this.registry.learn(registry);
    refuseForeign(validation.foreign);
    refuseWithoutMpoRole(validation.accepted, submission.mpo, this.policy);
    rejections.push(...validation.rejections);

    const periodMinutes = periodLengthMs(submission.periodLength) / 60_000;
    const { accepted } = validation;
    const outputsOf = (values: readonly AcceptedInterval[]) => this.outputsOf(values, submission, receivedAt);
    // Worked out while Postgres inserts the values, for the usual batch whose values are all new.
    let whileInserting: BatchOutputs | undefined;
    const stored = await insertIntervals(client, accepted, periodMinutes, batchSeq, how, { copyTarget, meanwhile: () => (whileInserting = outputsOf(accepted)) });
    const { fresh, duplicates } = separateStored(accepted, stored, rejections);
    const { groups, manifests, measured } = fresh === accepted && whileInserting !== undefined ? whileInserting : outputsOf(fresh);

    const outbox: SerializedEvent[] = [...measured];
    const correlationId = correlationOf(submission);
    const rejectionParts = inParts(rejections, MAX_REJECTIONS_PER_EVENT);
    rejectionParts.forEach((reasons, index) => {
      const { fields, idSuffix } = partOf(index, rejectionParts.length);
      const data = { batchId: submission.batchId, mpo: submission.mpo, receivedAt, reasons, ...fields };
      outbox.push(serializeTrustedEvent(MeterReadingsRejected, data, { idParts: [submission.batchId, ...idSuffix], occurredAt: receivedAt, correlationId }));
    });

    const answer: IntakeAnswer = {
      batchId: submission.batchId,
      status: rejections.length === 0 ? 'accepted' : fresh.length + duplicates > 0 ? 'partially-accepted' : 'rejected',
      mpo: submission.mpo,
      receivedAt,
      entries: submission.entryCount,
      accepted: fresh.length,
      duplicates,
      rejected: rejections.length,
      groups: [...groups].map(([groupId, intervals]) => ({ groupId, intervals: intervals.length })),
      rejections,
      notes,
    };
    const { batchId, format, source, mpo, signature, body, bodyEncoding } = submission;
    const raw = { batchId, format, source, mpo, signature, signedRequest: JSON.stringify(submission.signedRequest), body, bodyEncoding, receivedAt, answer: JSON.stringify(answer) };
    keepBatchSegments(manifests, batchSeq, this.segments);
    const closed = await closeBatch(client, { schema: this.schema, batchSeq, periodMinutes, manifests, events: outbox, notify: this.notifyRelay, raw });
    return closed.stored ? { answer, events: closed.events } : null;
  }

  /**
   * What the new values of a batch make: their groups, the batch's manifests and the measured
   * events, built from values the validation accepted (serialized without running zod over
   * them again).
   */
  private outputsOf(values: readonly AcceptedInterval[], submission: VerifiedSubmission, receivedAt: string): BatchOutputs {
    const groups = groupByBalancingGroup(values);
    const measured: SerializedEvent[] = [];
    const correlationId = correlationOf(submission);
    for (const [groupId, intervals] of groups) {
      const parts = inParts(intervals, MAX_INTERVALS_PER_EVENT);
      parts.forEach((slice, index) => {
        const { fields, idSuffix } = partOf(index, parts.length);
        const header = { batchId: submission.batchId, mpo: submission.mpo, groupId, periodLength: submission.periodLength, receivedAt, ...fields };
        measured.push(serializeTrustedEventSpliced(MeterIntervalsMeasured, header, measuredSeries(slice), { idParts: [submission.batchId, groupId, ...idSuffix], occurredAt: receivedAt, correlationId, key: groupId }));
      });
    }
    return { groups, manifests: batchManifestsOf(groups, this.segments !== undefined), measured };
  }
}

/** A batch's events share its digest, without 0x, as their correlation id. */
function correlationOf(submission: VerifiedSubmission): string {
  return submission.batchId.slice(2, 66);
}

/** What `process` answers: the batch written, an earlier copy's answer, or null for a lost race. */
type Processed = { answer: IntakeAnswer; events: EnqueuedEvent[] } | { stored: IntakeAnswer } | null;

interface BatchOutputs {
  readonly groups: ReadonlyMap<string, readonly AcceptedInterval[]>;
  readonly manifests: readonly BatchManifest[];
  readonly measured: readonly SerializedEvent[];
}

/**
 * What the service adds to the registry's rules: the signer must hold the MPO role (on chain)
 * for the group of every meter it submits for, and values older than the correction window
 * are refused. Tests of the pipeline alone run with OPEN_POLICY.
 */
export interface IntakePolicy {
  readonly correctionWindowMs?: number;
  mayActAsMpo(signer: string, groupId: string): boolean;
}

export const OPEN_POLICY: IntakePolicy = { mayActAsMpo: () => true };

/** One role lookup per group of the batch (not per value); any group without it refuses the batch. */
function refuseWithoutMpoRole(accepted: readonly AcceptedInterval[], signer: string, policy: IntakePolicy): void {
  const groups = new Set<string>();
  for (const value of accepted) groups.add(value.groupId);
  const missing = [...groups].filter((groupId) => !policy.mayActAsMpo(signer, groupId));
  if (missing.length === 0) return;
  throw new DomainError('forbidden', 'MISSING_ROLE', 'x-gl-signer', `${signer} does not hold the MPO role for group(s) ${missing.slice(0, 20).join(', ')} in the RoleRegistry; nothing was stored`);
}

/**
 * A batch already stored (same bytes, so the same id and nonce): its answer again, nothing
 * new; but only to the MPO that submitted it: anyone else sending the same bytes learns nothing.
 */
function replayOf(stored: IntakeAnswer, submission: VerifiedSubmission): IntakeOutcome {
  if (stored.mpo !== submission.mpo) {
    throw new DomainError('forbidden', 'NOT_OPERATED_BY_MPO', 'x-gl-signer', `this batch was submitted by another MPO; ${submission.mpo} may submit only its own meters`);
  }
  return { answer: stored, replayed: true, events: [] };
}

/** Any value for another MPO's meter refuses the whole batch: the signer must operate them all. */
function refuseForeign(foreign: readonly Rejection[]): void {
  if (foreign.length === 0) return;
  const listed = foreign.length > 1000 ? ' (the first 1,000 are listed)' : '';
  throw refusalListing('forbidden', 'NOT_OPERATED_BY_MPO', 'meterId', `${foreign.length} value(s) are for meters another MPO operates; the signer may submit only its own meters${listed}`, foreign.slice(0, 1000));
}

/**
 * The instants a submission's values fall on, for their partitions (register splits end at
 * the readings); a run of values on one instant yields it once (a yield a value cost more
 * than the partition check it feeds).
 */
function* instantsOf(submission: VerifiedSubmission): Generator<number> {
  let last = Number.NaN;
  // An index, not for…of: in a generator the array iterator's results were allocated, one a value.
  const { intervals } = submission;
  for (let i = 0; i < intervals.length; i += 1) {
    if (intervals[i].periodStartMs === last) continue;
    last = intervals[i].periodStartMs;
    yield last;
  }
  for (const reading of submission.readings) yield reading.readAtMs;
}

function* meterIdsOf(submission: VerifiedSubmission): Generator<string> {
  for (const value of submission.intervals) yield value.meterId;
  for (const reading of submission.readings) yield reading.meterId;
}

/**
 * The event's `series` as JSON text (measuredSeriesOf), with the sample the schema checks:
 * the values were validated field by field, so the whole array is not run through zod again.
 */
function measuredSeries(values: readonly AcceptedInterval[]) {
  const series = measuredSeriesOf(values);
  return { key: 'series', json: JSON.stringify(series), sample: sampledSeries(series) };
}

/** Splits accepted values into new ones and those already stored by an earlier batch. */
function separateStored(accepted: readonly AcceptedInterval[], stored: readonly { meterId: string; periodStartMs: number; energyWh: bigint; quality: string }[], rejections: Rejection[]) {
  if (stored.length === 0) return { fresh: accepted, duplicates: 0 };
  const byKey = new Map(stored.map((s) => [`${s.meterId}\u0000${s.periodStartMs}`, s]));
  const fresh: AcceptedInterval[] = [];
  let duplicates = 0;
  for (const value of accepted) {
    const existing = byKey.get(`${value.meterId}\u0000${value.periodStartMs}`);
    if (existing === undefined) fresh.push(value);
    else if (compareWithStored(value, existing) === 'same') duplicates += 1;
    else {
      rejections.push(
        rejection('CONFLICTING_DUPLICATE', value.meterId, value.path ?? `intervals[${value.index}]`, value.energyWh, `${formatInstant(value.periodStartMs)} is already stored as ${existing.energyWh} Wh (${existing.quality}); a different value for the same meter and period is a conflict`),
      );
    }
  }
  return { fresh, duplicates };
}

function groupByBalancingGroup(values: readonly AcceptedInterval[]): Map<string, AcceptedInterval[]> {
  const groups = new Map<string, AcceptedInterval[]>();
  for (const value of values) {
    const list = groups.get(value.groupId);
    if (list) list.push(value);
    else groups.set(value.groupId, [value]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
