import { meterPointIdProblem } from '@gridledger/domain';
import { DateTimeFormatCode, isSupportedDateTimeFormat, parseEdifactDateTime } from './edifact-datetime';
import { EdifactSegment } from './edifact-segment-reader';
import { missingRanges } from './declared-coverage';
import { alignSeries, StatedSeries } from './interval-alignment';
import { parseKwhToWh } from './kwh-decimal';
import { isTag, optionalComponent, ref, requiredComponent } from './edifact-segment-fields';
import { MsconsError, printable } from './mscons.error';
import { IntervalQuality, MsconsLocation, MsconsMessage } from './mscons.types';
import { PeriodIdFormatter } from './period-id-formatter';

interface SeriesDraft {
  obis: string | null;
  readonly stated: StatedSeries;
}

interface LocationDraft {
  readonly meterId: string;
  readonly segmentNumber: number;
  declaredStartMs: number | null;
  declaredEndMs: number | null;
  readonly series: SeriesDraft[];
}

const FIELD_DTM_VALUE = 'DTM C507.2380 (date/time value)';
const FIELD_DTM_FORMAT = 'DTM C507.2379 (date/time format code)';
const FIELD_QTY_VALUE = 'QTY C186.6060 (quantity)';

/**
 * Collects one message (UNH … UNT). Nothing leaves the builder until `finish` has checked the
 * UNT segment count and reference, so a message that fails contributes no values at all.
 * The MSCONS structure read: LOC+172 (metering point) opens a location; DTM+163/164 right
 * after it state the location's period; LIN (+PIA+5 product id, usually OBIS) opens a line
 * item; each QTY opens a value whose DTM+163 (start) and DTM+164 (end) follow it. Other
 * segments (NAD, RFF, CCI, STS, …) carry nothing this system settles and are passed over.
 */
export class MsconsMessageBuilder {
  readonly reference: string;
  private documentNumber: string | null = null;
  private segmentCount = 1;
  private readonly locations: LocationDraft[] = [];
  private location: LocationDraft | null = null;
  private series: SeriesDraft | null = null;
  // The open QTY, kept in fields rather than an object: this runs once per value.
  private qtySegment = 0;
  private qtyQualifier = '';
  private qtyQuality: IntervalQuality | null = null;
  private qtyEnergy = 0n;
  private qtyStart = Number.NaN;
  private qtyEnd = Number.NaN;
  private lastDateValue = '';
  private lastDateFormat = '';
  private lastDateMs = Number.NaN;

  constructor(
    readonly header: EdifactSegment,
    private readonly decimalMark: ',' | '.',
    private readonly periodMs: number,
    private readonly formatter: PeriodIdFormatter,
  ) {
    this.reference = requiredComponent(header, 0, 0, 'UNH 0062 (message reference)', 14);
    const type = requiredComponent(header, 1, 0, 'UNH S009.0065 (message type)', 6);
    if (type !== 'MSCONS') {
      throw new MsconsError('UNSUPPORTED_MESSAGE_TYPE', ref(header), 'UNH S009.0065 (message type)', `"${printable(type)}" is not MSCONS`);
    }
  }

  /** Takes one segment of the message body (everything after UNH, before UNT). */
  accept(segment: EdifactSegment): void {
    this.segmentCount += 1;
    switch (segment.tag) {
      case 'QTY':
        this.closeQuantity();
        this.openQuantity(segment);
        return;
      case 'DTM':
        this.date(segment);
        return;
      case 'LOC':
        this.closeQuantity();
        this.openLocation(segment);
        return;
      case 'LIN':
        this.closeQuantity();
        if (this.location === null) throw outOfPlace(segment, 'LIN before any LOC+172 metering point');
        this.series = { obis: null, stated: new StatedSeries() };
        this.location.series.push(this.series);
        return;
      case 'PIA':
        this.productId(segment);
        return;
      case 'BGM':
        this.documentNumber = optionalComponent(segment, 1, 0, 'BGM C106.1004 (document number)', 70);
        return;
      default:
        if (!isTag(segment.tag)) {
          throw new MsconsError('BAD_SEGMENT_TAG', ref(segment), 'segment tag', `"${printable(segment.tag)}" is not a segment tag`);
        }
    }
  }

  /** Checks UNT and returns the message; throws if the message is inconsistent. */
  finish(trailer: EdifactSegment): MsconsMessage {
    this.segmentCount += 1;
    this.closeQuantity();
    const countText = requiredComponent(trailer, 0, 0, 'UNT 0074 (number of segments)', 10);
    if (!/^[0-9]+$/.test(countText) || Number(countText) !== this.segmentCount) {
      throw new MsconsError(
        'UNT_COUNT_MISMATCH',
        ref(trailer),
        'UNT 0074 (number of segments)',
        `UNT says "${printable(countText)}" segments but message ${printable(this.reference)} has ${this.segmentCount} (UNH to UNT)`,
      );
    }
    const reference = requiredComponent(trailer, 1, 0, 'UNT 0062 (message reference)', 14);
    if (reference !== this.reference) {
      throw new MsconsError('MESSAGE_REFERENCE_MISMATCH', ref(trailer), 'UNT 0062 (message reference)', `"${printable(reference)}" does not match UNH "${printable(this.reference)}"`);
    }
    const locations: MsconsLocation[] = [];
    for (const location of this.locations) {
      const declaredStart = location.declaredStartMs === null ? null : this.formatter.instant(location.declaredStartMs);
      const declaredEnd = location.declaredEndMs === null ? null : this.formatter.instant(location.declaredEndMs);
      for (const series of location.series) {
        const aligned = alignSeries(series.stated, this.periodMs, this.formatter);
        locations.push({
          meterId: location.meterId,
          obis: series.obis,
          segmentNumber: location.segmentNumber,
          declaredStart,
          declaredEnd,
          ...aligned,
          missing: missingRanges(aligned.intervals, location.declaredStartMs, location.declaredEndMs, this.periodMs, this.formatter),
        });
      }
    }
    return { reference: this.reference, documentNumber: this.documentNumber, segmentNumber: this.header.number, locations };
  }

  private openLocation(segment: EdifactSegment): void {
    const qualifier = requiredComponent(segment, 0, 0, 'LOC 3227 (location function code qualifier)', 3);
    if (qualifier !== '172') {
      throw new MsconsError('UNSUPPORTED_QUALIFIER', ref(segment), 'LOC 3227 (location function code qualifier)', `"${printable(qualifier)}" is not 172 (metering point)`);
    }
    const meterId = requiredComponent(segment, 1, 0, 'LOC C517.3225 (metering point id)', 35);
    const problem = meterPointIdProblem(meterId);
    if (problem !== null) {
      throw new MsconsError('MALFORMED_METER_ID', ref(segment), 'LOC C517.3225 (metering point id)', `"${printable(meterId)}" ${problem}`);
    }
    this.location = { meterId, segmentNumber: segment.number, declaredStartMs: null, declaredEndMs: null, series: [] };
    this.locations.push(this.location);
    this.series = null;
  }

  private productId(segment: EdifactSegment): void {
    if (this.series === null || this.series.stated.length > 0) return;
    const qualifier = optionalComponent(segment, 0, 0, 'PIA 4347 (product identifier code qualifier)', 3);
    if (qualifier !== '5') return;
    this.series.obis = requiredComponent(segment, 1, 0, 'PIA C212.7140 (item identifier)', 35);
  }

  private openQuantity(segment: EdifactSegment): void {
    const location = this.location;
    if (location === null) throw outOfPlace(segment, 'QTY before any LOC+172 metering point');
    if (this.series === null) {
      this.series = { obis: null, stated: new StatedSeries() };
      location.series.push(this.series);
    }
    const qualifier = requiredComponent(segment, 0, 0, 'QTY C186.6063 (quantity type code qualifier)', 3);
    const quantity = requiredComponent(segment, 0, 1, FIELD_QTY_VALUE, 35);
    const unit = segment.elements[0].length > 2 ? segment.elements[0][2] : '';
    if (unit !== '' && unit !== 'KWH') {
      throw new MsconsError('UNSUPPORTED_UNIT', ref(segment), 'QTY C186.6411 (measurement unit code)', `"${printable(unit)}" is not KWH`);
    }
    const parsed = parseKwhToWh(quantity, this.decimalMark);
    if (!parsed.ok) throw new MsconsError('MALFORMED_NUMBER', ref(segment), FIELD_QTY_VALUE, parsed.reason);
    this.qtySegment = segment.number;
    this.qtyQuality = qualityOf(qualifier);
    this.qtyQualifier = this.qtyQuality === null ? qualifier : QUALIFIER_OF[this.qtyQuality];
    this.qtyEnergy = parsed.wh;
    this.qtyStart = Number.NaN;
    this.qtyEnd = Number.NaN;
  }

  private closeQuantity(): void {
    if (this.qtySegment === 0) return;
    const segment = { number: this.qtySegment, tag: 'QTY' };
    if (Number.isNaN(this.qtyStart)) {
      throw new MsconsError('MISSING_INTERVAL_DATE', segment, 'DTM+163 (interval start)', 'the value has no start date');
    }
    if (Number.isNaN(this.qtyEnd)) {
      throw new MsconsError('MISSING_INTERVAL_DATE', segment, 'DTM+164 (interval end)', 'the value has no end date');
    }
    this.series?.stated.push(this.qtySegment, this.qtyStart, this.qtyEnd, this.qtyEnergy, this.qtyQualifier, this.qtyQuality);
    this.qtySegment = 0;
  }

  private date(segment: EdifactSegment): void {
    const location = this.location;
    if (location === null) return;
    const qualifier = segment.elements.length > 0 ? segment.elements[0][0] : '';
    if (qualifier !== '163' && qualifier !== '164') return;
    const instant = this.instantOf(segment);
    if (this.qtySegment !== 0) {
      if (qualifier === '163') {
        if (!Number.isNaN(this.qtyStart)) throw duplicateDate(segment, 'DTM+163 (interval start)');
        this.qtyStart = instant;
      } else {
        if (!Number.isNaN(this.qtyEnd)) throw duplicateDate(segment, 'DTM+164 (interval end)');
        this.qtyEnd = instant;
      }
    } else if (this.series === null) {
      // Right after LOC, before any line item: the period the location's data covers.
      if (qualifier === '163') {
        if (location.declaredStartMs !== null) throw duplicateDate(segment, 'DTM+163 (location period start)');
        location.declaredStartMs = instant;
      } else {
        if (location.declaredEndMs !== null) throw duplicateDate(segment, 'DTM+164 (location period end)');
        location.declaredEndMs = instant;
      }
    } else {
      // Inside a line item a date without its QTY would be a value silently lost.
      throw outOfPlace(segment, `DTM+${qualifier} inside a line item follows no QTY`);
    }
  }

  private instantOf(segment: EdifactSegment): number {
    const value = requiredComponent(segment, 0, 1, FIELD_DTM_VALUE, 35);
    const format = requiredComponent(segment, 0, 2, FIELD_DTM_FORMAT, 3);
    if (!isSupportedDateTimeFormat(format)) {
      throw new MsconsError('MALFORMED_TIMESTAMP', ref(segment), FIELD_DTM_FORMAT, `format code "${printable(format)}" is not supported (303, 203, 204)`);
    }
    // A value's end is usually the next value's start: parse each instant once.
    if (value === this.lastDateValue && format === this.lastDateFormat) return this.lastDateMs;
    const parsed = parseEdifactDateTime(value, format as DateTimeFormatCode);
    if (!parsed.ok) throw new MsconsError('MALFORMED_TIMESTAMP', ref(segment), FIELD_DTM_VALUE, printable(parsed.reason, 120));
    this.lastDateValue = value;
    this.lastDateFormat = format;
    this.lastDateMs = parsed.epochMs;
    return parsed.epochMs;
  }
}

/**
 * QTY qualifiers (6063) as the German market uses them (checked against BO4E's Messwertstatus
 * code list, which maps each status to its MSCONS qualifier): 220 "Wahrer Wert" (true value), 67 "Ersatzwert" (substituted),
 * 201 "Vorschlagswert" (proposed value, settled as estimated). Others (20 not usable,
 * 187 forecast, 79 summed, Z18 provisional, …) are not settled: null, and quarantined.
 */
const QUALIFIER_OF: Readonly<Record<IntervalQuality, string>> = { measured: '220', substituted: '67', estimated: '201' };

function qualityOf(qualifier: string): IntervalQuality | null {
  switch (qualifier) {
    case '220':
      return 'measured';
    case '67':
      return 'substituted';
    case '201':
      return 'estimated';
    default:
      return null;
  }
}

function outOfPlace(segment: EdifactSegment, reason: string): MsconsError {
  return new MsconsError('SEGMENT_OUT_OF_PLACE', ref(segment), `${segment.tag} position in the message`, reason);
}

function duplicateDate(segment: EdifactSegment, field: string): MsconsError {
  return new MsconsError('DUPLICATE_DATE', ref(segment), field, 'appears twice for the same value');
}
