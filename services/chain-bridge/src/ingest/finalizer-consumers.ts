import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BalancingPeriodClosed, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { ClosedHandler } from '../finalization/closed.handler';

/** The finalizer's one durable consumer: balancing's period summaries. */
@Controller()
export class FinalizerConsumers {
  constructor(private readonly closed: ClosedHandler) {}

  /** `chain-finalizer-closed`: the newest market-wide summary of a period, for the TSO to finalize. */
  @EventPattern(BalancingPeriodClosed.subjectFilter, streamConsumer({ consumer: 'closed', events: [BalancingPeriodClosed] }))
  closedPeriod(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodClosed>>, @Ctx() ctx: StreamContext): Promise<void> {
    return this.closed.handle(event, ctx.em);
  }
}
