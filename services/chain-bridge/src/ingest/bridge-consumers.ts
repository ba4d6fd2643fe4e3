import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { BalancingPeriodClosed, BalancingPeriodSettled } from '@gridledger/events';
import { STREAMS } from '@gridledger/messaging';
import { ConsumerHost } from '@gridledger/service-kit';
import { SettledHandler } from '../commits/settled.handler';
import { ClosedHandler } from '../finalization/closed.handler';

/** The durable consumers chain-bridge reads: settled versions and period summaries from balancing. */
@Injectable()
export class BridgeConsumers implements OnApplicationBootstrap {
  constructor(
    private readonly host: ConsumerHost,
    private readonly settled: SettledHandler,
    private readonly closed: ClosedHandler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.host.start({
      stream: STREAMS.BALANCING.name,
      durable: 'chain-bridge-settled',
      events: [BalancingPeriodSettled],
      handle: (event, em) => this.settled.handle(event, em),
    });
    await this.host.start({
      stream: STREAMS.BALANCING.name,
      durable: 'chain-bridge-closed',
      events: [BalancingPeriodClosed],
      handle: (event, em) => this.closed.handle(event, em),
    });
  }
}
