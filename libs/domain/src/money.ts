/**
 * Money is an integer number of minor units (euro cents) as bigint. One rounding rule for
 * the whole system: round half away from zero ("kaufmännisches Runden"), applied once, at
 * the point where an energy amount is priced.
 */
export type MinorUnits = bigint;

/** A price in minor units per MWh (e.g. 12_345n = 123.45 €/MWh). */
export type PricePerMWh = bigint;

const WH_PER_MWH = 1_000_000n;

/**
 * The largest price magnitude any service accepts: 10^9 cents/MWh (10 M€/MWh, a thousand
 * times any market's cap), so priced amounts fit Postgres bigint (see libs/settlement limits.ts).
 */
export const MAX_ABS_PRICE_PER_MWH: PricePerMWh = 10n ** 9n;

/** Why a price is out of bounds, or undefined. */
export function priceProblem(price: PricePerMWh): string | undefined {
  return price > MAX_ABS_PRICE_PER_MWH || price < -MAX_ABS_PRICE_PER_MWH ? `magnitude must be at most ${MAX_ABS_PRICE_PER_MWH} cents/MWh (10^9)` : undefined;
}

/** numerator / denominator rounded half away from zero; denominator must be positive. */
export function divideRoundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const quotient = (abs * 2n + denominator) / (denominator * 2n);
  return negative ? -quotient : quotient;
}

/** The value of `wh` at `price` (minor units per MWh), rounded by the system's one rule. */
export function priceEnergy(wh: bigint, price: PricePerMWh): MinorUnits {
  return divideRoundHalfAwayFromZero(wh * price, WH_PER_MWH);
}

const DECIMAL_PRICE = /^(-?)([0-9]{1,12})(?:\.([0-9]{1,2}))?$/;

/** Parses "123.45" (€/MWh, at most two decimals) to minor units per MWh. */
export function parsePricePerMWh(input: string): PricePerMWh {
  const match = DECIMAL_PRICE.exec(input);
  if (!match) throw new RangeError(`invalid price "${input}": must be a decimal with at most two fraction digits`);
  const [, sign, whole, fraction = ''] = match;
  const value = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -value : value;
}

export function formatMinorUnits(value: MinorUnits): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}
