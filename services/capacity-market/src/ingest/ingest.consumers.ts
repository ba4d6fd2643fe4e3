import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MarketPricesPublished, MeterIntervalsMeasured } from '@gridledger/events';
import { STREAMS } from '@gridledger/messaging';
import { ConsumerHost, InjectConfig } from '@gridledger/service-kit';
import type { CapacityMarketConfig } from '../config';
import { applyMeterIntervals } from './meter-values.handler';
import { applyPrices } from './prices.handler';

/** Durable consumers: meter values (all groups) and energy prices, inbox + handler in one transaction. */
@Injectable()
export class IngestConsumers implements OnApplicationBootstrap {
  constructor(
    private readonly consumers: ConsumerHost,
    @InjectConfig() private readonly config: CapacityMarketConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const periodLength = this.config.CAPACITY_PERIOD_LENGTH;
    await this.consumers.start({
      stream: STREAMS.METER.name,
      durable: 'capacity-market-intervals',
      events: [MeterIntervalsMeasured],
      batchSize: 100,
      redelivery: { maxDeliver: 10, backoffMs: [500, 2000, 10_000] },
      handleBatch: (events, em) => applyMeterIntervals(em, events, periodLength),
    });
    await this.consumers.start({
      stream: STREAMS.MARKET.name,
      durable: 'capacity-market-prices',
      events: [MarketPricesPublished],
      redelivery: { maxDeliver: 10, backoffMs: [500, 2000, 10_000] },
      handleBatch: (events, em) => applyPrices(em, events, periodLength),
    });
  }
}
