import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BalancingPeriodSettled, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { SettledHandler } from '../commits/settled.handler';

/** The committer's durable consumer: settled versions from balancing (summaries go to the finalizer). */
@Controller()
export class BridgeConsumers {
  constructor(private readonly settled: SettledHandler) {}

  /** `chain-bridge-settled`: each settled version becomes a commit to make. */
  @EventPattern(BalancingPeriodSettled.subjectFilter, streamConsumer({ consumer: 'settled', events: [BalancingPeriodSettled] }))
  settledVersion(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodSettled>>, @Ctx() ctx: StreamContext): Promise<void> {
    return this.settled.handle(event, ctx.em);
  }
}
