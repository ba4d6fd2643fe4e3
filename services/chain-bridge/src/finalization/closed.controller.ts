import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BalancingPeriodClosed, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { BridgeRuntime } from '../chain/bridge.runtime';

/** `chain-bridge-closed`: the newest market-wide summary of a period, then the chain worker is woken. */
@Controller()
export class ClosedController {
  constructor(private readonly bridge: BridgeRuntime) {}

  @EventPattern(BalancingPeriodClosed.subjectFilter, streamConsumer({ consumer: 'closed', events: [BalancingPeriodClosed] }))
  async closed(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodClosed>>, @Ctx() ctx: StreamContext): Promise<void> {
    await this.bridge.closed.handle(event, ctx.em);
    ctx.afterCommit(() => this.bridge.kick());
  }
}
