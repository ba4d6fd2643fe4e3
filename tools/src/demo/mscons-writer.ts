import { whToKwh } from '@gridledger/domain';

/**
 * Writes an EDIFACT MSCONS load-profile interchange the way a head-end system does: UNA with
 * a decimal comma, one message per location, QTY+220 in kWh with three decimals, DTM+163/164
 * in local time with the offset (format 303, `?+01`). The demo uploads it through the same
 * door as any MPO file.
 */
export interface MsconsSeries {
  readonly meterId: string;
  readonly values: readonly { readonly periodStartMs: number; readonly energyWh: bigint }[];
}

export function writeMscons(reference: string, sender: string, createdMs: number, series: readonly MsconsSeries[], offsetHours = 1): string {
  const segments: string[] = [];
  const stamp = edifactStamp(createdMs, offsetHours);
  segments.push(`UNB+UNOC:3+${sender}:500+GRIDLEDGER:500+${stamp.slice(2, 8)}:${stamp.slice(8, 12)}+${reference}'`);
  series.forEach((location, index) => {
    const body: string[] = [];
    body.push(`UNH+${index + 1}+MSCONS:D:04B:UN:2.2e'`);
    body.push(`BGM+7+${reference}-${index + 1}+9'`);
    body.push(`DTM+137:${stamp}?+0${offsetHours}:303'`);
    body.push(`NAD+MS+${sender}::293'`);
    body.push(`UNS+D'`);
    body.push(`NAD+DP'`);
    body.push(`LOC+172+${location.meterId}'`);
    if (location.values.length > 0) {
      const first = location.values[0].periodStartMs;
      const last = location.values[location.values.length - 1].periodStartMs + 15 * 60_000;
      body.push(`DTM+163:${edifactStamp(first, offsetHours)}?+0${offsetHours}:303'`);
      body.push(`DTM+164:${edifactStamp(last, offsetHours)}?+0${offsetHours}:303'`);
    }
    body.push(`LIN+1'`);
    body.push(`PIA+5+1-1?:1.29.0:SRW'`);
    for (const value of location.values) {
      body.push(`QTY+220:${whToKwh(value.energyWh).replace('.', ',')}'`);
      body.push(`DTM+163:${edifactStamp(value.periodStartMs, offsetHours)}?+0${offsetHours}:303'`);
      body.push(`DTM+164:${edifactStamp(value.periodStartMs + 15 * 60_000, offsetHours)}?+0${offsetHours}:303'`);
    }
    body.push(`UNT+${body.length + 1}+${index + 1}'`);
    segments.push(...body);
  });
  segments.push(`UNZ+${series.length}+${reference}'`);
  return `UNA:+,? '${segments.join('')}`;
}

/** CCYYMMDDHHMM in local time at a fixed offset. */
function edifactStamp(utcMs: number, offsetHours: number): string {
  const local = new Date(utcMs + offsetHours * 3_600_000).toISOString();
  return `${local.slice(0, 4)}${local.slice(5, 7)}${local.slice(8, 10)}${local.slice(11, 13)}${local.slice(14, 16)}`;
}
