import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BalancingPeriodSettled, type EventOf } from '@gridledger/events';
import { PoisonEventError, type ReceivedEvent } from '@gridledger/messaging';
import { periodStartSeconds } from '@gridledger/contracts';
import { injectTraceContext, recordCarrier } from '@gridledger/telemetry';
import { BridgeAlarms } from '../chain/bridge-alarms';
import { INPUTS_NOT_ATTESTED } from '../chain/cascade.client';
import { WorkerWakeup } from '../chain/worker-wakeup';
import { PeriodCommitRepository, raiseAlarm } from './period-commit.repository';

export interface AlarmSink {
  alarm(kind: string, message: string): void;
}

/**
 * Records each settled version as a commit to make (in the consumer's inbox transaction);
 * the chain worker takes it from there. A version that does not balance is poison: the
 * contract would refuse it, so it is dead-lettered with the reason instead of retried.
 * The chain worker is woken when the transaction commits (WorkerWakeup).
 */
@Injectable()
export class SettledHandler {
  constructor(
    private readonly commits: PeriodCommitRepository,
    @Inject(BridgeAlarms) private readonly alarms: AlarmSink,
    private readonly wakeup: WorkerWakeup,
  ) {}

  async handle(event: ReceivedEvent<EventOf<typeof BalancingPeriodSettled>>, em: EntityManager): Promise<void> {
    const data = event.envelope.data;
    const totals = {
      feedInWh: BigInt(data.feedInWh),
      feedOutWh: BigInt(data.feedOutWh),
      scheduleNetWh: BigInt(data.scheduleNetWh),
      imbalanceWh: BigInt(data.imbalanceWh),
    };
    if (totals.feedInWh < 0n || totals.feedOutWh < 0n) {
      throw new PoisonEventError(`feedInWh/feedOutWh: must not be negative (group ${data.groupId}, period ${data.periodId}, version ${data.version})`);
    }
    const computed = totals.feedInWh - totals.feedOutWh - totals.scheduleNetWh;
    if (computed !== totals.imbalanceWh) {
      throw new PoisonEventError(
        `imbalanceWh: ${data.imbalanceWh} but feedInWh − feedOutWh − scheduleNetWh = ${computed} (group ${data.groupId}, period ${data.periodId}, version ${data.version})`,
      );
    }
    if (/^0x0{64}$/.test(data.merkleRoot)) throw new PoisonEventError(`merkleRoot: must not be zero (group ${data.groupId}, period ${data.periodId})`);
    const trace = recordCarrier();
    injectTraceContext(trace, event.traceContext);
    const result = await this.commits.insert(em, {
      groupId: data.groupId,
      periodId: data.periodId,
      version: data.version,
      periodStart: periodStartSeconds(data.periodId),
      totals,
      merkleRoot: data.merkleRoot,
      meterCount: data.meterCount,
      inputsDigest: data.inputsDigest ?? INPUTS_NOT_ATTESTED,
      source: { eventId: event.envelope.id, subject: event.subject, sequence: event.streamSequence, payload: JSON.stringify(event.envelope) },
      traceHeaders: trace.record,
    });
    if (!result.inserted && result.storedRoot !== data.merkleRoot) {
      // Balancing never changes a published version: two roots for one version is an alarm.
      const detail = `settled event ${event.envelope.id} carries root ${data.merkleRoot} for a version already received with root ${result.storedRoot}`;
      await raiseAlarm(em, { kind: 'event-root-conflict', groupId: data.groupId, periodId: data.periodId, version: data.version, detail });
      this.alarms.alarm('event-root-conflict', `${data.groupId} ${data.periodId} v${data.version}: ${detail}`);
    }
    await this.wakeup.requestRound(em);
  }
}
