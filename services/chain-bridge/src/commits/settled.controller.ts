import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BalancingPeriodSettled, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { BridgeRuntime } from '../chain/bridge.runtime';

/** `chain-bridge-settled`: each settled version becomes a commit to make, then the chain worker is woken. */
@Controller()
export class SettledController {
  constructor(private readonly bridge: BridgeRuntime) {}

  @EventPattern(BalancingPeriodSettled.subjectFilter, streamConsumer({ consumer: 'settled', events: [BalancingPeriodSettled] }))
  async settled(@Payload() event: ReceivedEvent<EventOf<typeof BalancingPeriodSettled>>, @Ctx() ctx: StreamContext): Promise<void> {
    await this.bridge.settled.handle(event, ctx.em);
    ctx.afterCommit(() => this.bridge.kick());
  }
}
