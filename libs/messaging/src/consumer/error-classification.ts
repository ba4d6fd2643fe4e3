import type { ProcessingOutcome } from '../ack-decision';
import { DomainError } from '@gridledger/domain';
import { PoisonEventError } from '../errors';

/** Connection-class failures: Postgres is away, not the event that is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown })?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown })?.code;
    if (typeof code === 'string') {
      if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is not open|is not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/i.test(message);
}

/**
 * What a handler's (or its transaction's) throw means for the message: a PoisonEventError
 * or a DomainError (the rules refused the event's content, and will again) will never
 * succeed (rejected, dead-lettered naming code and field); an unreachable database is nobody's fault (unavailable);
 * anything else may pass (failed, retried with backoff).
 */
export function classifyFailure(error: unknown): Exclude<ProcessingOutcome, { kind: 'applied' | 'duplicate' | 'malformed' }> {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof PoisonEventError) return { kind: 'rejected', reason };
  if (error instanceof DomainError) return { kind: 'rejected', reason: `${error.code} ${error.field}: ${error.reason}` };
  return isDatabaseUnavailable(error) ? { kind: 'unavailable', reason } : { kind: 'failed', reason };
}
