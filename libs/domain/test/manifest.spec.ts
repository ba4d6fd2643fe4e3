import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EMPTY_VALUES_DIGEST, ValuesDigester, compareManifestValues, digestOfSegments, groupPeriodManifest, manifestLine, sameValues, valuesDigest, valuesSegment } from '../src/manifest';
import type { Direction } from '../src/meter';

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

describe('manifest segments', () => {
  const directions = ['consumption', 'production'] as const;
  const arbitraryValues = fc.uniqueArray(
    fc.record({ meterId: fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), direction: fc.constantFrom(...directions), energyWh: fc.bigInt({ min: 0n, max: 10n ** 15n }) }),
    { minLength: 1, maxLength: 400, selector: (value) => `${value.meterId}|${value.direction}` },
  );

  it('keeps the lines it hashed: a segment is valuesDigest of its values, in any order they came', () => {
    fc.assert(
      fc.property(arbitraryValues, (values) => {
        const segment = valuesSegment(values);
        expect({ count: segment.count, digest: segment.digest }).toEqual(valuesDigest(values));
        expect(Buffer.concat([...segment.lines]).toString('latin1')).toBe([...values].sort(compareManifestValues).map(manifestLine).join(''));
        expect(segment.bytes).toBe(segment.lines.reduce((sum, chunk) => sum + chunk.length, 0));
      }),
    );
  });

  it('digests segments of ranges that do not interleave as valuesDigest of all their values, whatever order the segments come in', () => {
    fc.assert(
      fc.property(arbitraryValues, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (values, cuts, seed) => {
        const sorted = [...values].sort(compareManifestValues);
        const bounds = [...new Set(cuts.map((cut) => cut % sorted.length))].filter((at) => at > 0).sort((a, b) => a - b);
        const ranges = [0, ...bounds].map((from, i) => sorted.slice(from, [...bounds, sorted.length][i]));
        // Each segment's values shuffled, the segments in a rotated order.
        const segments = ranges.map((range) => valuesSegment([...range].reverse()));
        const rotated = [...segments.slice(seed % segments.length), ...segments.slice(0, seed % segments.length)];
        expect(digestOfSegments(rotated)).toEqual(valuesDigest(values));
      }),
    );
  });

  it('keeps lines across hash chunks (segments past 64 KiB of text)', () => {
    const values = Array.from({ length: 9000 }, (_, i) => ({ meterId: `DE-MELO-${i.toString().padStart(8, '0')}`, direction: 'consumption' as const, energyWh: BigInt(i * 7) }));
    const segments = [valuesSegment(values.slice(6000)), valuesSegment(values.slice(0, 2500)), valuesSegment(values.slice(2500, 6000))];
    expect(segments[0].lines.length).toBeGreaterThan(1);
    expect(digestOfSegments(segments)).toEqual(valuesDigest(values));
  });

  it('refuses segments whose key ranges interleave or share a key: the caller must digest the values', () => {
    const value = (meterId: string, energyWh: bigint, direction: 'consumption' | 'production' = 'consumption') => ({ meterId, direction, energyWh });
    const odd = valuesSegment([value('m-1', 1n), value('m-3', 3n)]);
    const even = valuesSegment([value('m-2', 2n), value('m-4', 4n)]);
    expect(digestOfSegments([odd, even])).toBeNull();
    // The same key in two segments (one ends where the next begins) is no sequence either.
    expect(digestOfSegments([valuesSegment([value('m-1', 1n)]), valuesSegment([value('m-1', 2n), value('m-2', 1n)])])).toBeNull();
    // Direction breaks the tie: a meter's consumption may end one segment and its production begin the next.
    const split = [valuesSegment([value('m-1', 1n, 'consumption')]), valuesSegment([value('m-1', 2n, 'production')])];
    expect(digestOfSegments(split)).toEqual(valuesDigest([value('m-1', 1n, 'consumption'), value('m-1', 2n, 'production')]));
    expect(digestOfSegments([])).toEqual({ count: 0, digest: EMPTY_VALUES_DIGEST });
    expect(() => valuesSegment([])).toThrow(RangeError);
  });
});

describe('ValuesDigester writes the canonical lines as bytes', () => {
  const energies = fc.oneof(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: -(2n ** 53n) - 2n, max: 2n ** 53n + 2n }), fc.bigInt({ min: 0n, max: 10n ** 6n }).map(String));
  const meterIds = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/), fc.string({ minLength: 1, maxLength: 70, unit: 'binary' }));
  const values = fc.array(fc.record({ meterId: meterIds, direction: fc.constantFrom<Direction>('consumption', 'production'), energyWh: energies }), { maxLength: 3000 });

  it('hashes and keeps exactly the UTF-8 of manifestLine over every value, in any chunking', () => {
    fc.assert(
      fc.property(values, (list) => {
        const text = list.map(manifestLine).join('');
        const digester = new ValuesDigester({ keepLines: true });
        for (const v of list) digester.add(v.meterId, v.direction, v.energyWh);
        const result = digester.result();
        expect(result).toEqual({ count: list.length, digest: sha(text) });
        expect(Buffer.concat([...digester.lines()]).equals(Buffer.from(text, 'utf8'))).toBe(true);
        const plain = new ValuesDigester();
        for (const v of list) plain.add(v.meterId, v.direction, v.energyWh);
        expect(plain.result()).toEqual(result);
      }),
      { numRuns: 60 },
    );
  });

  it('digests interleaved and successive digesters apart (a spent one gives its chunk to the next, never to two at once)', () => {
    const lines = (from: number) => Array.from({ length: 4000 }, (_, i) => ({ meterId: `M-${from + i}`, direction: 'consumption' as Direction, energyWh: BigInt(from + i) }));
    const [a, b] = [lines(0), lines(100_000)];
    const first = new ValuesDigester({ keepLines: true });
    const second = new ValuesDigester({ keepLines: true });
    a.forEach((v, i) => {
      first.add(v.meterId, v.direction, v.energyWh);
      second.add(b[i].meterId, b[i].direction, b[i].energyWh);
    });
    expect(first.result()).toEqual({ count: a.length, digest: sha(a.map(manifestLine).join('')) });
    // The next digester takes the first one's chunk; the first's kept lines are copies.
    const third = new ValuesDigester();
    b.forEach((v) => third.add(v.meterId, v.direction, v.energyWh));
    expect(second.result()).toEqual({ count: b.length, digest: sha(b.map(manifestLine).join('')) });
    expect(third.result()).toEqual({ count: b.length, digest: sha(b.map(manifestLine).join('')) });
    expect(Buffer.concat([...first.lines()]).toString('utf8')).toBe(a.map(manifestLine).join(''));
    // Added after result (a misuse): it writes into a chunk of its own, not the one it gave back.
    const reused = new ValuesDigester();
    reused.add('M-1', 'consumption', 1n);
    first.add('M-X', 'production', 5n);
    expect(reused.result()).toEqual({ count: 1, digest: sha(manifestLine({ meterId: 'M-1', direction: 'consumption', energyWh: 1n })) });
  });

  it('crosses many chunk boundaries with long, non-ASCII and huge values', () => {
    const list = Array.from({ length: 8000 }, (_, i) => ({
      meterId: `${i % 997 === 0 ? 'Zähler-€' : 'DE'}${'0'.repeat(50)}${i}`,
      direction: (i % 3 === 0 ? 'production' : 'consumption') as Direction,
      energyWh: i % 5 === 0 ? -(10n ** 25n) - BigInt(i) : i % 7 === 0 ? String(i) : BigInt(i) * 1_000_003n,
    }));
    const text = list.map(manifestLine).join('');
    const digester = new ValuesDigester({ keepLines: true });
    for (const v of list) digester.add(v.meterId, v.direction, v.energyWh);
    expect(digester.result()).toEqual({ count: list.length, digest: sha(text) });
    expect(digester.lines().length).toBeGreaterThan(5);
    expect(Buffer.concat([...digester.lines()]).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });
});
