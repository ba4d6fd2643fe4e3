import { createHash } from 'node:crypto';
import { EMPTY_VALUES_DIGEST, groupPeriodManifest, manifestLine, sameValues, valuesDigest } from '../src/manifest';

const sha = (text: string) => `0x${createHash('sha256').update(text).digest('hex')}`;

describe('manifest digests', () => {
  it('hashes the canonical lines sorted by meter id (bytewise), then direction', () => {
    const values = [
      { meterId: 'm-b', direction: 'production' as const, energyWh: 7n },
      { meterId: 'M-z', direction: 'consumption' as const, energyWh: '0' },
      { meterId: 'm-b', direction: 'consumption' as const, energyWh: 12n },
    ];
    // 'M' (0x4d) sorts before 'm' (0x6d): bytewise, not by locale.
    expect(valuesDigest(values)).toEqual({ count: 3, digest: sha('M-z|consumption|0\nm-b|consumption|12\nm-b|production|7\n') });
    expect(manifestLine(values[0])).toBe('m-b|production|7\n');
  });

  it('does not depend on the order values arrive in', () => {
    const values = Array.from({ length: 50 }, (_, i) => ({ meterId: `meter-${(i * 37) % 50}`, direction: 'consumption' as const, energyWh: BigInt(i) }));
    expect(valuesDigest(values)).toEqual(valuesDigest([...values].reverse()));
  });

  it('gives the SHA-256 of nothing for no values', () => {
    expect(valuesDigest([])).toEqual({ count: 0, digest: EMPTY_VALUES_DIGEST });
    expect(EMPTY_VALUES_DIGEST).toBe(sha(''));
  });

  it('splits a group-period per MPO and batch, each sorted, each with its own digest', () => {
    const A = '0xAAaa000000000000000000000000000000000001';
    const B = '0x0000000000000000000000000000000000000002';
    const value = (meterId: string, mpo: string, batchId: string, wh: bigint) => ({ meterId, direction: 'production' as const, energyWh: wh, mpo, batchId, format: 'readings-json', signature: `sig-${batchId}` });
    const manifest = groupPeriodManifest([value('m1', A, '0x02', 1n), value('m2', B, '0x03', 2n), value('m3', A, '0x01', 3n)]);
    expect(manifest.count).toBe(3);
    expect(manifest.digest).toBe(sha('m1|production|1\nm2|production|2\nm3|production|3\n'));
    expect(manifest.perMpo.map((m) => m.mpo)).toEqual([B, A]);
    expect(manifest.perMpo[1]).toEqual({
      mpo: A,
      count: 2,
      digest: sha('m1|production|1\nm3|production|3\n'),
      batches: [
        { batchId: '0x01', format: 'readings-json', signature: 'sig-0x01', count: 1, digest: sha('m3|production|3\n') },
        { batchId: '0x02', format: 'readings-json', signature: 'sig-0x02', count: 1, digest: sha('m1|production|1\n') },
      ],
    });
    expect(sameValues(manifest, valuesDigest([value('m3', A, 'x', 3n), value('m2', A, 'y', 2n), value('m1', A, 'z', 1n)]))).toBe(true);
    expect(sameValues(manifest, valuesDigest([value('m3', A, 'x', 3n), value('m1', A, 'z', 1n)]))).toBe(false);
  });
});
