import type { EntityManager } from 'typeorm';
import { EventOf, MarketPricesPublished } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { DomainError, PeriodLength, parsePeriodId, priceProblem } from '@gridledger/domain';
import { markPeriodsDirty, recordRejection } from '../persistence/periods.repository';

type PricesEvent = ReceivedEvent<EventOf<typeof MarketPricesPublished>>;

/** The period's energy-only price; a later event replaces it, and a change marks the period dirty. */
export async function applyPrices(em: EntityManager, events: readonly PricesEvent[], periodLength: PeriodLength): Promise<void> {
  for (const event of events) {
    const { periodId, energyPricePerMWh } = event.envelope.data;
    // Beyond the one price bound every service keeps: poison (dead letter), nothing written.
    const problem = priceProblem(BigInt(energyPricePerMWh));
    if (problem) throw DomainError.invalid('energyPricePerMWh', problem, 'OUT_OF_RANGE');
    try {
      parsePeriodId(periodId, periodLength);
    } catch (error) {
      await recordRejection(em, event.subject, 'periodId', error instanceof Error ? error.message : String(error), event.envelope.id);
      continue;
    }
    const changed: unknown[] = await em.query(
      `INSERT INTO prices (period_id, energy_price_per_mwh, source_event_id) VALUES ($1, $2, $3)
       ON CONFLICT (period_id) DO UPDATE SET energy_price_per_mwh = EXCLUDED.energy_price_per_mwh, source_event_id = EXCLUDED.source_event_id
         WHERE prices.energy_price_per_mwh <> EXCLUDED.energy_price_per_mwh
       RETURNING period_id`,
      [periodId, energyPricePerMWh, event.envelope.id],
    );
    if (changed.length > 0) await markPeriodsDirty(em, [periodId], periodLength);
  }
}
