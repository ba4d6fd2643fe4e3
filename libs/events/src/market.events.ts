import { z } from 'zod';
import { defineEvent } from './define-event';
import { minorUnitsString, periodIdString } from './wire';

/**
 * Prices of one settlement period, set by the market operator (TSO tools). Both are in
 * minor units (euro cents) per MWh as decimal strings of integers: "12345" = 123.45 €/MWh.
 * The imbalance price is symmetric (one price for long and short). A later event for the
 * same period replaces the earlier prices; consumers keep the last one they received.
 */
export const MarketPricesPublished = defineEvent({
  type: 'market.prices.published',
  schemaVersion: 1,
  domain: 'market',
  entity: 'prices',
  pastTense: 'published',
  keyed: false,
  schema: z
    .object({
      periodId: periodIdString,
      imbalancePricePerMWh: minorUnitsString,
      energyPricePerMWh: minorUnitsString,
    })
    .strict(),
});
