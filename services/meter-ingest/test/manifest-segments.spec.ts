import { valuesSegment } from '@gridledger/domain';
import { ManifestSegments } from '../src/manifests/manifest-segments';

const P = Date.parse('2026-03-29T10:00:00Z');
const segmentOf = (meters: number) => valuesSegment(Array.from({ length: meters }, (_, i) => ({ meterId: `M-${i.toString().padStart(4, '0')}`, direction: 'consumption' as const, energyWh: BigInt(i) })));

describe('the manifest segments this process keeps', () => {
  it('finds a segment by period, group and batch, and by nothing else', () => {
    const segments = new ManifestSegments();
    const segment = segmentOf(3);
    segments.keep(P, 'BG-A', '7', segment);
    expect(segments.segmentOf(P, 'BG-A', '7')).toBe(segment);
    expect(segments.segmentOf(P, 'BG-B', '7')).toBeUndefined();
    expect(segments.segmentOf(P, 'BG-A', '8')).toBeUndefined();
    expect(segments.segmentOf(P + 900_000, 'BG-A', '7')).toBeUndefined();
    expect(segments.bytes).toBe(segment.bytes);
  });

  it('lets the oldest go past its bytes, counts a replaced segment once, and keeps nothing larger than all of it', () => {
    const one = segmentOf(100);
    const segments = new ManifestSegments(one.bytes * 3);
    for (let seq = 1; seq <= 5; seq += 1) segments.keep(P, 'BG-A', String(seq), one);
    expect(['1', '2', '3', '4', '5'].map((seq) => segments.segmentOf(P, 'BG-A', seq) !== undefined)).toEqual([false, false, true, true, true]);
    expect(segments.bytes).toBe(one.bytes * 3);
    segments.keep(P, 'BG-A', '5', one);
    expect(segments.bytes).toBe(one.bytes * 3);
    segments.keep(P, 'BG-A', '6', segmentOf(400));
    expect(segments.segmentOf(P, 'BG-A', '6')).toBeUndefined();
    expect(segments.bytes).toBe(one.bytes * 3);
  });

  it('keeps nothing with no bytes allowed (manifests all in SQL)', () => {
    const segments = new ManifestSegments(0);
    segments.keep(P, 'BG-A', '1', segmentOf(1));
    expect(segments.segmentOf(P, 'BG-A', '1')).toBeUndefined();
    expect(segments.bytes).toBe(0);
  });
});
