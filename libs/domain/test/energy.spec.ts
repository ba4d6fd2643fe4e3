import { EnergyFormatError, formatWh, kwhToWh, parseWh, sumWh, whToKwh } from '../src/energy';

describe('energy in integer watt-hours', () => {
  it('converts kWh with up to three decimals exactly, with a point or a comma', () => {
    expect(kwhToWh('0.001')).toBe(1n);
    expect(kwhToWh('12.345')).toBe(12_345n);
    expect(kwhToWh('12.3')).toBe(12_300n);
    expect(kwhToWh('12')).toBe(12_000n);
    expect(kwhToWh('0,125', ',')).toBe(125n);
    expect(kwhToWh('-1,5', ',')).toBe(-1_500n);
    // 0.1 + 0.2 style float errors cannot happen: the sum of converted values is exact.
    expect(kwhToWh('0.1') + kwhToWh('0.2')).toBe(kwhToWh('0.3'));
    expect(kwhToWh('999999999999999.999')).toBe(999_999_999_999_999_999n);
  });

  it('refuses more than three decimals, the wrong mark and garbage, naming the reason', () => {
    expect(() => kwhToWh('1.0001')).toThrow(EnergyFormatError);
    expect(() => kwhToWh('1,5')).toThrow(/decimal mark/);
    expect(() => kwhToWh('1.5', ',')).toThrow(EnergyFormatError);
    expect(() => kwhToWh('1e3')).toThrow(EnergyFormatError);
    expect(() => kwhToWh('')).toThrow(EnergyFormatError);
    expect(() => kwhToWh('9999999999999999.999')).toThrow(/10\^18/);
  });

  it('formats Wh as kWh with three decimals and back', () => {
    expect(whToKwh(12_345n)).toBe('12.345');
    expect(whToKwh(5n)).toBe('0.005');
    expect(whToKwh(-1_500n)).toBe('-1.500');
    for (const wh of [0n, 1n, 999n, 1000n, 123_456_789n, -42n]) expect(kwhToWh(whToKwh(wh))).toBe(wh);
  });

  it('parses wire values as integers only', () => {
    expect(parseWh('0')).toBe(0n);
    expect(parseWh('-250')).toBe(-250n);
    expect(formatWh(parseWh('123456789012345678'))).toBe('123456789012345678');
    for (const bad of ['01', '1.5', ' 1', '1 ', '+1', '0x10', 'NaN', '', '-0x1']) expect(() => parseWh(bad)).toThrow(EnergyFormatError);
    expect(() => parseWh('1000000000000000001')).toThrow(/10\^18/);
    expect(() => parseWh(12 as unknown as string)).toThrow(/decimal string/);
  });

  it('sums exactly', () => {
    expect(sumWh([1n, 2n, 3n])).toBe(6n);
    expect(sumWh([])).toBe(0n);
  });
});
