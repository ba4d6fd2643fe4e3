/**
 * Energy is an integer number of watt-hours: bigint in code, a decimal string on the wire.
 * No float ever touches an energy value.
 */
export type WattHours = bigint;

const WH_STRING = /^-?(0|[1-9][0-9]*)$/;
/** Largest magnitude accepted from the outside: 10^18 Wh (a petawatt-hour times a thousand). */
export const MAX_ABS_WH = 10n ** 18n;

export class EnergyFormatError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid energy "${truncate(input)}": ${reason}`);
    this.name = 'EnergyFormatError';
  }
}

/** Parses a wire value (decimal string of integer Wh). */
export function parseWh(input: string): WattHours {
  if (typeof input !== 'string') throw new EnergyFormatError(String(input), 'must be a decimal string');
  if (!WH_STRING.test(input)) throw new EnergyFormatError(input, 'must be an integer number of Wh in decimal');
  const value = BigInt(input);
  if (value > MAX_ABS_WH || value < -MAX_ABS_WH) throw new EnergyFormatError(input, 'magnitude above 10^18 Wh');
  return value;
}

export function formatWh(value: WattHours): string {
  return value.toString(10);
}

/**
 * Converts a kWh decimal with at most three fraction digits to Wh exactly.
 * Accepts a decimal point or, for EDIFACT, the given decimal mark (often a comma).
 */
export function kwhToWh(input: string, decimalMark: '.' | ',' = '.'): WattHours {
  const pattern = decimalMark === ',' ? /^(-?)([0-9]+)(?:,([0-9]{1,3}))?$/ : /^(-?)([0-9]+)(?:\.([0-9]{1,3}))?$/;
  const match = pattern.exec(input);
  if (!match) {
    throw new EnergyFormatError(input, `must be kWh with at most three decimals and "${decimalMark}" as decimal mark`);
  }
  const [, sign, whole, fraction = ''] = match;
  const wh = BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0'));
  if (wh > MAX_ABS_WH) throw new EnergyFormatError(input, 'magnitude above 10^18 Wh');
  return sign === '-' ? -wh : wh;
}

/** Formats Wh as kWh with exactly three decimals ("12.345"). */
export function whToKwh(value: WattHours): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}`;
  return negative ? `-${text}` : text;
}

export function sumWh(values: Iterable<WattHours>): WattHours {
  let total = 0n;
  for (const value of values) total += value;
  return total;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
