import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BalancingPeriodClosed, BalancingPeriodSettled, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { SettledHandler } from '../commits/settled.handler';
import { ClosedHandler } from '../finalization/closed.handler';

/** The durable consumers chain-bridge reads: settled versions and period summaries from balancing. */
@Controller()
export class BridgeConsumers {
  constructor(
    private readonly settled: SettledHandler,
    private readonly closed: ClosedHandler,
  ) {}

  /** `chain-bridge-settled`: each settled version becomes a commit to make. */
  @EventPattern(BalancingPeriodSettled.subjectFilter, streamConsumer({ consumer: 'settled', events: [BalancingPeriodSettled] }))
  settledVersion(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodSettled>>, @Ctx() ctx: StreamContext): Promise<void> {
    return this.settled.handle(event, ctx.em);
  }

  /** `chain-bridge-closed`: the newest market-wide summary of a period, for the TSO to finalize. */
  @EventPattern(BalancingPeriodClosed.subjectFilter, streamConsumer({ consumer: 'closed', events: [BalancingPeriodClosed] }))
  closedPeriod(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodClosed>>, @Ctx() ctx: StreamContext): Promise<void> {
    return this.closed.handle(event, ctx.em);
  }
}
