import { durableName, natsRequest, requestOptionsOf, streamConsumer, streamConsumerOf, streamOfSubject, subjectWithin } from '../src/nest/stream-handler';

describe('streamOfSubject', () => {
  it('finds the stream that stores a handler pattern', () => {
    expect(streamOfSubject('meter.intervals.measured.*').name).toBe('METER');
    expect(streamOfSubject('meter.points.>').name).toBe('METER');
    expect(streamOfSubject('balancing.period.closed').name).toBe('BALANCING');
    expect(streamOfSubject('platform.message.deadlettered.*').name).toBe('DEADLETTER');
  });

  it('refuses a pattern no stream stores', () => {
    expect(() => streamOfSubject('rpc.meter.readings.submit')).toThrow('no stream stores "rpc.meter.readings.submit"');
    expect(() => streamOfSubject('>')).toThrow();
  });
});

describe('subjectWithin', () => {
  it.each([
    ['meter.a.b', 'meter.>', true],
    ['meter', 'meter.>', false],
    ['meter.*.b', 'meter.*.b', true],
    ['meter.>', 'meter.*', false],
    ['meter.a', 'meter.*', true],
    ['meter.a.b', 'meter.*', false],
    ['market.a', 'meter.>', false],
  ])('%s within %s: %s', (filter, wider, expected) => {
    expect(subjectWithin(filter, wider)).toBe(expected);
  });
});

describe('handler extras', () => {
  it('carry the consumer and request options, and read back absent as absent', () => {
    const extras = streamConsumer({ consumer: 'intervals', events: [], batch: true });
    expect(streamConsumerOf(extras)).toEqual({ consumer: 'intervals', events: [], batch: true });
    expect(streamConsumerOf({})).toBeUndefined();
    expect(requestOptionsOf(natsRequest({ queue: 'q', raw: true }))).toEqual({ queue: 'q', raw: true });
    expect(requestOptionsOf(undefined)).toEqual({});
  });

  it('names durables as today: <prefix>-<consumer>', () => {
    expect(durableName('balancing', 'intervals')).toBe('balancing-intervals');
    expect(durableName('chain-bridge', 'settled')).toBe('chain-bridge-settled');
  });
});
