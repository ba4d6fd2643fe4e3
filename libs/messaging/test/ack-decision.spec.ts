import { backoffDelay, decideAck, type RedeliveryPolicy } from '../src/ack-decision';

const policy: RedeliveryPolicy = { maxDeliver: 4, backoffMs: [100, 1000, 5000] };

describe('backoffDelay', () => {
  it('waits the n-th entry after the n-th delivery and repeats the last one', () => {
    expect([1, 2, 3, 4, 10].map((delivery) => backoffDelay(delivery, policy.backoffMs))).toEqual([100, 1000, 5000, 5000, 5000]);
  });
  it('retries at once without a schedule', () => {
    expect(backoffDelay(3, [])).toBe(0);
  });
});

describe('decideAck: the one place that decides a message’s fate', () => {
  it('acks what was applied and what the inbox already had', () => {
    expect(decideAck({ kind: 'applied' }, 1, policy)).toEqual({ kind: 'ack' });
    expect(decideAck({ kind: 'duplicate' }, 3, policy)).toEqual({ kind: 'ack' });
  });
  it('dead-letters malformed and rejected messages on the first delivery, with the reason', () => {
    expect(decideAck({ kind: 'malformed', reason: 'not JSON' }, 1, policy)).toEqual({ kind: 'deadletter', reason: 'malformed: not JSON' });
    expect(decideAck({ kind: 'rejected', reason: 'unknown meter' }, 1, policy)).toEqual({ kind: 'deadletter', reason: 'rejected: unknown meter' });
  });
  it('naks transient failures with backoff until the deliveries are exhausted', () => {
    const failed = { kind: 'failed', reason: 'connection reset' } as const;
    expect(decideAck(failed, 1, policy)).toEqual({ kind: 'nak', delayMs: 100 });
    expect(decideAck(failed, 3, policy)).toEqual({ kind: 'nak', delayMs: 5000 });
    expect(decideAck(failed, 4, policy)).toEqual({ kind: 'deadletter', reason: 'deliveries exhausted after 4: connection reset' });
  });
  it('treats an unreachable database like a transient failure, bounded the same way', () => {
    const away = { kind: 'unavailable', reason: 'Connection terminated' } as const;
    expect(decideAck(away, 1, policy)).toEqual({ kind: 'nak', delayMs: 100 });
    expect(decideAck(away, 4, policy)).toEqual({ kind: 'deadletter', reason: 'deliveries exhausted after 4: Connection terminated' });
  });
});
