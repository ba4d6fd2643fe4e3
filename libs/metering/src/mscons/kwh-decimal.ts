import { MAX_ABS_WH } from '@gridledger/domain';

/**
 * A kWh quantity as written in EDIFACT (data element 6060, an..35) to integer Wh, exactly.
 * Unlike the domain's `kwhToWh` it takes the interchange's decimal mark, accepts fraction
 * digits beyond the third when they are all zero ("1,2500" is 1250 Wh: some head-ends pad),
 * and scans characters instead of matching a regular expression, because it runs once per
 * value. Anything else (a fourth significant decimal, a sign other than a leading minus,
 * exponents, blanks) is refused with the reason.
 */
export type KwhParse = { ok: true; wh: bigint } | { ok: false; reason: string };

const MAX_SAFE_DIGITS = 15;
// Most quarter-hour values are small (PV at night is 0): share their bigints instead of allocating one per value.
const SMALL_WH: readonly bigint[] = Array.from({ length: 4_096 }, (_, n) => BigInt(n));

export function parseKwhToWh(text: string, decimalMark: ',' | '.'): KwhParse {
  const length = text.length;
  if (length === 0) return { ok: false, reason: 'the quantity is empty' };
  if (length > 35) return { ok: false, reason: 'the quantity is longer than 35 characters' };
  const mark = decimalMark.charCodeAt(0);
  let index = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) index = 1;
  const wholeStart = index;
  while (index < length && isDigit(text.charCodeAt(index))) index += 1;
  const wholeEnd = index;
  if (wholeEnd === wholeStart) return { ok: false, reason: `"${text}" must start with a digit (kWh, decimal mark "${decimalMark}")` };
  let fractionEnd = wholeEnd;
  if (index < length) {
    if (text.charCodeAt(index) !== mark) {
      return { ok: false, reason: `"${text}" is not a kWh number with "${decimalMark}" as decimal mark` };
    }
    index += 1;
    while (index < length && isDigit(text.charCodeAt(index))) index += 1;
    if (index < length || index === wholeEnd + 1) {
      return { ok: false, reason: `"${text}" is not a kWh number with "${decimalMark}" as decimal mark` };
    }
    fractionEnd = index;
  }
  const fractionStart = wholeEnd + 1;
  for (let i = fractionStart + 3; i < fractionEnd; i += 1) {
    if (text.charCodeAt(i) !== 48) return { ok: false, reason: `"${text}" has more than three decimals: not a whole number of Wh` };
  }
  // Three fraction digits, padded with zeros: the Wh below one kWh.
  let fractionWh = 0;
  for (let i = 0; i < 3; i += 1) {
    const at = fractionStart + i;
    fractionWh = fractionWh * 10 + (at < fractionEnd ? text.charCodeAt(at) - 48 : 0);
  }
  let wh: bigint;
  if (wholeEnd - wholeStart + 3 <= MAX_SAFE_DIGITS) {
    let whole = 0;
    for (let i = wholeStart; i < wholeEnd; i += 1) whole = whole * 10 + (text.charCodeAt(i) - 48);
    const value = whole * 1000 + fractionWh;
    wh = value < SMALL_WH.length ? SMALL_WH[value] : BigInt(value);
  } else {
    wh = BigInt(text.slice(wholeStart, wholeEnd)) * 1000n + BigInt(fractionWh);
    if (wh > MAX_ABS_WH) return { ok: false, reason: `"${text.slice(0, 40)}" kWh is above 10^18 Wh` };
  }
  return { ok: true, wh: negative ? -wh : wh };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
