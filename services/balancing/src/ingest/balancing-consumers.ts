import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CapacityExchangeScheduled, ChainPeriodConfirmed, MarketPricesPublished, MeterIntervalsMeasured, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired } from '@gridledger/events';
import { STREAMS } from '@gridledger/messaging';
import { ConsumerHost, SERVICE_CONFIG } from '@gridledger/service-kit';
import { BalancingConfig } from '../config';
import { applyChainConfirmations } from './chain-confirmations.handler';
import { applyExchanges } from './exchanges.handler';
import { applyMeasuredIntervals } from './measured-intervals.handler';
import { applyMeterPoints } from './meter-points.handler';
import { applyPrices } from './prices.handler';

export interface ConsumerRef {
  readonly stream: string;
  readonly durable: string;
}

/** The durable consumers balancing reads, one filter each (NATS 2.9 takes one per consumer). */
export function balancingConsumerRefs(prefix: string): Record<'intervals' | 'points' | 'exchanges' | 'prices' | 'confirmations', ConsumerRef> {
  return {
    intervals: { stream: STREAMS.METER.name, durable: `${prefix}-intervals` },
    points: { stream: STREAMS.METER.name, durable: `${prefix}-points` },
    exchanges: { stream: STREAMS.CAPACITY.name, durable: `${prefix}-exchanges` },
    prices: { stream: STREAMS.MARKET.name, durable: `${prefix}-prices` },
    confirmations: { stream: STREAMS.CHAIN.name, durable: `${prefix}-confirmations` },
  };
}

@Injectable()
export class BalancingConsumers implements OnApplicationBootstrap {
  constructor(
    private readonly host: ConsumerHost,
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const refs = balancingConsumerRefs(this.config.BALANCING_CONSUMER_PREFIX);
    const deadline = this.config.BALANCING_GATE_DEADLINE_MS;
    const ackWaitMs = this.config.BALANCING_CONSUMER_ACK_WAIT_MS;
    // Registry first, so the expected meters are known when values arrive.
    await this.host.start({
      ...refs.points,
      ackWaitMs,
      events: [MeterPointsRegistered, MeterPointsChanged, MeterPointsRetired] as const,
      filterSubjects: ['meter.points.>'],
      handleBatch: (events, em) => applyMeterPoints(em, events),
    });
    await this.host.start({ ...refs.intervals, ackWaitMs, events: [MeterIntervalsMeasured] as const, batchSize: 20, handleBatch: (events, em) => applyMeasuredIntervals(em, events, deadline) });
    await this.host.start({ ...refs.exchanges, ackWaitMs, events: [CapacityExchangeScheduled] as const, handleBatch: (events, em) => applyExchanges(em, events, deadline) });
    await this.host.start({ ...refs.prices, ackWaitMs, events: [MarketPricesPublished] as const, handleBatch: (events, em) => applyPrices(em, events) });
    await this.host.start({ ...refs.confirmations, ackWaitMs, events: [ChainPeriodConfirmed] as const, handleBatch: (events, em) => applyChainConfirmations(em, events) });
  }
}
