import { MsconsIntervalValue, MsconsMissingRange } from './mscons.types';
import { PeriodIdFormatter } from './period-id-formatter';

/**
 * The periods of a location's declared range (DTM+163/164 after LOC) that have no accepted
 * value: quarantined, or never sent. Reported as ranges, so a hostile declared range of
 * centuries costs nothing. Needs both ends; `intervals` must be sorted by period.
 */
export function missingRanges(
  intervals: readonly MsconsIntervalValue[],
  declaredStartMs: number | null,
  declaredEndMs: number | null,
  periodMs: number,
  formatter: PeriodIdFormatter,
): MsconsMissingRange[] {
  if (declaredStartMs === null || declaredEndMs === null) return [];
  const first = Math.ceil(declaredStartMs / periodMs) * periodMs;
  const end = Math.floor(declaredEndMs / periodMs) * periodMs;
  const ranges: MsconsMissingRange[] = [];
  let expected = first;
  const close = (upTo: number): void => {
    if (upTo > expected) ranges.push({ from: formatter.periodId(expected), to: formatter.instant(upTo), periods: (upTo - expected) / periodMs });
  };
  for (const value of intervals) {
    if (value.periodStartMs < expected) continue;
    if (value.periodStartMs >= end) break;
    close(value.periodStartMs);
    expected = value.periodStartMs + periodMs;
  }
  close(end);
  return ranges;
}
