import { Namespace } from '../src/namespace';
import { STREAMS, rpcSubject, streamConfig } from '../src/streams';

describe('Namespace', () => {
  it('prefixes subjects and suffixes stream names', () => {
    const ns = new Namespace('t1a2b');
    expect(ns.subject('meter.intervals.measured.g1')).toBe('t1a2b.meter.intervals.measured.g1');
    expect(ns.unprefix('t1a2b.meter.intervals.measured.g1')).toBe('meter.intervals.measured.g1');
    expect(ns.stream('METER')).toBe('METER_t1a2b');
  });
  it('is the identity without a namespace (production)', () => {
    for (const ns of [new Namespace(undefined), new Namespace('')]) {
      expect(ns.subject('chain.period.confirmed')).toBe('chain.period.confirmed');
      expect(ns.stream('CHAIN')).toBe('CHAIN');
    }
  });
  it('refuses a namespace that would break subjects', () => {
    expect(() => new Namespace('a.b')).toThrow(/NATS namespace "a.b" must match/);
  });
});

describe('stream declarations', () => {
  it('uses limits retention, file storage and a duplicate window, namespaced for tests', () => {
    const config = streamConfig(STREAMS.METER, new Namespace('tx'));
    expect(config).toMatchObject({ name: 'METER_tx', subjects: ['tx.meter.>'], retention: 'limits', storage: 'file', max_age: 35 * 24 * 60 * 60 * 1e9 });
    expect(config.duplicate_window).toBe(24 * 60 * 60 * 1e9);
  });
  it('keeps request subjects out of every stream', () => {
    const request = rpcSubject('meter.readings.submit');
    for (const spec of Object.values(STREAMS)) {
      for (const subject of spec.subjects) expect(request.startsWith(subject.replace('>', ''))).toBe(false);
    }
  });
});
