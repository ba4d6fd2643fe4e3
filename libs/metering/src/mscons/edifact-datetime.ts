/**
 * EDIFACT date/time values (data element 2380) to UTC instants, for the format codes
 * (2379) MSCONS load profiles use:
 *   303  CCYYMMDDHHMMZZZ  local time with its UTC offset, e.g. `201512010000+01`
 *                         (in the file `201512010000?+01`: the release character escapes the +)
 *   203  CCYYMMDDHHMM     no offset: read as UTC, the system's time
 *   204  CCYYMMDDHHMMSS   no offset: read as UTC
 * ZZZ is a sign and two hour digits; a sign and four digits (±HHMM) is accepted too.
 * Digits are read with charCodeAt and the calendar is computed in integers, so the hot
 * path allocates nothing and compiles no regular expression.
 */
export type DateTimeFormatCode = '203' | '204' | '303';

export function isSupportedDateTimeFormat(code: string): code is DateTimeFormatCode {
  return code === '203' || code === '204' || code === '303';
}

/** The instant in epoch ms, or a reason why the value is not one. */
export type DateTimeParse = { ok: true; epochMs: number } | { ok: false; reason: string };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MAX_OFFSET_MINUTES = 14 * 60;

export function parseEdifactDateTime(value: string, format: DateTimeFormatCode): DateTimeParse {
  const expected = format === '203' ? 12 : 14;
  if (format === '303') {
    if (value.length !== 15 && value.length !== 17) return { ok: false, reason: `"${value}" is not CCYYMMDDHHMMZZZ (format 303)` };
  } else if (value.length !== expected) {
    return { ok: false, reason: `"${value}" is not ${format === '203' ? 'CCYYMMDDHHMM (format 203)' : 'CCYYMMDDHHMMSS (format 204)'}` };
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 4, 2);
  const day = digits(value, 6, 2);
  const hour = digits(value, 8, 2);
  const minute = digits(value, 10, 2);
  const second = format === '204' ? digits(value, 12, 2) : 0;
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return { ok: false, reason: `"${value}" holds a non-digit where the date and time belong` };
  }
  if (year < 1900 || year > 2999) return { ok: false, reason: `year ${year} is out of range` };
  if (month < 1 || month > 12) return { ok: false, reason: `month ${month} does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, reason: `day ${day} does not exist in ${year}-${month}` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: `time ${value.slice(8, 12)} does not exist` };
  let offsetMinutes = 0;
  if (format === '303') {
    const sign = value.charCodeAt(12);
    if (sign !== 43 && sign !== 45) return { ok: false, reason: `UTC offset "${value.slice(12)}" must start with + or -` };
    const offsetHours = digits(value, 13, 2);
    const offsetMins = value.length === 17 ? digits(value, 15, 2) : 0;
    if (offsetHours < 0 || offsetMins < 0 || offsetMins > 59) return { ok: false, reason: `UTC offset "${value.slice(12)}" is not ±HH or ±HHMM` };
    offsetMinutes = offsetHours * 60 + offsetMins;
    if (offsetMinutes > MAX_OFFSET_MINUTES) return { ok: false, reason: `UTC offset "${value.slice(12)}" is beyond ±14 hours` };
    if (sign === 45) offsetMinutes = -offsetMinutes;
  }
  const local = daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * MINUTE_MS + second * 1000;
  return { ok: true, epochMs: local - offsetMinutes * MINUTE_MS };
}

/** The non-negative integer in value[start, start+length), or -1 if any character is not a digit. */
function digits(value: string, start: number, length: number): number {
  let result = 0;
  for (let i = start; i < start + length; i += 1) {
    const code = value.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    result = result * 10 + code;
  }
  return result;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthIndex = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthIndex + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
