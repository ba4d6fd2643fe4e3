import fc from 'fast-check';
import { BatchFormatError, parseReadingBatch, scanIntervalBatch, type ReadingBatch } from '../src';

const LIMITS = { maxEntries: 50 };
const MPO = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';

/** What the slow path answers for the same bytes: the batch, or the refusal's field. */
function slowPath(raw: Buffer): ReadingBatch | { refused: string } {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { refused: '(body)' };
  }
  try {
    return parseReadingBatch(body, LIMITS);
  } catch (error) {
    if (error instanceof BatchFormatError) return { refused: error.field };
    throw error;
  }
}

const entry = (meterId: string, periodId = '2026-03-01T00:15:00Z', energyWh = '120', quality?: string) =>
  `{"meterId":"${meterId}","periodId":"${periodId}","energyWh":"${energyWh}"${quality === undefined ? '' : `,"quality":"${quality}"`}}`;
const bodyOf = (entries: string[], envelope = `"mpo":"${MPO}"`) => Buffer.from(`{"intervals":[${entries.join(',')}]${envelope ? `,${envelope}` : ''}}`, 'utf8');

describe('scanIntervalBatch', () => {
  it('reads a plain batch of interval values exactly as JSON.parse and parseReadingBatch do', () => {
    const raw = bodyOf([entry('DE-1'), entry('DE-2', '2026-03-01T00:30:00Z', '0', 'estimated'), entry('DE-3', '2026-03-01T00:15:00Z', '999999999999999999', 'substituted')]);
    const fast = scanIntervalBatch(raw, LIMITS);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(slowPath(raw));
    expect(fast!.intervals.map((value) => value.energyWh)).toEqual([120n, 0n, 999999999999999999n]);
  });

  it('accepts any key order and JSON white space', () => {
    const raw = Buffer.from(` \n{ "periodLength" : "PT60M",\t"mpo":"${MPO}" ,\r\n "intervals" : [ { "energyWh" : "7" , "quality":"measured", "periodId":"2026-03-01T01:00:00Z" , "meterId" : "DE-9" } ] } \n`);
    const fast = scanIntervalBatch(raw, LIMITS);
    expect(fast).toEqual(slowPath(raw));
    expect(fast!.periodLength).toBe('PT60M');
  });

  it('reads entries whose layout differs from the first one\'s (other key order, white space, quality or not)', () => {
    const raw = bodyOf([
      entry('DE-1'),
      entry('DE-2', undefined, '7', 'estimated'),
      '{"energyWh":"8","meterId":"DE-3","periodId":"2026-03-01T00:15:00Z"}',
      '{ "meterId":"DE-4","periodId":"2026-03-01T00:30:00Z","energyWh":"9"}',
      entry('DE-5'),
      '{"meterId":"DE-6","periodId":"2026-03-01T00:15:00Z","energyWh":"10","quality":"substituted"}',
    ]);
    const fast = scanIntervalBatch(raw, LIMITS);
    expect(fast).toEqual(slowPath(raw));
    expect(fast!.intervals.map((value) => [value.meterId, value.energyWh, value.quality])).toEqual([
      ['DE-1', 120n, 'measured'],
      ['DE-2', 7n, 'estimated'],
      ['DE-3', 8n, 'measured'],
      ['DE-4', 9n, 'measured'],
      ['DE-5', 120n, 'measured'],
      ['DE-6', 10n, 'substituted'],
    ]);
  });

  it('tells apart meter ids whose bytes hash alike (the ids read before are remembered by hash)', () => {
    // "Aa" and "BB" hash the same (31·65 + 97 = 31·66 + 66), so these share a slot.
    const raw = bodyOf([entry('DE-Aa'), entry('DE-BB'), entry('DE-Aa', '2026-03-01T00:30:00Z'), entry('DE-BBx'), entry('DE-BB', '2026-03-01T00:30:00Z')]);
    const fast = scanIntervalBatch(raw, LIMITS);
    expect(fast).toEqual(slowPath(raw));
    expect(fast!.intervals.map((value) => value.meterId)).toEqual(['DE-Aa', 'DE-BB', 'DE-Aa', 'DE-BBx', 'DE-BB']);
  });

  it('gives way for every truncation of a batch, whatever byte it ends on', () => {
    const raw = bodyOf([entry('DE-1'), entry('DE-22', '2026-03-01T00:30:00Z', '999999999999999999', 'estimated'), entry('DE-1', '2026-03-01T00:30:00Z', '5')]);
    const whole = scanIntervalBatch(raw, LIMITS);
    expect(whole).not.toBeNull();
    expect(whole).toEqual(slowPath(raw));
    for (let length = 0; length < raw.length; length += 1) expect(scanIntervalBatch(raw.subarray(0, length), LIMITS)).toBeNull();
  });

  // Each of these is something the slow path must judge (a refusal, a rejection, an escape,
  // a value JSON.parse reads differently): the scanner gives way instead of answering.
  it.each([
    ['an escaped character', bodyOf([entry('DE-1'), '{"meterId":"DE-\\u0032","periodId":"2026-03-01T00:15:00Z","energyWh":"1"}'])],
    ['an escaped quote in a meter id', bodyOf(['{"meterId":"DE\\"1","periodId":"2026-03-01T00:15:00Z","energyWh":"1"}'])],
    ['a number instead of a decimal string', bodyOf(['{"meterId":"DE-1","periodId":"2026-03-01T00:15:00Z","energyWh":1}'])],
    ['a negative value', bodyOf([entry('DE-1', undefined, '-1')])],
    ['a leading zero', bodyOf([entry('DE-1', undefined, '007')])],
    ['a value above 10^18 Wh', bodyOf([entry('DE-1', undefined, '1000000000000000001')])],
    ['a period not aligned to the length', bodyOf([entry('DE-1', '2026-03-01T00:05:00Z')])],
    ['a day that does not exist', bodyOf([entry('DE-1', '2026-02-30T00:00:00Z')])],
    ['an unknown quality', bodyOf([entry('DE-1', undefined, '1', 'guessed')])],
    ['a malformed meter id', bodyOf([entry('-DE-1')])],
    ['a meter id of 65 characters', bodyOf([entry('D'.repeat(65))])],
    ['a repeated key (JSON.parse keeps the last)', bodyOf(['{"meterId":"DE-1","meterId":"DE-2","periodId":"2026-03-01T00:15:00Z","energyWh":"1"}'])],
    ['a missing field', bodyOf(['{"meterId":"DE-1","energyWh":"1"}'])],
    ['an unknown field in an entry', bodyOf(['{"meterId":"DE-1","periodId":"2026-03-01T00:15:00Z","energyWh":"1","note":"x"}'])],
    ['an unknown field in the envelope', bodyOf([entry('DE-1')], `"mpo":"${MPO}","extra":"1"`)],
    ['register readings', Buffer.from(`{"readings":[{"meterId":"DE-1","readAt":"2026-03-01T00:00:00Z","registerWh":"1"}]}`)],
    ['an empty array', bodyOf([])],
    ['too many entries', bodyOf(Array.from({ length: LIMITS.maxEntries + 1 }, (_, i) => entry(`DE-${i}`)))],
    ['a wrong address checksum', bodyOf([entry('DE-1')], `"mpo":"${MPO.replace('b', 'B')}"`)],
    ['an unknown period length', bodyOf([entry('DE-1')], `"periodLength":"PT5M"`)],
    ['a batch reference with an escape', bodyOf([entry('DE-1')], `"batchRef":"a\\\\b"`)],
    ['a nested object', bodyOf(['{"meterId":"DE-1","periodId":"2026-03-01T00:15:00Z","energyWh":{"v":"1"}}'])],
    ['text after the object', Buffer.from(`${bodyOf([entry('DE-1')]).toString()} x`)],
    ['a truncated body', bodyOf([entry('DE-1')]).subarray(0, 40)],
    ['a control character in a string', bodyOf([entry('DE-1\u0001')])],
    ['non-ASCII bytes', bodyOf([entry('DE-ü')])],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"intervals":[{"meterId":"DE-'), Buffer.from([0xff]), Buffer.from('","periodId":"2026-03-01T00:15:00Z","energyWh":"1"}]}')])],
    ['an empty body', Buffer.alloc(0)],
    ['a JSON array', Buffer.from('[]')],
  ])('gives way to the slow path for %s', (_what, raw) => {
    expect(scanIntervalBatch(raw, LIMITS)).toBeNull();
  });

  it('either answers what the slow path answers or gives way, for generated and damaged batches', () => {
    const meterId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/);
    // Mostly valid values, now and then one the slow path must refuse.
    const rarely = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: invalid, weight: 1 });
    const energy = rarely(fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.bigInt({ min: 0n, max: 100_000n })).map(String), fc.constantFrom('00', '-5', '1.5', ' 1', '1000000000000000001'));
    const period = rarely(fc.constantFrom('2026-03-01T00:00:00Z', '2026-03-01T00:15:00Z', '2026-03-01T01:00:00Z'), fc.constantFrom('2026-03-01T00:07:00Z', '2026-13-01T00:00:00Z'));
    const quality = fc.option(rarely(fc.constantFrom('measured', 'estimated', 'substituted'), fc.constant('other')), { nil: undefined });
    const space = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
    const body = fc
      .tuple(fc.array(fc.tuple(meterId, period, energy, quality), { minLength: 0, maxLength: 8 }), fc.option(fc.constantFrom('PT15M', 'PT60M', 'P1D'), { nil: undefined }), space)
      .map(([values, length, ws]) => {
        const entries = values.map(([m, p, e, q]) => `{${ws}"meterId":"${m}",${ws}"periodId":"${p}","energyWh":"${e}"${q === undefined ? '' : `,"quality":"${q}"`}}`);
        return `{"intervals":[${entries.join(`,${ws}`)}]${length === undefined ? '' : `,"periodLength":"${length}"`},"mpo":"${MPO}"}`;
      });
    // Damage: a byte replaced by one of JSON's structural characters, an escape or a digit.
    const damaged = fc.tuple(body, fc.nat(), fc.constantFrom('"', '\\', ',', '{', '}', '[', ']', ':', '1', ' ', 'x', '\u00e9')).map(([text, at, c]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return `${text.slice(0, i)}${c}${text.slice(i + 1)}`;
    });
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(body, damaged), (text) => {
        const raw = Buffer.from(text, 'utf8');
        const fast = scanIntervalBatch(raw, LIMITS);
        if (fast === null) return;
        answered += 1;
        expect(fast).toEqual(slowPath(raw));
      }),
      { numRuns: 3000 },
    );
    // Both sides of the property ran: the scanner answered some batches and gave way on others.
    expect(answered).toBeGreaterThan(100);
    expect(answered).toBeLessThan(3000);
  });

  it('takes most generated well-formed batches itself (the fast path is not dead code)', () => {
    let answered = 0;
    for (let n = 1; n <= 50; n += 1) {
      const raw = bodyOf(Array.from({ length: n }, (_, i) => entry(`DE-MELO-${i}`, i % 2 ? '2026-03-01T00:15:00Z' : '2026-03-01T00:30:00Z', String(i * 13))));
      const fast = scanIntervalBatch(raw, LIMITS);
      if (fast !== null) answered += 1;
      expect(fast ?? slowPath(raw)).toEqual(slowPath(raw));
    }
    expect(answered).toBe(50);
  });
});
