import { DEFAULT_PERIOD_LENGTH, PeriodLength, periodLengthMs } from '@gridledger/domain';
import { EdifactSegment, EdifactSegmentReader } from './edifact-segment-reader';
import { readServiceCharacters } from './edifact-syntax';
import { isTag, ref, requiredComponent } from './edifact-segment-fields';
import { MsconsMessageBuilder } from './mscons-message.builder';
import { MsconsError, printable } from './mscons.error';
import { MsconsInterchange, MsconsMessage, MsconsRejectedMessage } from './mscons.types';
import { PeriodIdFormatter } from './period-id-formatter';

export interface MsconsParseOptions {
  /** The settlement period the values are put on; PT15M unless said otherwise. */
  readonly periodLength?: PeriodLength;
  /** Refuse longer texts outright (bounded work). Default 256 Mi characters. */
  readonly maxInputChars?: number;
  /** Refuse interchanges with more segments. Default 5,000,000 (about 1.6 M values). */
  readonly maxSegments?: number;
  /** Refuse longer segments. Default 2,048 characters; MSCONS segments are far shorter. */
  readonly maxSegmentChars?: number;
}

export const MSCONS_DEFAULT_LIMITS = { maxInputChars: 256 * 1024 * 1024, maxSegments: 5_000_000, maxSegmentChars: 2_048 } as const;

/**
 * Parses an EDIFACT MSCONS interchange (load profiles: LOC+172, QTY, DTM+163/164) into
 * per-period values in integer Wh on the UTC period grid.
 *
 * Failure is per unit of transmission:
 * - the interchange envelope (UNA, UNB … UNZ, limits, truncation) is all or nothing: a broken
 *   envelope throws MsconsError and nothing is returned, so a truncated upload is refused
 *   whole and can be re-sent;
 * - each message (UNH … UNT) is all or nothing: an error inside it puts it in
 *   `rejectedMessages` with the error and none of its values in `messages`;
 * - inside an accepted message, values that cannot be put on the grid as stated are realigned
 *   or quarantined by the rule in interval-alignment.ts, each one reported.
 * It throws nothing but MsconsError, and its work is linear in the input, which is capped.
 */
export function parseMscons(text: string, options: MsconsParseOptions = {}): MsconsInterchange {
  if (typeof text !== 'string') throw new MsconsError('EMPTY_INTERCHANGE', null, 'interchange', 'the interchange must be text');
  const maxInputChars = options.maxInputChars ?? MSCONS_DEFAULT_LIMITS.maxInputChars;
  if (text.length > maxInputChars) {
    throw new MsconsError('INPUT_TOO_LARGE', null, 'interchange length', `${text.length} characters, at most ${maxInputChars} accepted`);
  }
  const periodMs = periodLengthMs(options.periodLength ?? DEFAULT_PERIOD_LENGTH);
  const limits = {
    maxSegments: options.maxSegments ?? MSCONS_DEFAULT_LIMITS.maxSegments,
    maxSegmentChars: options.maxSegmentChars ?? MSCONS_DEFAULT_LIMITS.maxSegmentChars,
  };
  const start = skipLeadingBlanks(text);
  if (start >= text.length) throw new MsconsError('EMPTY_INTERCHANGE', null, 'interchange', 'the text holds no segments');
  const { chars, next } = readServiceCharacters(text, start);
  const reader = new EdifactSegmentReader(text, next, chars, limits);
  const formatter = new PeriodIdFormatter();

  const header = reader.next();
  if (header === null || header.tag !== 'UNB') {
    throw new MsconsError('MISSING_UNB', header ? ref(header) : null, 'UNB (interchange header)', 'an interchange starts with UNB (after an optional UNA)');
  }
  checkLength(header, limits.maxSegmentChars);
  const syntax = requiredComponent(header, 0, 0, 'UNB S001.0001 (syntax identifier)', 4);
  const version = requiredComponent(header, 0, 1, 'UNB S001.0002 (syntax version)', 1);
  const sender = requiredComponent(header, 1, 0, 'UNB S002.0004 (sender identification)', 35);
  const recipient = requiredComponent(header, 2, 0, 'UNB S003.0010 (recipient identification)', 35);
  const controlReference = requiredComponent(header, 4, 0, 'UNB 0020 (interchange control reference)', 14);

  const messages: MsconsMessage[] = [];
  const rejectedMessages: MsconsRejectedMessage[] = [];
  let messageCount = 0;
  let open: MsconsMessageBuilder | null = null;
  let failed: { reference: string | null; segmentNumber: number } | null = null;

  for (;;) {
    const segment = reader.next();
    if (segment === null) {
      throw new MsconsError('MISSING_UNZ', null, 'UNZ (interchange trailer)', `the interchange ends after segment ${reader.segmentsRead} without UNZ (truncated?)`);
    }
    const envelopeTag = segment.tag === 'UNH' || segment.tag === 'UNZ' || segment.tag === 'UNB';
    if (open !== null || failed !== null) {
      if (envelopeTag) {
        // The previous message never reached its UNT.
        const reference = open !== null ? open.reference : failed?.reference ?? null;
        const segmentNumber = open !== null ? open.header.number : failed?.segmentNumber ?? 0;
        if (open !== null) {
          rejectedMessages.push({ reference, segmentNumber, error: new MsconsError('MISSING_UNT', ref(segment), 'UNT (message trailer)', `message ${printable(reference ?? '?')} is not closed by UNT before ${segment.tag}`) });
        }
        open = null;
        failed = null;
      } else if (failed !== null) {
        if (segment.tag === 'UNT') failed = null;
        continue;
      } else if (open !== null) {
        const builder: MsconsMessageBuilder = open;
        try {
          checkLength(segment, limits.maxSegmentChars);
          if (segment.tag === 'UNT') {
            messages.push(builder.finish(segment));
            open = null;
          } else {
            builder.accept(segment);
          }
        } catch (error) {
          if (!(error instanceof MsconsError)) throw error;
          rejectedMessages.push({ reference: builder.reference, segmentNumber: builder.header.number, error });
          open = null;
          failed = segment.tag === 'UNT' ? null : { reference: builder.reference, segmentNumber: builder.header.number };
        }
        continue;
      }
    }
    checkLength(segment, limits.maxSegmentChars);
    if (segment.tag === 'UNH') {
      messageCount += 1;
      try {
        open = new MsconsMessageBuilder(segment, chars.decimalMark, periodMs, formatter);
      } catch (error) {
        if (!(error instanceof MsconsError)) throw error;
        const reference = segment.elements.length > 0 ? segment.elements[0][0] || null : null;
        rejectedMessages.push({ reference, segmentNumber: segment.number, error });
        failed = { reference, segmentNumber: segment.number };
      }
      continue;
    }
    if (segment.tag === 'UNZ') {
      checkTrailer(segment, messageCount, controlReference);
      const after = reader.next();
      if (after !== null) {
        throw new MsconsError('DATA_AFTER_UNZ', ref(after), 'segment tag', 'segments follow the interchange trailer UNZ');
      }
      return {
        serviceCharacters: chars,
        syntaxIdentifier: `${syntax}:${version}`,
        sender,
        recipient,
        controlReference,
        messages,
        rejectedMessages,
        segmentCount: reader.segmentsRead,
      };
    }
    if (!isTag(segment.tag)) {
      throw new MsconsError('BAD_SEGMENT_TAG', ref(segment), 'segment tag', `"${printable(segment.tag)}" is not a segment tag`);
    }
    throw new MsconsError('SEGMENT_OUTSIDE_MESSAGE', ref(segment), 'segment tag', `${segment.tag} stands outside any UNH … UNT message`);
  }
}

function checkTrailer(trailer: EdifactSegment, messageCount: number, controlReference: string): void {
  const countText = requiredComponent(trailer, 0, 0, 'UNZ 0036 (interchange control count)', 6);
  if (!/^[0-9]+$/.test(countText) || Number(countText) !== messageCount) {
    throw new MsconsError('UNZ_COUNT_MISMATCH', ref(trailer), 'UNZ 0036 (interchange control count)', `UNZ counts "${printable(countText)}" messages, the interchange has ${messageCount}`);
  }
  const reference = requiredComponent(trailer, 1, 0, 'UNZ 0020 (interchange control reference)', 14);
  if (reference !== controlReference) {
    throw new MsconsError('CONTROL_REFERENCE_MISMATCH', ref(trailer), 'UNZ 0020 (interchange control reference)', `"${printable(reference)}" does not match UNB "${printable(controlReference)}"`);
  }
}

function checkLength(segment: EdifactSegment, maxSegmentChars: number): void {
  if (segment.rawLength > maxSegmentChars) {
    throw new MsconsError('SEGMENT_TOO_LONG', ref(segment), 'segment length', `${segment.rawLength} characters, at most ${maxSegmentChars} accepted`);
  }
}

/** A byte-order mark and blank lines before UNA/UNB are common in files and carry nothing. */
function skipLeadingBlanks(text: string): number {
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== 0xfeff && code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
    index += 1;
  }
  return index;
}
