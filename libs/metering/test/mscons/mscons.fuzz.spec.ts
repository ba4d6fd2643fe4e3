import fc from 'fast-check';
import { decodeInterchangeBytes } from '../../src/mscons/edifact-encoding';
import { MsconsError } from '../../src/mscons/mscons.error';
import { parseMscons } from '../../src/mscons/mscons.parser';
import { MsconsInterchange } from '../../src/mscons/mscons.types';
import { interchangeText, locationSegments, messageSegments, quarterHours } from './mscons.test-support';

/**
 * Hostile input: whatever arrives, parseMscons returns or throws MsconsError, in bounded time,
 * and a message is either complete or absent. Three messages are built; every mutation hits
 * only the middle one, so the outer two must come back intact whenever anything comes back.
 */
const OUTER_FIRST = messageSegments('M1', locationSegments('DE0001', quarterHours('20260301', 0, ['1,5', '0,25'])));
const MIDDLE = messageSegments('M2', [
  ...locationSegments('DE0002A', quarterHours('20260301', 0, ['2', '3,125'])),
  ...locationSegments('DE0002B', quarterHours('20260301', 60, ['4', '0,001'])),
]);
const OUTER_LAST = messageSegments('M3', locationSegments('DE0003', quarterHours('20260301', 30, ['7'])));
const UNA = "UNA:+,? '";
const VALID = interchangeText([OUTER_FIRST, MIDDLE, OUTER_LAST], UNA);
const MIDDLE_FROM = VALID.indexOf("UNH+M2+") + VALID.slice(VALID.indexOf('UNH+M2+')).indexOf("'") + 1;
const MIDDLE_TO = VALID.indexOf('UNT+', MIDDLE_FROM);
const EXPECTED = parseMscons(VALID);
const MAX_MS_PER_INPUT = 2_000;

/** What a message says, without segment numbers (mutations shift those). */
function content(interchange: MsconsInterchange, reference: string): unknown {
  const message = interchange.messages.find((m) => m.reference === reference);
  return message?.locations.map((l) => [l.meterId, l.obis, l.intervals.map((v) => [v.periodId, v.energyWh, v.quality])]);
}

/** Parses and checks the invariants that hold for any input. */
function parseHostile(text: string): MsconsInterchange | MsconsError {
  const started = performance.now();
  let outcome: MsconsInterchange | MsconsError;
  try {
    outcome = parseMscons(text);
  } catch (error) {
    if (!(error instanceof MsconsError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.reason.length).toBeGreaterThan(0);
    expect(error.field.length).toBeGreaterThan(0);
    outcome = error;
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
  if (!(outcome instanceof MsconsError)) {
    for (const message of outcome.messages) {
      for (const location of message.locations) {
        let total = 0n;
        for (const value of location.intervals) {
          expect(value.energyWh >= 0n).toBe(true);
          expect(value.periodStartMs % 900_000).toBe(0);
          total += value.energyWh;
        }
        expect(total).toBe(location.totalWh);
      }
    }
    for (const rejected of outcome.rejectedMessages) {
      expect(rejected.error).toBeInstanceOf(MsconsError);
      expect(rejected.error.segment).not.toBeNull();
      expect(rejected.error.field.length).toBeGreaterThan(0);
    }
  }
  return outcome;
}

/** A mutated middle message: complete or absent, and the outer messages untouched. */
function checkMiddleMutation(text: string): void {
  const outcome = parseHostile(text);
  if (outcome instanceof MsconsError) return;
  expect(content(outcome, 'M1')).toEqual(content(EXPECTED, 'M1'));
  expect(content(outcome, 'M3')).toEqual(content(EXPECTED, 'M3'));
  const middle = outcome.messages.find((m) => m.reference === 'M2');
  if (middle !== undefined) {
    // Accepted: all four values are accounted for, on the grid or in quarantine.
    const values = middle.locations.reduce((n, l) => n + l.intervals.reduce((m, v) => m + v.sourceValues, 0) + l.quarantined.length, 0);
    expect(values).toBe(4);
  } else {
    expect(outcome.rejectedMessages.length).toBeGreaterThan(0);
    const meterIds = outcome.messages.flatMap((m) => m.locations.map((l) => l.meterId));
    expect(meterIds.some((id) => id.startsWith('DE0002'))).toBe(false);
  }
}

const edifactAlphabet = fc.constantFrom(...`+:'?,.-0123456789UNHTZLOCQTYDMABIS \r\n\u0000\u00ff\ufffd\ud800😀`.split(''));
const edifactish = fc.array(edifactAlphabet, { maxLength: 40 }).map((chars) => chars.join(''));
const middleOffset = fc.integer({ min: MIDDLE_FROM, max: MIDDLE_TO - 1 });

describe('parseMscons under hostile input', () => {
  it('throws only MsconsError on arbitrary text, with or without a plausible start (400 inputs)', () => {
    const prefix = fc.constantFrom('', UNA, `${UNA}UNB+UNOC:3+A+B+1:1+R'`, "UNB+UNOC:3+A+B+1:1+R'UNH+1+MSCONS:D:04B:UN:2.2e'");
    fc.assert(
      fc.property(prefix, fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), edifactish, fc.string({ unit: 'grapheme', maxLength: 200 })), (start, tail) => {
        parseHostile(start + tail);
      }),
      { numRuns: 400 },
    );
  });

  it('copes with random bytes and broken UTF-8 decoded from a Buffer (200 inputs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: VALID.length }), (bytes, at) => {
        const valid = Buffer.from(VALID, 'utf8');
        const spliced = Buffer.concat([valid.subarray(0, at), Buffer.from(bytes), valid.subarray(at)]);
        parseHostile(spliced.toString('utf8'));
        parseHostile(Buffer.from(bytes).toString('latin1'));
        // The service's way in: bytes decoded by the declared character set, or refused.
        const utf8 = Buffer.from(VALID.replace('UNOC', 'UNOW'), 'utf8');
        for (const input of [spliced, Buffer.concat([utf8.subarray(0, at), Buffer.from(bytes), utf8.subarray(at)])]) {
          let text: string | null = null;
          try {
            text = decodeInterchangeBytes(input);
          } catch (error) {
            expect(error).toBeInstanceOf(MsconsError);
          }
          if (text !== null) parseHostile(text);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every truncation of a valid interchange as a whole (200 inputs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: VALID.length - 1 }), (length) => {
        const outcome = parseHostile(VALID.slice(0, length));
        expect(outcome).toBeInstanceOf(MsconsError);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a mutated message complete or absent: replaced, inserted and deleted characters (300 inputs)', () => {
    const mutation = fc.oneof(
      fc.tuple(middleOffset, edifactAlphabet).map(([at, char]) => VALID.slice(0, at) + char + VALID.slice(at + 1)),
      fc.tuple(middleOffset, edifactish).map(([at, text]) => VALID.slice(0, at) + text + VALID.slice(at)),
      fc.tuple(middleOffset, fc.integer({ min: 1, max: 30 })).map(([at, n]) => VALID.slice(0, at) + VALID.slice(Math.min(at + n, MIDDLE_TO))),
    );
    fc.assert(fc.property(mutation, checkMiddleMutation), { numRuns: 300 });
  });

  it('handles huge numbers, wrong qualifiers, missing and deeply repeated segments (200 inputs)', () => {
    const body = MIDDLE.slice(1, -1);
    const hostileSegment = fc.oneof(
      fc.stringMatching(/^[0-9]{1,60}(,[0-9]{0,40})?$/).map((n) => `QTY+220:${n}`),
      fc.constantFrom('QTY+999:1', 'QTY+:1', 'QTY+220', 'QTY+220:', 'QTY+220:1:WH', 'LOC+Z16+DE0009', 'LOC+172', 'LOC+172+' + 'X'.repeat(80)),
      fc.constantFrom('DTM+163:999999999999?+01:303', 'DTM+163:202602290000?+01:303', 'DTM+164:202603010000?+99:303', 'DTM+163::303', 'DTM+163:202603010000', 'DTM+999:1:1'),
      fc.constantFrom('UNS+D', 'NAD+MS+X', 'STS+Z31', 'LIN', 'PIA+5', 'A', '', '???', 'UNH', 'UNT'),
    );
    const edit = fc.oneof(
      fc.tuple(fc.nat(), hostileSegment).map(([k, segment]) => {
        const segments = [...body];
        segments.splice(k % (segments.length + 1), 0, segment);
        return segments;
      }),
      fc.tuple(fc.nat(), hostileSegment).map(([k, segment]) => body.map((s, i) => (i === k % body.length ? segment : s))),
      fc.nat().map((k) => body.filter((_, i) => i !== k % body.length)),
      fc.tuple(fc.nat(), fc.integer({ min: 2, max: 5_000 })).map(([k, times]) => {
        const segments = [...body];
        const repeated = segments[k % segments.length];
        segments.splice(k % segments.length, 0, ...new Array<string>(times).fill(repeated));
        return segments;
      }),
    );
    fc.assert(
      fc.property(edit, fc.boolean(), (segments, fixCount) => {
        // With the UNT count fixed, the message passes the envelope check and the content rules decide.
        const middle = ['UNH+M2+MSCONS:D:04B:UN:2.2e', ...segments, `UNT+${fixCount ? segments.length + 2 : MIDDLE.length}+M2`];
        checkMiddleMutation(interchangeText([OUTER_FIRST, middle, OUTER_LAST], UNA));
      }),
      { numRuns: 200 },
    );
  });

  it('stays linear and bounded on large hostile interchanges', () => {
    const manyConflicts = messageSegments('C', [
      'LOC+172+DE0001',
      ...Array.from({ length: 20_000 }, (_, k) => [`QTY+220:${k}`, 'DTM+163:202603010000?+00:303', 'DTM+164:202603010015?+00:303']).flat(),
    ]);
    // CPU time, not wall time: a quadratic parser burns minutes of CPU here, while a shared,
    // loaded machine only stretches the wall clock.
    const cpuBefore = process.cpuUsage();
    const conflicts = parseMscons(interchangeText([manyConflicts], UNA));
    expect(conflicts.messages[0].locations[0].intervals).toEqual([]);
    expect(conflicts.messages[0].locations[0].quarantined).toHaveLength(20_000);
    const orphanQuantities = messageSegments('Q', ['LOC+172+DE0001', ...new Array<string>(200_000).fill('QTY+220:1')]);
    const orphans = parseMscons(interchangeText([orphanQuantities], UNA));
    expect(orphans.rejectedMessages[0].error.code).toBe('MISSING_INTERVAL_DATE');
    const escapes = `${UNA}UNB+UNOC:3+A+B+1:1+R'${'?'.repeat(1_000_001)}`;
    expect(() => parseMscons(escapes)).toThrow(MsconsError);
    const cpu = process.cpuUsage(cpuBefore);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(5_000);
  });
});
