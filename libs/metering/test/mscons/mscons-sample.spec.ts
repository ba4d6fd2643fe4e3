import { resolve } from 'node:path';
import { readFileSync } from 'fs';
import { parseMscons } from '../../src/mscons/mscons.parser';

// The real sample travels with this library's tests (test/fixtures/mscons/SOURCE.md).
const SAMPLE = resolve(__dirname, '../fixtures/mscons/MSCONS_TL_SAMPLE02.txt');

/** Sum of non-negative decimal digit strings, digit by digit: independent of the parser and of BigInt. */
function addDigitStrings(a: string, b: string): string {
  let result = '';
  let carry = 0;
  for (let i = a.length - 1, j = b.length - 1; i >= 0 || j >= 0 || carry > 0; i -= 1, j -= 1) {
    const sum = (i >= 0 ? a.charCodeAt(i) - 48 : 0) + (j >= 0 ? b.charCodeAt(j) - 48 : 0) + carry;
    result = String(sum % 10) + result;
    carry = sum >= 10 ? 1 : 0;
  }
  return result.replace(/^0+(?=\d)/, '');
}

/** "0,919" kWh → "919" Wh by moving the decimal comma three places. */
function kwhTextToWhDigits(kwh: string): string {
  const [whole, fraction = ''] = kwh.split(',');
  return `${whole}${fraction.padEnd(3, '0')}`.replace(/^0+(?=\d)/, '');
}

describe('MSCONS: the real sample (PV feed-in, December 2015, decimal comma, +01 offsets)', () => {
  const text = readFileSync(SAMPLE, 'latin1');
  const quantities = text.split("'").filter((segment) => segment.startsWith('QTY+220:')).map((segment) => segment.slice('QTY+220:'.length));
  const fileTotalWh = quantities.map(kwhTextToWhDigits).reduce(addDigitStrings, '0');
  const interchange = parseMscons(text);
  const [message] = interchange.messages;
  const [location] = message.locations;

  it('parses the envelope and its one message, with the UNA service characters', () => {
    expect(interchange.serviceCharacters).toEqual({ componentSeparator: ':', dataSeparator: '+', decimalMark: ',', releaseCharacter: '?', segmentTerminator: "'" });
    expect(interchange.sender).toBe('1234567889111');
    expect(interchange.controlReference).toBe('13337815E25');
    expect(interchange.rejectedMessages).toEqual([]);
    expect(interchange.messages).toHaveLength(1);
    expect(message.reference).toBe('1');
    expect(message.documentNumber).toBe('13337815E25-1');
  });

  it('reads one metering point with its OBIS line item and declared month', () => {
    expect(message.locations).toHaveLength(1);
    expect(location.meterId).toBe('US0001062600000001000000022345671');
    expect(location.obis).toBe('1-1:1.10.0');
    expect(location.declaredStart).toBe('2015-11-30T23:00:00Z');
    expect(location.declaredEnd).toBe('2015-12-31T23:00:00Z');
  });

  it('accounts for every one of the 2976 values: accepted plus quarantined', () => {
    expect(quantities).toHaveLength(2976);
    expect(location.intervals.length + location.quarantined.length).toBe(2976);
    expect(location.intervals).toHaveLength(2968);
    expect(location.intervals[0]).toMatchObject({ periodId: '2015-11-30T23:00:00Z', energyWh: 0n, quality: 'measured' });
    expect(location.intervals[location.intervals.length - 1].periodId).toBe('2015-12-31T22:45:00Z');
  });

  it('has Wh totals equal to the exact decimal sum of the QTY values', () => {
    const quarantinedWh = location.quarantined.reduce((sum, value) => sum + value.energyWh, 0n);
    expect((location.totalWh + quarantinedWh).toString()).toBe(fileTotalWh);
    const accepted = location.intervals.reduce((sum, value) => sum + value.energyWh, 0n);
    expect(accepted).toBe(location.totalWh);
    expect(location.totalWh).toBe(676_577n);
    expect(fileTotalWh).toBe('680282');
  });

  it('realigns the clock-set runs 20:00-20:16-20:30 and 01:30-01:55-02:00 (local) and reports each value', () => {
    // 31 evenings with 20:16 plus 3 nights with 01:55, two values each.
    expect(location.realigned).toHaveLength(68);
    expect(location.realigned[0]).toEqual(
      expect.objectContaining({ periodId: '2015-12-01T19:00:00Z', statedStart: '2015-12-01T19:00:00Z', statedEnd: '2015-12-01T19:16:00Z' }),
    );
    expect(location.realigned[1]).toEqual(
      expect.objectContaining({ periodId: '2015-12-01T19:15:00Z', statedStart: '2015-12-01T19:16:00Z', statedEnd: '2015-12-01T19:30:00Z' }),
    );
    expect(location.realigned[2]).toEqual(
      expect.objectContaining({ periodId: '2015-12-02T00:30:00Z', statedStart: '2015-12-02T00:30:00Z', statedEnd: '2015-12-02T00:55:00Z' }),
    );
    expect(location.realigned[3]).toEqual(expect.objectContaining({ periodId: '2015-12-02T00:45:00Z', statedStart: '2015-12-02T00:55:00Z' }));
    const periods = location.intervals.map((value) => value.periodStartMs);
    expect(new Set(periods).size).toBe(periods.length);
    expect(periods.every((start) => start % 900_000 === 0)).toBe(true);
  });

  it('quarantines the 20 December clock jump: a 75-minute value, an end before its start, and conflicting repeats', () => {
    const summary = location.quarantined.map((value) => [value.segmentNumber, value.code, value.statedStart, value.energyWh]);
    expect(summary).toEqual([
      [5652, 'SPANS_SEVERAL_PERIODS', '2015-12-20T12:45:00Z', 1289n],
      [5676, 'END_NOT_AFTER_START', '2015-12-20T15:45:00Z', 74n],
      [5679, 'CONFLICTING_DUPLICATE', '2015-12-20T15:00:00Z', 0n],
      [5667, 'CONFLICTING_DUPLICATE', '2015-12-20T15:00:00Z', 934n],
      [5682, 'CONFLICTING_DUPLICATE', '2015-12-20T15:15:00Z', 0n],
      [5670, 'CONFLICTING_DUPLICATE', '2015-12-20T15:15:00Z', 711n],
      [5685, 'CONFLICTING_DUPLICATE', '2015-12-20T15:30:00Z', 0n],
      [5673, 'CONFLICTING_DUPLICATE', '2015-12-20T15:30:00Z', 697n],
    ]);
    for (const value of location.quarantined) expect(value.reason.length).toBeGreaterThan(10);
  });

  it('sums the sample into hours on a PT60M grid, keeping every Wh of the hours it can fill', () => {
    const [hourly] = parseMscons(text, { periodLength: 'PT60M' }).messages[0].locations;
    expect(hourly.intervals.every((v) => v.sourceValues === 4)).toBe(true);
    // 744 hours in December. On 20 December the 75-minute value makes 12:00-14:00Z a run of four
    // values over two hours, which cannot be mapped; 15:00Z is stated twice with different values
    // (once as an unmappable run, once as four quarter hours): a conflict, so that hour is empty too.
    expect(hourly.intervals).toHaveLength(744 - 3);
    expect(hourly.missing).toEqual([
      { from: '2015-12-20T12:00:00Z', to: '2015-12-20T14:00:00Z', periods: 2 },
      { from: '2015-12-20T15:00:00Z', to: '2015-12-20T16:00:00Z', periods: 1 },
    ]);
    expect(hourly.quarantined.filter((q) => q.code === 'CONFLICTING_DUPLICATE').map((q) => q.segmentNumber)).toEqual([5679, 5682, 5685, 5688]);
    const quarantinedWh = hourly.quarantined.reduce((sum, value) => sum + value.energyWh, 0n);
    expect((hourly.totalWh + quarantinedWh).toString()).toBe(fileTotalWh);
  });

  it('names the periods of the declared month that have no accepted value', () => {
    expect(location.missing).toEqual([
      { from: '2015-12-20T12:45:00Z', to: '2015-12-20T14:00:00Z', periods: 5 },
      { from: '2015-12-20T15:00:00Z', to: '2015-12-20T15:45:00Z', periods: 3 },
    ]);
    expect(location.intervals.length + 5 + 3).toBe(31 * 96);
  });
});
