import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { MarketPricesPublished, MeterIntervalsMeasured, type EventOf } from '@gridledger/events';
import { streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import { InjectConfig } from '@gridledger/service-kit';
import type { CapacityMarketConfig } from '../config';
import { applyMeterIntervals } from './meter-values.handler';
import { applyPrices } from './prices.handler';

const redelivery = { maxDeliver: 10, backoffMs: [500, 2000, 10_000] };

/** Durable consumers: meter values (all groups) and energy prices, inbox + handler in one transaction. */
@Controller()
export class IngestConsumers {
  constructor(@InjectConfig() private readonly config: CapacityMarketConfig) {}

  @EventPattern(MeterIntervalsMeasured.subjectFilter, streamConsumer({ consumer: 'intervals', events: [MeterIntervalsMeasured], batch: true, batchSize: 100, redelivery }))
  meterIntervals(@Payload() events: readonly ReceivedEvent<EventOf<typeof MeterIntervalsMeasured>>[], @Ctx() ctx: StreamContext): Promise<void> {
    return applyMeterIntervals(ctx.em, events, this.config.CAPACITY_PERIOD_LENGTH);
  }

  @EventPattern(MarketPricesPublished.subjectFilter, streamConsumer({ consumer: 'prices', events: [MarketPricesPublished], batch: true, redelivery }))
  prices(@Payload() events: readonly ReceivedEvent<EventOf<typeof MarketPricesPublished>>[], @Ctx() ctx: StreamContext): Promise<void> {
    return applyPrices(ctx.em, events, this.config.CAPACITY_PERIOD_LENGTH);
  }
}
