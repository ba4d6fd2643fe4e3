import { ServiceCharacters } from './edifact-syntax';
import { MsconsError } from './mscons.error';

/** One segment: its tag and its data elements, each a list of unescaped components. */
export interface EdifactSegment {
  /** Position in the interchange, 1-based; UNA is not counted. */
  readonly number: number;
  readonly tag: string;
  readonly elements: readonly (readonly string[])[];
  /** Characters of the raw segment; segments above the limit come back without elements. */
  readonly rawLength: number;
}

export interface SegmentReaderLimits {
  readonly maxSegments: number;
  readonly maxSegmentChars: number;
}

const NO_ELEMENTS: readonly (readonly string[])[] = [];

/**
 * Streams the segments of an interchange, one at a time, so memory stays flat however large
 * the file. Linear in the input: segment ends are found with indexOf, and only segments
 * that hold a release character are walked character by character.
 */
export class EdifactSegmentReader {
  private position: number;
  private count = 0;
  private readonly release: string | null;
  private readonly terminator: string;
  private readonly data: string;
  private readonly component: string;

  constructor(
    private readonly text: string,
    start: number,
    chars: ServiceCharacters,
    private readonly limits: SegmentReaderLimits,
  ) {
    this.position = start;
    this.release = chars.releaseCharacter;
    this.terminator = chars.segmentTerminator;
    this.data = chars.dataSeparator;
    this.component = chars.componentSeparator;
    this.skipLineBreaks();
  }

  get segmentsRead(): number {
    return this.count;
  }

  /** The next segment, or null at the end of the text. Throws only MsconsError. */
  next(): EdifactSegment | null {
    const text = this.text;
    if (this.position >= text.length) return null;
    const start = this.position;
    const end = this.findTerminator(start);
    if (end < 0) {
      throw new MsconsError(
        'UNTERMINATED_SEGMENT',
        { number: this.count + 1, tag: text.slice(start, start + 3) },
        'segment terminator',
        'the text ends inside a segment (truncated interchange or missing segment terminator)',
      );
    }
    this.count += 1;
    if (this.count > this.limits.maxSegments) {
      throw new MsconsError('TOO_MANY_SEGMENTS', null, 'segment count', `more than ${this.limits.maxSegments} segments`);
    }
    this.position = end + 1;
    this.skipLineBreaks();
    const rawLength = end - start;
    if (rawLength > this.limits.maxSegmentChars) {
      return { number: this.count, tag: text.slice(start, Math.min(end, start + 3)), elements: NO_ELEMENTS, rawLength };
    }
    const raw = text.slice(start, end);
    const fields = this.release !== null && raw.includes(this.release) ? this.splitEscaped(raw) : this.splitPlain(raw);
    const head = fields.shift() as string[];
    // Components in the tag position make it invalid; joining keeps that visible.
    const tag = head.length === 1 ? head[0] : head.join(this.component);
    return { number: this.count, tag, elements: fields, rawLength };
  }

  /** Index of the next unescaped terminator at or after `from`, or -1. */
  private findTerminator(from: number): number {
    const text = this.text;
    const release = this.release;
    let index = text.indexOf(this.terminator, from);
    while (index >= 0 && release !== null) {
      let releases = 0;
      for (let back = index - 1; back >= from && text[back] === release; back -= 1) releases += 1;
      if (releases % 2 === 0) return index;
      index = text.indexOf(this.terminator, index + 1);
    }
    return index;
  }

  /** Segment terminators are often followed by a line break in files; that is not data. */
  private skipLineBreaks(): void {
    const text = this.text;
    let position = this.position;
    while (position < text.length) {
      const code = text.charCodeAt(position);
      if (code !== 10 && code !== 13) break;
      position += 1;
    }
    this.position = position;
  }

  /** The segment's data elements (the tag first), each split into components. */
  private splitPlain(raw: string): string[][] {
    const fields = raw.split(this.data);
    const elements: string[][] = new Array(fields.length);
    for (let i = 0; i < fields.length; i += 1) elements[i] = fields[i].split(this.component);
    return elements;
  }

  private splitEscaped(raw: string): string[][] {
    const release = this.release;
    const data = this.data;
    const component = this.component;
    const fields: string[][] = [];
    let components: string[] = [];
    let current = '';
    let chunkStart = 0;
    let i = 0;
    while (i < raw.length) {
      const char = raw[i];
      if (char === release) {
        // A trailing release character escapes nothing; keep it as data rather than guess.
        current += raw.slice(chunkStart, i) + (i + 1 < raw.length ? raw[i + 1] : '');
        i += 2;
        chunkStart = i;
      } else if (char === component) {
        components.push(current + raw.slice(chunkStart, i));
        current = '';
        i += 1;
        chunkStart = i;
      } else if (char === data) {
        components.push(current + raw.slice(chunkStart, i));
        fields.push(components);
        components = [];
        current = '';
        i += 1;
        chunkStart = i;
      } else {
        i += 1;
      }
    }
    components.push(current + raw.slice(chunkStart, Math.min(i, raw.length)));
    fields.push(components);
    return fields;
  }
}
