import { z } from 'zod';
import { periodIdString } from './wire';

/**
 * The reconciler (balancing, docs/integrity.md) asks each service for its view of a range of
 * periods over core NATS requests (under `rpc.`). Answers are capped at
 * RECONCILIATION_VIEW_LIMIT rows (`truncated: true` beyond).
 */
export const METER_MANIFESTS_VIEW_SUBJECT = 'meter-ingest.manifests.view';
export const CAPACITY_RECONCILIATION_VIEW_SUBJECT = 'capacity-market.reconciliation.view';
export const CHAIN_RECONCILIATION_VIEW_SUBJECT = 'chain-bridge.reconciliation.view';
export const RECONCILIATION_VIEW_LIMIT = 10_000;

/** Periods from `fromPeriod` (inclusive) to `toPeriod` (exclusive). */
export const reconciliationViewRequestSchema = z.object({ fromPeriod: periodIdString, toPeriod: periodIdString }).strict();
export type ReconciliationViewRequest = z.infer<typeof reconciliationViewRequestSchema>;

/** The `{ error }` answer to a request that does not parse. */
export function viewRequestError(error: z.ZodError): { error: string } {
  return { error: error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ') };
}
