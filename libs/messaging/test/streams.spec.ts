import { DiscardPolicy, nanos } from 'nats';
import { ALL_STREAMS, decideStream, NAMESPACED_STREAM_MAX_BYTES, STREAMS, streamConfig } from '../src/streams';
import { Namespace } from '../src/namespace';

describe('streams', () => {
  it('gives every stream a max age, a byte limit and discard-new, none of them unlimited', () => {
    for (const spec of ALL_STREAMS) {
      const config = streamConfig(spec, new Namespace(undefined), 3);
      expect(config.max_age).toBeGreaterThanOrEqual(nanos(spec.duplicateWindowMs));
      expect(config.max_bytes).toBe(spec.maxBytes);
      expect(config.max_bytes).toBeGreaterThan(0);
      expect(config.discard).toBe(DiscardPolicy.New);
      expect(config.num_replicas).toBe(3);
    }
    // Settlement streams keep the correction window (8 weeks) plus margin.
    expect(STREAMS.BALANCING.maxAgeMs).toBeGreaterThan(56 * 24 * 3_600_000);
  });

  it('caps the byte limit of namespaced (test) streams, which JetStream reserves at creation', () => {
    expect(streamConfig(STREAMS.METER, new Namespace('t1')).max_bytes).toBe(NAMESPACED_STREAM_MAX_BYTES);
  });

  describe('decideStream', () => {
    const wanted = (replicas: number) => streamConfig(STREAMS.METER, new Namespace(undefined), replicas);

    it('creates a missing stream and updates one with the same or fewer replicas', () => {
      expect(decideStream(undefined, wanted(1))).toEqual({ action: 'create' });
      expect(decideStream({ name: 'METER', num_replicas: 3 }, wanted(3))).toEqual({ action: 'update' });
      expect(decideStream({ name: 'METER', num_replicas: 1 }, wanted(3))).toEqual({ action: 'update' });
    });

    it('refuses to lower the replicas of an existing stream, and says what to set', () => {
      const decision = decideStream({ name: 'METER', num_replicas: 3 }, wanted(1));
      expect(decision.action).toBe('refuse');
      expect(decision).toMatchObject({ reason: expect.stringMatching(/^stream METER has 3 replicas and this service is configured for 1 \(NATS_STREAM_REPLICAS\): refusing to lower them; set NATS_STREAM_REPLICAS=3/) });
    });
  });
});
