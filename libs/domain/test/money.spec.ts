import { divideRoundHalfAwayFromZero, formatMinorUnits, parsePricePerMWh, priceEnergy } from '../src/money';

describe('money in integer minor units', () => {
  it('rounds half away from zero, the one rule', () => {
    expect(divideRoundHalfAwayFromZero(5n, 2n)).toBe(3n);
    expect(divideRoundHalfAwayFromZero(-5n, 2n)).toBe(-3n);
    expect(divideRoundHalfAwayFromZero(4n, 3n)).toBe(1n);
    expect(divideRoundHalfAwayFromZero(-4n, 3n)).toBe(-1n);
    expect(divideRoundHalfAwayFromZero(0n, 7n)).toBe(0n);
    expect(() => divideRoundHalfAwayFromZero(1n, 0n)).toThrow(RangeError);
  });

  it('prices energy at cents per MWh', () => {
    // 1 MWh at 100.00 €/MWh is 100.00 €.
    expect(priceEnergy(1_000_000n, 10_000n)).toBe(10_000n);
    // 1 kWh at 123.45 €/MWh is 12.345 cents → 12 cents; 5 kWh is 61.725 → 62 cents.
    expect(priceEnergy(1_000n, 12_345n)).toBe(12n);
    expect(priceEnergy(5_000n, 12_345n)).toBe(62n);
    // A short group pays the same magnitude as a long one, with the opposite sign.
    expect(priceEnergy(-5_000n, 12_345n)).toBe(-62n);
  });

  it('parses and formats prices and amounts', () => {
    expect(parsePricePerMWh('123.45')).toBe(12_345n);
    expect(parsePricePerMWh('-20.5')).toBe(-2_050n);
    expect(parsePricePerMWh('80')).toBe(8_000n);
    expect(() => parsePricePerMWh('1.234')).toThrow(/two fraction digits/);
    expect(formatMinorUnits(12_345n)).toBe('123.45');
    expect(formatMinorUnits(-5n)).toBe('-0.05');
  });
});
