import { DomainError } from '@gridledger/domain';
import { AckPolicy, nanos, type JsMsg } from 'nats';
import { MessageDeadLettered } from '@gridledger/events';
import { classifyFailure, deadLetterFor, durableConsumerSpecs, keepAliveEveryMs, supportsMultipleFilters } from '../src/consumer';
import { PoisonEventError } from '../src/errors';

const policy = { maxDeliver: 5, backoffMs: [500] };

describe('durableConsumerSpecs', () => {
  it('gives one durable with explicit acks, bounded deliveries and in-flight messages for one filter', () => {
    const [spec, ...rest] = durableConsumerSpecs({ durable: 'balancing-intervals', filters: ['meter.intervals.measured.*'], policy, batchSize: 20, ackWaitMs: 3000, serverVersion: '2.9.10' });
    expect(rest).toEqual([]);
    expect(spec.name).toBe('balancing-intervals');
    expect(spec.config).toMatchObject({ durable_name: 'balancing-intervals', filter_subject: 'meter.intervals.measured.*', ack_policy: AckPolicy.Explicit, max_deliver: 5, ack_wait: nanos(3000), max_ack_pending: 80 });
  });

  it('splits several filters into one durable each on NATS 2.9, and keeps one on 2.10+', () => {
    const input = { durable: 'd', filters: ['a.>', 'b.>'], policy, batchSize: 1, serverVersion: '2.9.10' };
    expect(durableConsumerSpecs(input).map((spec) => [spec.name, spec.config.filter_subject])).toEqual([
      ['d_0', 'a.>'],
      ['d_1', 'b.>'],
    ]);
    expect(durableConsumerSpecs({ ...input, serverVersion: '2.10.1' })).toEqual([expect.objectContaining({ name: 'd', config: expect.objectContaining({ filter_subjects: ['a.>', 'b.>'], max_ack_pending: 16 }) })]);
  });

  it('reads server versions', () => {
    expect([supportsMultipleFilters('2.9.25'), supportsMultipleFilters('2.10.0'), supportsMultipleFilters('3.0.0'), supportsMultipleFilters(undefined)]).toEqual([false, true, true, false]);
  });
});

describe('classifyFailure', () => {
  it('tells poison, an unreachable database and a passing failure apart', () => {
    expect(classifyFailure(new PoisonEventError('imbalanceWh: does not add up'))).toEqual({ kind: 'rejected', reason: 'imbalanceWh: does not add up' });
    expect(classifyFailure(DomainError.invalid('values[DE-1].energyWh', 'exceeds 10^18 Wh', 'ENERGY_OUT_OF_RANGE'))).toEqual({ kind: 'rejected', reason: 'ENERGY_OUT_OF_RANGE values[DE-1].energyWh: exceeds 10^18 Wh' });
    expect(classifyFailure(Object.assign(new Error('gone'), { code: 'ECONNREFUSED' }))).toEqual({ kind: 'unavailable', reason: 'gone' });
    expect(classifyFailure(new Error('deadlock detected'))).toEqual({ kind: 'failed', reason: 'deadlock detected' });
    expect(classifyFailure('plain string')).toEqual({ kind: 'failed', reason: 'plain string' });
  });
});

describe('deadLetterFor', () => {
  it('keeps the reason, where the message came from and its payload, with an id per delivery', () => {
    const msg = { data: new TextEncoder().encode('{"not":"valid"}'), info: { streamSequence: 42, redeliveryCount: 3 } } as unknown as JsMsg;
    const letter = deadLetterFor(msg, 'METER', 'balancing-intervals', 'meter.intervals.measured.G1', 'rejected: bad period', new Date('2026-03-29T01:00:00Z'));
    expect(MessageDeadLettered.parse(letter).data).toEqual({
      stream: 'METER',
      consumer: 'balancing-intervals',
      subject: 'meter.intervals.measured.G1',
      streamSequence: 42,
      deliveries: 3,
      reason: 'rejected: bad period',
      payloadBase64: Buffer.from('{"not":"valid"}').toString('base64'),
    });
    const again = deadLetterFor({ ...msg, info: { streamSequence: 42, redeliveryCount: 4 } } as unknown as JsMsg, 'METER', 'balancing-intervals', 'x', 'r', new Date());
    expect(again.id).not.toBe(letter.id);
  });
});

describe('keepAliveEveryMs', () => {
  it('is a third of ack_wait, at least a second', () => {
    expect([keepAliveEveryMs(60_000), keepAliveEveryMs(1500), keepAliveEveryMs()]).toEqual([20_000, 1000, 20_000]);
  });
});
