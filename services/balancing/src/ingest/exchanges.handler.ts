import type { EntityManager } from 'typeorm';
import { CapacityExchangeScheduled, EventOf } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import type { InputWindow } from '@gridledger/settlement';
import { recordSchedule } from './schedules';

type ExchangeEvent = ReceivedEvent<EventOf<typeof CapacityExchangeScheduled>>;

/** Capacity allocations across groups arrive as schedules; the highest version per pair counts. */
export async function applyExchanges(em: EntityManager, events: readonly ExchangeEvent[], gateDeadlineAfterEndMs: number, window: InputWindow & { readonly nowMs: number }): Promise<void> {
  for (const event of events) {
    const { periodId, periodLength, version, fromGroup, toGroup, energyWh } = event.envelope.data;
    await recordSchedule(em, { scheduleId: `capacity:${periodId}:${fromGroup}:${toGroup}`, periodId, fromGroup, toGroup, energyWh: BigInt(energyWh) }, version, periodLength, gateDeadlineAfterEndMs, window);
  }
}
