import fc from 'fast-check';
import { canonicalJson, exceedsConnectionLimit, maxEnergyWh } from '../src';

describe('intake properties', () => {
  it('the cached Wh bound refuses exactly what limit × period length refuses', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.constantFrom('PT15M' as const, 'PT60M' as const), (energy, limit, length) => {
        expect(energy > maxEnergyWh(limit, length)).toBe(exceedsConnectionLimit(energy, limit, length));
      }),
      { numRuns: 2000 },
    );
  });

  it('canonical JSON is the same for any key order and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const reordered = JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
        expect(canonicalJson(reordered)).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 1000 },
    );
  });
});
