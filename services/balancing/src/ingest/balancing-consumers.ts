import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CapacityExchangeScheduled, ChainPeriodConfirmed, MarketPricesPublished, MeterIntervalsMeasured, MeterManifestUpdated, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired, type EventOf } from '@gridledger/events';
import { STREAMS, durableName, streamConsumer, type ReceivedEvent, type StreamContext } from '@gridledger/messaging';
import type { Clock } from '@gridledger/domain';
import { CLOCK, SERVICE_CONFIG } from '@gridledger/service-kit';
import { BalancingConfig, inputWindowAt } from '../config';
import { applyChainConfirmations } from './chain-confirmations.handler';
import { applyExchanges } from './exchanges.handler';
import { applyManifests } from './manifests.handler';
import { applyMeasuredIntervals } from './measured-intervals.handler';
import { applyMeterPoints } from './meter-points.handler';
import { applyPrices } from './prices.handler';

export interface ConsumerRef {
  readonly stream: string;
  readonly durable: string;
}

/** The durable consumers balancing reads (`<BALANCING_CONSUMER_PREFIX>-<name>`), one filter each (NATS 2.9 takes one per consumer). */
export function balancingConsumerRefs(prefix: string): Record<'intervals' | 'manifests' | 'points' | 'exchanges' | 'prices' | 'confirmations', ConsumerRef> {
  return {
    intervals: { stream: STREAMS.METER.name, durable: durableName(prefix, 'intervals') },
    manifests: { stream: STREAMS.METER.name, durable: durableName(prefix, 'manifests') },
    points: { stream: STREAMS.METER.name, durable: durableName(prefix, 'points') },
    exchanges: { stream: STREAMS.CAPACITY.name, durable: durableName(prefix, 'exchanges') },
    prices: { stream: STREAMS.MARKET.name, durable: durableName(prefix, 'prices') },
    confirmations: { stream: STREAMS.CHAIN.name, durable: durableName(prefix, 'confirmations') },
  };
}

type Received<D> = readonly ReceivedEvent<EventOf<D>>[];
type PointsEvents = readonly ReceivedEvent<EventOf<typeof MeterPointsRegistered> | EventOf<typeof MeterPointsChanged> | EventOf<typeof MeterPointsRetired>>[];

/** balancing's stream handlers: each batch is applied in the consumer's inbox transaction (`ctx.em`). */
@Controller()
export class BalancingStreamsController {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The registry: which meters balancing expects in which group and period. */
  @EventPattern('meter.points.>', streamConsumer({ consumer: 'points', events: [MeterPointsRegistered, MeterPointsChanged, MeterPointsRetired], batch: true }))
  meterPoints(@Payload() events: PointsEvents, @Ctx() ctx: StreamContext): Promise<void> {
    return applyMeterPoints(ctx.em, events, this.config.BALANCING_GATE_DEADLINE_MS);
  }

  @EventPattern(MeterIntervalsMeasured.subjectFilter, streamConsumer({ consumer: 'intervals', events: [MeterIntervalsMeasured], batch: true, batchSize: 20 }))
  measuredIntervals(@Payload() events: Received<typeof MeterIntervalsMeasured>, @Ctx() ctx: StreamContext): Promise<void> {
    return applyMeasuredIntervals(ctx.em, events, this.config.BALANCING_GATE_DEADLINE_MS);
  }

  /** What meter-ingest accepted per group-period: balancing settles once its own values match. */
  @EventPattern(MeterManifestUpdated.subjectFilter, streamConsumer({ consumer: 'manifests', events: [MeterManifestUpdated], batch: true }))
  manifests(@Payload() events: Received<typeof MeterManifestUpdated>, @Ctx() ctx: StreamContext): Promise<void> {
    return applyManifests(ctx.em, events, this.config.BALANCING_GATE_DEADLINE_MS, this.clock.now());
  }

  @EventPattern(CapacityExchangeScheduled.subjectFilter, streamConsumer({ consumer: 'exchanges', events: [CapacityExchangeScheduled], batch: true }))
  exchanges(@Payload() events: Received<typeof CapacityExchangeScheduled>, @Ctx() ctx: StreamContext): Promise<void> {
    return applyExchanges(ctx.em, events, this.config.BALANCING_GATE_DEADLINE_MS, inputWindowAt(this.config, this.clock.now().getTime()));
  }

  @EventPattern(MarketPricesPublished.subjectFilter, streamConsumer({ consumer: 'prices', events: [MarketPricesPublished], batch: true }))
  prices(@Payload() events: Received<typeof MarketPricesPublished>, @Ctx() ctx: StreamContext): Promise<void> {
    return applyPrices(ctx.em, events, inputWindowAt(this.config, this.clock.now().getTime()));
  }

  @EventPattern(ChainPeriodConfirmed.subjectFilter, streamConsumer({ consumer: 'confirmations', events: [ChainPeriodConfirmed], batch: true }))
  confirmations(@Payload() events: Received<typeof ChainPeriodConfirmed>, @Ctx() ctx: StreamContext): Promise<void> {
    return applyChainConfirmations(ctx.em, events);
  }
}
