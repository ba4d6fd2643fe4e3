import type { EntityManager } from 'typeorm';
import { EventOf, MarketPricesPublished } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { InputWindow, assertPeriodWindow, assertPrice } from '@gridledger/settlement';
import { markPeriodRepriced, upsertPrices } from '../persistence/prices.repository';

type PricesEvent = ReceivedEvent<EventOf<typeof MarketPricesPublished>>;

type Window = InputWindow & { readonly nowMs: number };

/** Prices beyond the domain limits or outside the input window are refused (API 400, stream dead-letter) before anything is written. */
export async function recordPrices(em: EntityManager, periodId: string, imbalancePricePerMWh: bigint, energyPricePerMWh: bigint | null, window: Window): Promise<void> {
  assertPeriodWindow(periodId, 'PT15M', window.nowMs, window);
  assertPrice(imbalancePricePerMWh, 'imbalancePricePerMWh');
  if (energyPricePerMWh !== null) assertPrice(energyPricePerMWh, 'energyPricePerMWh');
  const changed = await upsertPrices(em, periodId, imbalancePricePerMWh, energyPricePerMWh);
  if (changed) await markPeriodRepriced(em, periodId);
}

export async function applyPrices(em: EntityManager, events: readonly PricesEvent[], window: Window): Promise<void> {
  for (const event of events) {
    const { periodId, imbalancePricePerMWh, energyPricePerMWh } = event.envelope.data;
    await recordPrices(em, periodId, BigInt(imbalancePricePerMWh), BigInt(energyPricePerMWh), window);
  }
}
