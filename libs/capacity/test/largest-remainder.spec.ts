import fc from 'fast-check';
import { largestRemainder } from '../src/largest-remainder';

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

  it('refuses weights that do not sum to the denominator', () => {
    expect(() => largestRemainder(10n, [1n, 1n], 3n)).toThrow(/not to the denominator/);
  });
});
