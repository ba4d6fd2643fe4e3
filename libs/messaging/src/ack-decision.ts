/**
 * THE ack decision, in one place and pure. Every message a consumer receives ends in one of
 * these; the runner only carries them out.
 */
export type ProcessingOutcome =
  | { readonly kind: 'applied' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The database was unreachable: nothing is wrong with the event. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export type AckAction =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly delayMs: number }
  | { readonly kind: 'deadletter'; readonly reason: string };

export interface RedeliveryPolicy {
  /** Deliveries before a failing message is dead-lettered (>= 1). */
  readonly maxDeliver: number;
  /** Nak delays by delivery: the n-th failure waits backoffMs[n-1] (last entry repeats). */
  readonly backoffMs: readonly number[];
}

export const DEFAULT_REDELIVERY: RedeliveryPolicy = { maxDeliver: 5, backoffMs: [500, 2000, 10000, 30000] };

export function backoffDelay(deliveryCount: number, backoffMs: readonly number[]): number {
  if (backoffMs.length === 0) return 0;
  const index = Math.min(Math.max(deliveryCount, 1), backoffMs.length) - 1;
  return backoffMs[index];
}

/**
 * applied / duplicate → ack (the commit already happened); malformed or rejected (a
 * poison message: it will never succeed) → dead-letter then term; failed (transient) → nak
 * with backoff, until the deliveries are exhausted → dead-letter then term; database
 * unavailable → the runner holds the messages until Postgres answers (no delivery burnt).
 */
export function decideAck(outcome: ProcessingOutcome, deliveryCount: number, policy: RedeliveryPolicy): AckAction {
  switch (outcome.kind) {
    case 'applied':
    case 'duplicate':
      return { kind: 'ack' };
    case 'malformed':
      return { kind: 'deadletter', reason: `malformed: ${outcome.reason}` };
    case 'rejected':
      return { kind: 'deadletter', reason: `rejected: ${outcome.reason}` };
    case 'failed':
    case 'unavailable':
      // The runner holds a batch while the database is away; this applies only when a single
      // event's retry meets an outage. At the broker's bound a dead letter keeps the payload.
      if (deliveryCount >= policy.maxDeliver) {
        return { kind: 'deadletter', reason: `deliveries exhausted after ${deliveryCount}: ${outcome.reason}` };
      }
      return { kind: 'nak', delayMs: backoffDelay(deliveryCount, policy.backoffMs) };
    default: {
      const unreachable: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
