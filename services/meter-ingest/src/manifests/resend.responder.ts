import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { parsePeriodId } from '@gridledger/domain';
import { METER_MANIFESTS_VIEW_SUBJECT, METER_RESEND_SUBJECT, RECONCILIATION_VIEW_LIMIT, meterResendRequestSchema, reconciliationViewRequestSchema, viewRequestError } from '@gridledger/events';
import { natsRequest, replayOutbox, type MessagingClient } from '@gridledger/messaging';
import { DATA_SOURCE, MESSAGING } from '@gridledger/service-kit';
import { ManifestsRepository } from '../persistence/manifests.repository';

/**
 * `meter-ingest.manifests.view`: the manifests published for a range of periods (the
 * reconciler compares them with what balancing holds).
 *
 * `meter-ingest.intervals.resend`: a receiver whose values of a group-period do not match
 * the manifest asks for them again. The measured events that carried them, and the latest
 * manifest, are re-published from the outbox (outbox replay, by event id): Postgres is the
 * system of record, JetStream only the transport.
 */
@Controller()
export class ResendResponder {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    private readonly manifests: ManifestsRepository,
  ) {}

  @MessagePattern(METER_RESEND_SUBJECT, natsRequest({ queue: 'meter-ingest' }))
  async resend(@Payload() body: unknown): Promise<{ replayed: number } | { error: string }> {
    const parsed = meterResendRequestSchema.safeParse(body);
    if (!parsed.success) return { error: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ') };
    const { groupId, periodId, replayId } = parsed.data;
    let periodStart: Date;
    try {
      periodStart = new Date(parsePeriodId(periodId, 'PT15M'));
    } catch (error) {
      return { error: `periodId: ${error instanceof Error ? error.message : String(error)}` };
    }
    const em = this.dataSource.manager;
    const eventIds = await this.manifests.measuredEventIds(em, groupId, periodStart);
    const latest = await this.manifests.latest(em, groupId, periodStart);
    if (latest) eventIds.push(latest.eventId);
    if (eventIds.length === 0) return { replayed: 0 };
    return { replayed: await replayOutbox(this.dataSource, this.messaging, { replayId, eventIds }) };
  }

  /** The reconciler's view: every manifest meter-ingest published for a range of periods. */
  @MessagePattern(METER_MANIFESTS_VIEW_SUBJECT, natsRequest({ queue: 'meter-ingest' }))
  async view(@Payload() body: unknown): Promise<{ manifests: unknown[]; truncated: boolean } | { error: string }> {
    const parsed = reconciliationViewRequestSchema.safeParse(body);
    if (!parsed.success) return viewRequestError(parsed.error);
    const rows = await this.manifests.ofPeriods(this.dataSource.manager, new Date(parsed.data.fromPeriod), new Date(parsed.data.toPeriod), RECONCILIATION_VIEW_LIMIT + 1);
    return { manifests: rows.slice(0, RECONCILIATION_VIEW_LIMIT), truncated: rows.length > RECONCILIATION_VIEW_LIMIT };
  }
}
