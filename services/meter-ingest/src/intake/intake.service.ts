import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { publishCommitted, type MessagingClient } from '@gridledger/messaging';
import { DomainError, type Clock } from '@gridledger/domain';
import type { VerifiedRequest } from '@gridledger/auth';
import { AuthService, DATA_SOURCE, InjectClock, LOGGER, MESSAGING, PollingLoop, SERVICE_CONFIG, statusOf } from '@gridledger/service-kit';
import { counter, histogram, withSpan, type JsonLogger } from '@gridledger/telemetry';
import type { MeterIngestConfig } from '../config';
import { IntakePipeline, type IntakeOutcome } from './intake.pipeline';
import { ManifestSegments } from '../manifests/manifest-segments';
import { verifyJsonSubmission } from './json-submission';
import { verifyMsconsSubmission, type MsconsUpload } from './mscons-submission';
import { type IntakeAnswer, type IntakeSource, type SignedBatch, type VerifiedSubmission } from './intake.types';

type Outcome = { answer: IntakeAnswer; replayed: boolean };

/**
 * The doors (JSON, MSCONS) in front of the one pipeline, traced (one span per batch; the
 * outbox rows carry its context, so the trace follows the batch across NATS) and counted.
 */
/** Value partitions are created this many days ahead, checked every six hours (docs/partitions.md). */
const PARTITION_DAYS_AHEAD = 7;
const PARTITION_CHECK_MS = 6 * 3_600_000;

@Injectable()
export class IntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly pipeline: IntakePipeline;
  private readonly limits: { maxEntries: number };
  private readonly partitionLoop: PollingLoop;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) config: MeterIngestConfig,
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @InjectClock() clock: Clock,
    private readonly auth: AuthService,
    @Inject(ManifestSegments) segments: ManifestSegments,
  ) {
    // The service publishes its batches' events itself right after commit (the relay is the
    // fallback), so the relay is not woken for them.
    this.pipeline = new IntakePipeline(dataSource, clock, false, {
      correctionWindowMs: config.METER_INGEST_CORRECTION_WINDOW_MS,
      mayActAsMpo: (signer, groupId) => auth.roles.has('MPO', groupId, signer),
    }, segments);
    this.limits = { maxEntries: config.METER_INGEST_MAX_BATCH_ENTRIES };
    const partitionsFailed = (error: unknown) => this.logger.warn(`creating value partitions ahead failed: ${error instanceof Error ? error.message : String(error)}`, 'IntakeService');
    this.partitionLoop = new PollingLoop(PARTITION_CHECK_MS, () => this.pipeline.partitionsAhead(PARTITION_DAYS_AHEAD), partitionsFailed);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.pipeline.partitionsAhead(PARTITION_DAYS_AHEAD);
    this.partitionLoop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.partitionLoop.stop();
  }

  /** `signed`: the batch's signed request, verified over `raw` (nonce = body digest). */
  submitJson(raw: Buffer, source: IntakeSource, signed: VerifiedRequest, request: { method: string; path: string }): Promise<Outcome> {
    return this.run('readings-json', source, () => verifyJsonSubmission(raw, source, this.limits, this.signedBatch(signed, request)));
  }

  submitMscons(upload: MsconsUpload, source: IntakeSource, signed: VerifiedRequest, request: { method: string; path: string }): Promise<Outcome> {
    return this.run('mscons', source, () => verifyMsconsSubmission(upload, source, this.limits, this.signedBatch(signed, request)));
  }

  private signedBatch(signed: VerifiedRequest, request: { method: string; path: string }): SignedBatch {
    const { chainId, verifyingContract } = this.auth.environment;
    return {
      signer: signed.signer,
      bodySha256: signed.bodySha256,
      signature: signed.signature,
      request: { method: request.method.toUpperCase(), path: request.path, nonce: signed.nonce, expiry: String(signed.expiresAtMs / 1000), chainId: String(chainId), verifyingContract },
    };
  }

  private run(format: string, source: IntakeSource, verify: () => VerifiedSubmission): Promise<Outcome> {
    const started = process.hrtime.bigint();
    return withSpan(`intake ${format}`, { attributes: { 'gridledger.intake.format': format, 'gridledger.intake.source': source } }, async (span) => {
      let outcome: Outcome;
      let events: IntakeOutcome['events'];
      let batchId = '';
      try {
        const submission = verify();
        batchId = submission.batchId;
        span.setAttribute('gridledger.batch.id', submission.batchId);
        span.setAttribute('gridledger.batch.entries', submission.entryCount);
        ({ events, ...outcome } = await this.pipeline.submit(submission));
      } catch (error) {
        // Refused submissions write nothing; they are counted, and logged at debug level
        // (a flood of hostile requests must not flood the logs as well).
        if (error instanceof DomainError) {
          const status = statusOf(error);
          counter('gridledger_intake_refusals_total', 'Submissions refused whole, by status and code').add(1, { status: String(status), code: error.code, source });
          this.logger.debug(`refused ${format} from ${source}: ${status} ${error.code} ${error.field}: ${error.reason.slice(0, 200)}`, 'IntakeService');
        }
        throw error;
      }
      // After commit, and not awaited: the MPO's answer does not wait for NATS.
      publishCommitted(this.messaging, this.dataSource, events).catch((error: unknown) =>
        this.logger.warn(`publishing batch ${batchId} at once failed, the outbox relay will: ${error instanceof Error ? error.message : String(error)}`, 'IntakeService'),
      );
      const values = counter('gridledger_intake_values_total', 'Values received by meter-ingest, by outcome');
      if (!outcome.replayed) {
        values.add(outcome.answer.accepted, { outcome: 'accepted', source });
        values.add(outcome.answer.duplicates, { outcome: 'duplicate', source });
        values.add(outcome.answer.rejected, { outcome: 'rejected', source });
      }
      histogram('gridledger_intake_batch_seconds', 'Time from receipt to commit of one batch', 's').record(Number(process.hrtime.bigint() - started) / 1e9, { format, replayed: String(outcome.replayed) });
      return outcome;
    });
  }
}
