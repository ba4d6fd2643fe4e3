import { formatInstant } from '@gridledger/domain';

const DAY_MS = 86_400_000;
const MAX_CACHED = 65_536;
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/**
 * Formats period ids ("2015-12-01T06:15:00Z") like the domain's `formatInstant`, faster: a
 * file names the same periods for every location, so ids are cached by instant and shared
 * (one string per period, not per value), and new ones are built from a cached day prefix
 * instead of a Date and a regular expression. The cache is bounded.
 */
export class PeriodIdFormatter {
  private readonly cache = new Map<number, string>();
  private dayStart = Number.NaN;
  private dayPrefix = '';

  periodId(epochMs: number): string {
    const cached = this.cache.get(epochMs);
    if (cached !== undefined) return cached;
    const id = this.build(epochMs);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(epochMs, id);
    return id;
  }

  /** Any instant, for messages about stated (possibly irregular) times. */
  instant(epochMs: number): string {
    return formatInstant(epochMs);
  }

  private build(epochMs: number): string {
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
}
