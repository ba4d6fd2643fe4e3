import { decodeInterchangeBytes } from '../../src/mscons/edifact-encoding';
import { MsconsError } from '../../src/mscons/mscons.error';
import { parseMscons } from '../../src/mscons/mscons.parser';
import { interchangeText, locationSegments, messageSegments, quarterHours } from './mscons.test-support';

function thrown(run: () => unknown): MsconsError {
  try {
    run();
  } catch (error) {
    if (error instanceof MsconsError) return error;
    throw error;
  }
  throw new Error('expected an MsconsError');
}

describe('parseMscons: service string advice (UNA)', () => {
  it('uses the defaults when UNA is absent: decimal point, ? release, + : separators', () => {
    const text = interchangeText([messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, ['1.5', '0.001'], '?+00')))], '');
    const [location] = parseMscons(text).messages[0].locations;
    expect(location.intervals.map((v) => [v.periodId, v.energyWh])).toEqual([
      ['2026-03-01T00:00:00Z', 1500n],
      ['2026-03-01T00:15:00Z', 1n],
    ]);
  });

  it('reads a decimal comma declared in UNA and refuses a point then', () => {
    const good = interchangeText([messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, ['1,25'], '?+00')))], "UNA:+,? '");
    expect(parseMscons(good).messages[0].locations[0].intervals[0].energyWh).toBe(1250n);
    const bad = interchangeText([messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, ['1.25'], '?+00')))], "UNA:+,? '");
    const [rejected] = parseMscons(bad).rejectedMessages;
    expect(rejected.error).toMatchObject({ code: 'MALFORMED_NUMBER', segment: { number: 6, tag: 'QTY' }, field: 'QTY C186.6060 (quantity)' });
    expect(rejected.error.message).toContain('"," as decimal mark');
  });

  it('reads other separators, release character and terminator', () => {
    // component |, data *, decimal ., release !, terminator ~ and a newline after each segment.
    const segments = [
      'UNB*UNOC|3*SENDER|500*RECEIVER|500*260329|1200*R9',
      'UNH*7*MSCONS|D|04B|UN|2.2e',
      'BGM*7*A!*B!|C!~D!!*9',
      'LOC*172*DE|0001',
      'QTY*220|2.5',
      'DTM*163|202603010000!+01|303',
      'DTM*164|202603010015!+01|303',
      'UNT*7*7',
      'UNZ*1*R9',
    ];
    const text = `UNA|*.! ~${segments.map((s) => `${s}~\r\n`).join('')}`;
    const interchange = parseMscons(text);
    expect(interchange.serviceCharacters).toEqual({ componentSeparator: '|', dataSeparator: '*', decimalMark: '.', releaseCharacter: '!', segmentTerminator: '~' });
    const [message] = interchange.messages;
    expect(message.documentNumber).toBe('A*B|C~D!');
    expect(message.locations[0].meterId).toBe('DE');
    expect(message.locations[0].intervals).toEqual([expect.objectContaining({ periodId: '2026-02-28T23:00:00Z', energyWh: 2500n })]);
  });

  it('unescapes ?+ ?: ?\' and ?? and does not end a segment at an escaped terminator', () => {
    const body = ["BGM+7+X?+1?:2?'3??+9", ...locationSegments('DE?:0001', quarterHours('20260301', 0, ['1'], '?+00'))];
    const [message] = parseMscons(interchangeText([messageSegments('M1', body)])).messages;
    expect(message.documentNumber).toBe("X+1:2'3?");
    expect(message.locations[0].meterId).toBe('DE:0001');
  });

  it('refuses a UNA whose decimal mark is neither comma nor point, or whose separators collide', () => {
    expect(thrown(() => parseMscons("UNA:+;? 'UNB+UNOC:3+A+B+1:1+R'UNZ+0+R'"))).toMatchObject({ code: 'BAD_SERVICE_STRING_ADVICE', field: 'UNA decimal mark' });
    expect(thrown(() => parseMscons("UNA::.? 'UNB'"))).toMatchObject({ code: 'BAD_SERVICE_STRING_ADVICE' });
    expect(thrown(() => parseMscons('UNA:+'))).toMatchObject({ code: 'BAD_SERVICE_STRING_ADVICE' });
  });
});

describe('parseMscons: messages and locations', () => {
  it('reads several messages, each with several locations', () => {
    const text = interchangeText([
      messageSegments('M1', [
        ...locationSegments('DE0001', quarterHours('20260301', 0, ['1', '2'])),
        ...locationSegments('DE0002', quarterHours('20260301', 0, ['3'])),
      ]),
      messageSegments('M2', locationSegments('DE0003', quarterHours('20260301', 60, ['4', '5', '6']))),
    ]);
    const interchange = parseMscons(text);
    expect(interchange.rejectedMessages).toEqual([]);
    expect(interchange.messages.map((m) => m.reference)).toEqual(['M1', 'M2']);
    expect(interchange.messages.map((m) => m.locations.map((l) => [l.meterId, l.obis, l.totalWh]))).toEqual([
      [
        ['DE0001', '1-1:1.29.0', 3000n],
        ['DE0002', '1-1:1.29.0', 3000n],
      ],
      [['DE0003', '1-1:1.29.0', 15000n]],
    ]);
    expect(interchange.messages[1].locations[0].intervals.map((v) => v.periodId)).toEqual(['2026-03-01T00:00:00Z', '2026-03-01T00:15:00Z', '2026-03-01T00:30:00Z']);
  });

  it('keeps two line items (registers) of one location apart', () => {
    const body = [
      'LOC+172+DE0001',
      'LIN+1',
      'PIA+5+1-1?:1.29.0:SRW',
      'QTY+220:1',
      'DTM+163:202603010000?+00:303',
      'DTM+164:202603010015?+00:303',
      'LIN+2',
      'PIA+5+1-1?:2.29.0:SRW',
      'QTY+220:2',
      'DTM+163:202603010000?+00:303',
      'DTM+164:202603010015?+00:303',
    ];
    const locations = parseMscons(interchangeText([messageSegments('M1', body)])).messages[0].locations;
    expect(locations.map((l) => [l.meterId, l.obis, l.totalWh])).toEqual([
      ['DE0001', '1-1:1.29.0', 1000n],
      ['DE0001', '1-1:2.29.0', 2000n],
    ]);
  });

  it('turns offsets +01, +02, -05, +00 and the offset-free formats 203/204 into UTC periods', () => {
    const cases: [string, string, string][] = [
      ['?+01', '303', '2026-03-28T23:00:00Z'],
      ['?+02', '303', '2026-03-28T22:00:00Z'],
      ['-05', '303', '2026-03-29T05:00:00Z'],
      ['?+0530', '303', '2026-03-28T18:30:00Z'],
      ['', '203', '2026-03-29T00:00:00Z'],
      ['00', '204', '2026-03-29T00:00:00Z'],
    ];
    for (const [offset, format, expected] of cases) {
      const body = locationSegments('DE0001', [{ kwh: '1', start: `202603290000${offset}`, end: `202603290015${offset}`, format }]);
      const [location] = parseMscons(interchangeText([messageSegments('M1', body)])).messages[0].locations;
      expect([offset, location.intervals[0]?.periodId]).toEqual([offset, expected]);
    }
  });

  it('crosses both DST switches in Germany without a gap or a repeat, because each DTM carries its offset', () => {
    const spring = [
      { kwh: '1', start: '202603290130?+01', end: '202603290145?+01' },
      { kwh: '2', start: '202603290145?+01', end: '202603290300?+02' },
      { kwh: '3', start: '202603290300?+02', end: '202603290315?+02' },
    ];
    const autumn = [
      { kwh: '4', start: '202610250230?+02', end: '202610250245?+02' },
      { kwh: '5', start: '202610250245?+02', end: '202610250200?+01' },
      { kwh: '6', start: '202610250200?+01', end: '202610250215?+01' },
    ];
    const locations = parseMscons(interchangeText([messageSegments('M1', [...locationSegments('DE0001', spring), ...locationSegments('DE0002', autumn)])])).messages[0].locations;
    expect(locations.map((l) => l.intervals.map((v) => v.periodId))).toEqual([
      ['2026-03-29T00:30:00Z', '2026-03-29T00:45:00Z', '2026-03-29T01:00:00Z'],
      ['2026-10-25T00:30:00Z', '2026-10-25T00:45:00Z', '2026-10-25T01:00:00Z'],
    ]);
    expect(locations.flatMap((l) => [...l.realigned, ...l.quarantined])).toEqual([]);
  });

  it('maps QTY qualifiers 220, 67 and 201 to measured, substituted and estimated; quarantines others', () => {
    const intervals = quarterHours('20260301', 0, ['1', '2', '3', '4'], '?+00').map((interval, index) => ({ ...interval, qualifier: ['220', '67', '201', '20'][index] }));
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals.map((v) => v.quality)).toEqual(['measured', 'substituted', 'estimated']);
    expect(location.quarantined).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_QUALIFIER', qualifier: '20', energyWh: 4000n, segmentNumber: 15 })]);
  });

  it('converts kWh exactly: three decimals, zero padding beyond, refuses a fourth significant decimal', () => {
    const values = ['0,001', '123456789,999', '1,2300', '0'];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, values, '?+00')))], "UNA:+,? '")).messages[0].locations;
    expect(location.intervals.map((v) => v.energyWh)).toEqual([1n, 123_456_789_999n, 1230n, 0n]);
    const bad = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, ['1,0001'], '?+00')))], "UNA:+,? '"));
    expect(bad.rejectedMessages[0].error).toMatchObject({ code: 'MALFORMED_NUMBER', reason: expect.stringContaining('more than three decimals') });
  });
});

describe('parseMscons: irregular intervals', () => {
  const T = (hhmm: string): string => `20260301${hhmm}?+00`;

  it('realigns a contiguous run whose inner boundary is off the grid, keeping values whole', () => {
    const intervals = [
      { kwh: '1', start: T('0000'), end: T('0016') },
      { kwh: '2', start: T('0016'), end: T('0030') },
    ];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals.map((v) => [v.periodId, v.energyWh])).toEqual([
      ['2026-03-01T00:00:00Z', 1000n],
      ['2026-03-01T00:15:00Z', 2000n],
    ]);
    expect(location.realigned.map((r) => [r.segmentNumber, r.statedStart, r.statedEnd])).toEqual([
      [6, '2026-03-01T00:00:00Z', '2026-03-01T00:16:00Z'],
      [9, '2026-03-01T00:16:00Z', '2026-03-01T00:30:00Z'],
    ]);
  });

  it('quarantines what cannot be mapped: a lone odd end, an unaligned start, three values over two periods', () => {
    const intervals = [
      { kwh: '1', start: T('0000'), end: T('0010') },
      { kwh: '2', start: T('0015'), end: T('0030') },
      { kwh: '3', start: T('0035'), end: T('0050') },
      { kwh: '4', start: T('0100'), end: T('0105') },
      { kwh: '5', start: T('0105'), end: T('0120') },
      { kwh: '6', start: T('0120'), end: T('0130') },
    ];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals.map((v) => v.periodId)).toEqual(['2026-03-01T00:15:00Z']);
    expect(location.quarantined.map((q) => [q.segmentNumber, q.code])).toEqual([
      [6, 'IRREGULAR_RUN'],
      [12, 'START_NOT_ALIGNED'],
      [15, 'IRREGULAR_RUN'],
      [18, 'IRREGULAR_RUN'],
      [21, 'IRREGULAR_RUN'],
    ]);
    expect(location.quarantined.reduce((sum, q) => sum + q.energyWh, 0n) + location.totalWh).toBe(21_000n);
  });

  it('reports the declared periods without a value as ranges, cheaply even for absurd declarations', () => {
    const declared = (from: string, to: string, values: string[]): string[] => {
      const [loc, ...rest] = locationSegments('DE0001', quarterHours('20260301', 15, values, '?+00'));
      return [loc, `DTM+163:${from}?+00:303`, `DTM+164:${to}?+00:303`, ...rest];
    };
    const [location] = parseMscons(interchangeText([messageSegments('M1', declared('202603010000', '202603010130', ['1', '2']))])).messages[0].locations;
    expect(location.missing).toEqual([
      { from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:15:00Z', periods: 1 },
      { from: '2026-03-01T00:45:00Z', to: '2026-03-01T01:30:00Z', periods: 3 },
    ]);
    const [wide] = parseMscons(interchangeText([messageSegments('M1', declared('190001010000', '299912312345', ['1']))])).messages[0].locations;
    expect(wide.missing.map((range) => range.periods)).toEqual([4_423_681, 34_145_949]);
  });

  it('sums values that exactly cover one period (5-minute data), with the weakest quality, and reports it', () => {
    const intervals = [
      { kwh: '1', start: T('0000'), end: T('0005') },
      { kwh: '2', start: T('0005'), end: T('0010'), qualifier: '67' },
      { kwh: '3', start: T('0010'), end: T('0015'), qualifier: '201' },
      ...quarterHours('20260301', 15, ['4'], '?+00'),
    ];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals.map((v) => [v.periodId, v.energyWh, v.quality, v.sourceValues])).toEqual([
      ['2026-03-01T00:00:00Z', 6000n, 'substituted', 3],
      ['2026-03-01T00:15:00Z', 4000n, 'measured', 1],
    ]);
    expect(location.realigned).toEqual([
      expect.objectContaining({ segmentNumber: 6, periodId: '2026-03-01T00:00:00Z', action: 'aggregated', values: 3, statedStart: '2026-03-01T00:00:00Z', statedEnd: '2026-03-01T00:15:00Z' }),
    ]);
  });

  it('quarantines a whole summed period when one of its values cannot be settled', () => {
    const intervals = [
      { kwh: '1', start: T('0000'), end: T('0005') },
      { kwh: '2', start: T('0005'), end: T('0015'), qualifier: '20' },
    ];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals).toEqual([]);
    expect(location.quarantined.map((q) => [q.segmentNumber, q.code])).toEqual([
      [6, 'IRREGULAR_RUN'],
      [9, 'UNSUPPORTED_QUALIFIER'],
    ]);
  });

  it('quarantines an accepted period that a value quarantined for its times overlaps: the file contradicts itself', () => {
    const intervals = [
      { kwh: '1', start: T('0000'), end: T('0015') },
      { kwh: '2', start: T('0015'), end: T('0030') },
      { kwh: '3', start: T('0020'), end: T('0025') },
      { kwh: '4', start: T('0030'), end: T('0045') },
    ];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals.map((v) => v.periodId)).toEqual(['2026-03-01T00:00:00Z', '2026-03-01T00:30:00Z']);
    expect(location.quarantined.map((q) => [q.segmentNumber, q.code])).toEqual([
      [12, 'START_NOT_ALIGNED'],
      [9, 'CONFLICTING_DUPLICATE'],
    ]);
  });

  it('keeps one of two identical values for a period and reports the repeat', () => {
    const intervals = [...quarterHours('20260301', 0, ['1'], '?+00'), ...quarterHours('20260301', 0, ['1'], '?+00')];
    const [location] = parseMscons(interchangeText([messageSegments('M1', locationSegments('DE0001', intervals))])).messages[0].locations;
    expect(location.intervals).toHaveLength(1);
    expect(location.quarantined).toEqual([expect.objectContaining({ code: 'DUPLICATE_PERIOD', segmentNumber: 9 })]);
  });
});

describe('parseMscons: errors name the segment, the field and the reason', () => {
  const good = messageSegments('OK', locationSegments('DE0001', quarterHours('20260301', 0, ['1'], '?+00')));

  it('rejects a message whose UNT count is wrong, and only that message', () => {
    const broken = messageSegments('BAD', locationSegments('DE0002', quarterHours('20260301', 0, ['1'], '?+00')));
    broken[broken.length - 1] = 'UNT+99+BAD';
    const interchange = parseMscons(interchangeText([good, broken]));
    expect(interchange.messages.map((m) => m.reference)).toEqual(['OK']);
    expect(interchange.rejectedMessages).toHaveLength(1);
    const [rejected] = interchange.rejectedMessages;
    expect(rejected.reference).toBe('BAD');
    expect(rejected.error).toMatchObject({ code: 'UNT_COUNT_MISMATCH', segment: { number: 17, tag: 'UNT' }, field: 'UNT 0074 (number of segments)' });
    expect(rejected.error.message).toBe('segment 17 (UNT), UNT 0074 (number of segments): UNT says "99" segments but message BAD has 8 (UNH to UNT)');
  });

  it('rejects a message with a bad date, naming DTM and its field, and returns none of its values', () => {
    const broken = messageSegments('BAD', [
      ...locationSegments('DE0002', quarterHours('20260301', 0, ['1'], '?+00')),
      ...locationSegments('DE0003', [{ kwh: '1', start: '202602300000?+00', end: '202603010015?+00' }]),
    ]);
    const interchange = parseMscons(interchangeText([broken, good]));
    expect(interchange.messages.map((m) => m.reference)).toEqual(['OK']);
    expect(interchange.rejectedMessages[0].error).toMatchObject({
      code: 'MALFORMED_TIMESTAMP',
      segment: { number: 13, tag: 'DTM' },
      field: 'DTM C507.2380 (date/time value)',
      reason: 'day 30 does not exist in 2026-2',
    });
  });

  it('rejects a QTY without its end date, a QTY before any LOC, a wrong LOC qualifier and a malformed meter id', () => {
    const cases: [string[], string, string][] = [
      [['LOC+172+DE0001', 'QTY+220:1', 'DTM+163:202603010000?+00:303'], 'MISSING_INTERVAL_DATE', 'QTY'],
      [['QTY+220:1'], 'SEGMENT_OUT_OF_PLACE', 'QTY'],
      [['LOC+999+DE0001'], 'UNSUPPORTED_QUALIFIER', 'LOC'],
      [['LOC+172+DE 0001'], 'MALFORMED_METER_ID', 'LOC'],
      [['LOC+172+DE0001', 'QTY+220:1:MWH'], 'UNSUPPORTED_UNIT', 'QTY'],
      [['LOC+172+DE0001', 'QTY+220:1', 'DTM+163:202603010000?+00:102'], 'MALFORMED_TIMESTAMP', 'DTM'],
    ];
    for (const [body, code, tag] of cases) {
      const [rejected] = parseMscons(interchangeText([messageSegments('X', body)])).rejectedMessages;
      expect([body[body.length - 1], rejected?.error.code, rejected?.error.segment?.tag]).toEqual([body[body.length - 1], code, tag]);
    }
  });

  it('refuses a truncated interchange, a missing UNZ, a wrong UNZ count and segments outside messages', () => {
    const text = interchangeText([good]);
    expect(thrown(() => parseMscons(text.slice(0, text.length - 10)))).toMatchObject({ code: 'UNTERMINATED_SEGMENT' });
    expect(thrown(() => parseMscons(text.slice(0, text.indexOf('UNZ'))))).toMatchObject({ code: 'MISSING_UNZ' });
    expect(thrown(() => parseMscons(text.replace('UNZ+1', 'UNZ+2')))).toMatchObject({ code: 'UNZ_COUNT_MISMATCH', segment: { tag: 'UNZ' } });
    expect(thrown(() => parseMscons(text.replace('UNZ+1+REF1', 'UNZ+1+OTHER')))).toMatchObject({ code: 'CONTROL_REFERENCE_MISMATCH' });
    expect(thrown(() => parseMscons(text.replace("UNZ+", "NAD+X'UNZ+")))).toMatchObject({ code: 'SEGMENT_OUTSIDE_MESSAGE', segment: { tag: 'NAD' } });
    expect(thrown(() => parseMscons(`${text}UNB+X'`))).toMatchObject({ code: 'DATA_AFTER_UNZ' });
    expect(thrown(() => parseMscons(''))).toMatchObject({ code: 'EMPTY_INTERCHANGE' });
    expect(thrown(() => parseMscons("UNH+1+MSCONS'"))).toMatchObject({ code: 'MISSING_UNB' });
  });

  it('rejects a message that never reaches UNT and keeps the next one', () => {
    const open = good.slice(0, -1);
    const interchange = parseMscons(interchangeText([open, good]).replace('UNZ+2', 'UNZ+2'));
    expect(interchange.messages).toHaveLength(1);
    expect(interchange.rejectedMessages[0].error).toMatchObject({ code: 'MISSING_UNT', segment: { tag: 'UNH' } });
  });

  it('enforces its limits with clear errors', () => {
    const text = interchangeText([good]);
    expect(thrown(() => parseMscons(text, { maxInputChars: 100 }))).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(thrown(() => parseMscons(text, { maxSegments: 5 }))).toMatchObject({ code: 'TOO_MANY_SEGMENTS' });
    const long = parseMscons(interchangeText([messageSegments('L', [`FTX+AAI+++${'x'.repeat(3000)}`])]));
    expect(long.rejectedMessages[0].error).toMatchObject({ code: 'SEGMENT_TOO_LONG', segment: { number: 3, tag: 'FTX' } });
  });

  it('puts values on a PT60M grid when asked, summing quarter hours into hours', () => {
    const body = locationSegments('DE0001', [{ kwh: '4', start: '202603010000?+00', end: '202603010100?+00' }, ...quarterHours('20260301', 60, ['1', '2', '3', '4'], '?+00')]);
    const [location] = parseMscons(interchangeText([messageSegments('M1', body)]), { periodLength: 'PT60M' }).messages[0].locations;
    expect(location.intervals.map((v) => [v.periodId, v.energyWh, v.sourceValues])).toEqual([
      ['2026-03-01T00:00:00Z', 4000n, 1],
      ['2026-03-01T01:00:00Z', 10000n, 4],
    ]);
  });
});

describe('decodeInterchangeBytes', () => {
  const text = interchangeText([messageSegments('M1', ['NAD+MS+Stadtwerke Müller', ...locationSegments('DE0001', quarterHours('20260301', 0, ['1'], '?+00'))])]);

  it('reads UNOC as Latin-1 and UNOW as UTF-8, so umlauts survive either way', () => {
    expect(decodeInterchangeBytes(Buffer.from(text, 'latin1'))).toBe(text);
    const unow = text.replace('UNOC', 'UNOW');
    expect(decodeInterchangeBytes(Buffer.from(unow, 'utf8'))).toBe(unow);
    expect(parseMscons(decodeInterchangeBytes(Buffer.from(unow, 'utf8'))).messages[0].locations[0].totalWh).toBe(1000n);
  });

  it('refuses bytes that claim UTF-8 but are not', () => {
    const bytes = Buffer.from(text.replace('UNOC', 'UNOW'), 'latin1');
    expect(thrown(() => decodeInterchangeBytes(bytes))).toMatchObject({ code: 'MALFORMED_ENCODING' });
  });
});
