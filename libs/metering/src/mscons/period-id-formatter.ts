import { formatInstant } from '@gridledger/domain';

const DAY_MS = 86_400_000;
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/**
 * Formats period ids ("2015-12-01T06:15:00Z") like the domain's `formatInstant`, but caches
 * the date part of the last day: a load profile names 96 periods a day, and building a Date
 * and a regular expression per value was the largest cost of parsing.
 */
export class PeriodIdFormatter {
  private dayStart = Number.NaN;
  private dayPrefix = '';

  periodId(epochMs: number): string {
    const dayStart = Math.floor(epochMs / DAY_MS) * DAY_MS;
    const inDay = epochMs - dayStart;
    if (inDay % 60_000 !== 0) return formatInstant(epochMs);
    if (dayStart !== this.dayStart) {
      this.dayStart = dayStart;
      this.dayPrefix = formatInstant(dayStart).slice(0, 11);
    }
    const minutes = inDay / 60_000;
    return `${this.dayPrefix}${TWO_DIGITS[Math.floor(minutes / 60)]}:${TWO_DIGITS[minutes % 60]}:00Z`;
  }

  /** Any instant, for messages about stated (possibly irregular) times. */
  instant(epochMs: number): string {
    return formatInstant(epochMs);
  }
}
