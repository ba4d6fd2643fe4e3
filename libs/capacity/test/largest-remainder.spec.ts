import fc from 'fast-check';
import { exactFloorDivision, largestRemainder, largestRemainderInto } from '../src/largest-remainder';

/** The method spelled out on bigints: floor quotas, then +1 in order of remainder (largest first, ties to the earlier claim). */
function plainLargestRemainder(total: bigint, weights: readonly bigint[], denominator: bigint): bigint[] {
  const quotas = weights.map((weight) => (total * weight) / denominator);
  const remainders = weights.map((weight) => (total * weight) % denominator);
  let left = total - quotas.reduce((a, b) => a + b, 0n);
  const ranked = weights.map((_, i) => i).sort((a, b) => (remainders[a] > remainders[b] ? -1 : remainders[a] < remainders[b] ? 1 : a - b));
  for (const i of ranked) {
    if (left === 0n) break;
    quotas[i] += 1n;
    left -= 1n;
  }
  return quotas;
}

/** Weights with many ties and zeros: drawn from a handful of values, sometimes scaled up. */
const tiedWeights = fc
  .tuple(fc.array(fc.constantFrom(0n, 1n, 2n, 3n, 7n, 10n), { minLength: 1, maxLength: 300 }), fc.constantFrom(1n, 1_000n, 123_456_789n))
  .map(([weights, scale]) => weights.map((weight) => weight * scale))
  .filter((weights) => weights.some((weight) => weight > 0n));
const anyWeights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 120 }).filter((weights) => weights.some((weight) => weight > 0n));
/** Small totals, totals around the double/bigint boundary, and totals up to 2^53 − 1. */
const totals = fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }));

describe('largestRemainder', () => {
  it('sums exactly to the total for random weights and totals, small and huge', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        (weights, total) => {
          const denominator = weights.reduce((a, b) => a + b, 0n);
          fc.pre(denominator > 0n);
          const parts = largestRemainder(total, weights, denominator);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          parts.forEach((part, i) => {
            const exact = total * weights[i];
            // Each part is its floor or floor + 1 of the exact pro-rata quota.
            expect(part * denominator <= exact + denominator).toBe(true);
            expect(part * denominator >= exact - denominator).toBe(true);
            expect(part >= 0n).toBe(true);
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the left-over Wh to the largest remainders, ties to the first claim', () => {
    expect(largestRemainder(10n, [1n, 1n, 1n], 3n)).toEqual([4n, 3n, 3n]);
    expect(largestRemainder(2n, [1n, 1n, 1n], 3n)).toEqual([1n, 1n, 0n]);
    expect(largestRemainder(100n, [1n, 2n, 4n], 7n)).toEqual([14n, 29n, 57n]);
  });

  it('takes the bigint path beyond 2^53 and agrees with it below', () => {
    const weights = [333_333n, 333_333n, 333_334n];
    const big = largestRemainder(10n ** 15n, weights, 1_000_000n);
    expect(big.reduce((a, b) => a + b, 0n)).toBe(10n ** 15n);
    expect(big).toEqual([333_333_000_000_000n, 333_333_000_000_000n, 333_334_000_000_000n]);
  });

  it('the typed-array fast path equals the plain bigint method, ties, zero weights and large totals included (property)', () => {
    fc.assert(
      fc.property(fc.oneof(tiedWeights, anyWeights), totals, (weights, total) => {
        const denominator = weights.reduce((a, b) => a + b, 0n);
        const expected = plainLargestRemainder(total, weights, denominator);
        // Spare room at the end: the fast path must only touch [0, count).
        const parts = new Float64Array(weights.length + 2).fill(-1);
        largestRemainderInto(Number(total), Float64Array.from(weights, Number), weights.length, Number(denominator), parts);
        expect(Array.from(parts.subarray(0, weights.length), BigInt)).toEqual(expected);
        expect([parts[weights.length], parts[weights.length + 1]]).toEqual([-1, -1]);
        expect(largestRemainder(total, weights, denominator)).toEqual(expected);
      }),
      { numRuns: 1_000 },
    );
  });

  it('stays exact on the double path right below the 2^53 boundary (property)', () => {
    fc.assert(
      fc.property(fc.oneof(tiedWeights, anyWeights), fc.bigInt({ min: 0n, max: 1_000n }), (weights, below) => {
        const denominator = weights.reduce((a, b) => a + b, 0n);
        // The largest totals whose products still fit in 2^53 − 1: quotients near 2^53 / denominator.
        const total = BigInt(Number.MAX_SAFE_INTEGER) / denominator - below;
        fc.pre(total >= 0n);
        const parts = new Float64Array(weights.length);
        largestRemainderInto(Number(total), Float64Array.from(weights, Number), weights.length, Number(denominator), parts);
        expect(Array.from(parts, BigInt)).toEqual(plainLargestRemainder(total, weights, denominator));
      }),
      { numRuns: 1_000 },
    );
  });

  it('divides exactly in doubles up to 2^53 − 1, numerators just below multiples included (property)', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: safe }), fc.bigInt({ min: 0n, max: safe }), fc.bigInt({ min: -2n, max: 2n }), (denominator, seed, offset) => {
        // Near a multiple of the denominator, where a rounded quotient would tip over.
        const numerator = ((seed / denominator) * denominator + offset + safe + 1n) % (safe + 1n);
        expect(BigInt(exactFloorDivision(Number(numerator), Number(denominator)))).toBe(numerator / denominator);
      }),
      { numRuns: 5_000 },
    );
  });

  it('the bigint API equals the plain method beyond 2^53 too (property)', () => {
    fc.assert(
      fc.property(fc.oneof(tiedWeights, anyWeights), fc.bigInt({ min: 0n, max: 10n ** 24n }), (weights, total) => {
        const denominator = weights.reduce((a, b) => a + b, 0n);
        expect(largestRemainder(total, weights, denominator)).toEqual(plainLargestRemainder(total, weights, denominator));
      }),
      { numRuns: 300 },
    );
  });

  it('breaks a tie among many equal remainders by claim order', () => {
    // 1000 equal claims of 1 W, 999 Wh: everyone's remainder is the same, the first 999 get 1 Wh.
    const parts = new Float64Array(1_000);
    largestRemainderInto(999, new Float64Array(1_000).fill(1), 1_000, 1_000, parts);
    expect(parts.subarray(0, 999).every((part) => part === 1)).toBe(true);
    expect(parts[999]).toBe(0);
  });

  it('the typed-array path refuses what it cannot compute exactly', () => {
    const parts = new Float64Array(2);
    expect(() => largestRemainderInto(10, Float64Array.of(1, 1), 2, 3, parts)).toThrow(/not to the denominator/);
    expect(() => largestRemainderInto(10, Float64Array.of(0.5, 2.5), 2, 3, parts)).toThrow(/non-negative safe integers/);
    expect(() => largestRemainderInto(2 ** 53, Float64Array.of(1, 2), 2, 3, parts)).toThrow(/total/);
  });

  it('refuses weights that do not sum to the denominator', () => {
    expect(() => largestRemainder(10n, [1n, 1n], 3n)).toThrow(/not to the denominator/);
  });
});
