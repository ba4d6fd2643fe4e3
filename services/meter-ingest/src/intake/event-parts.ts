/** Splits a list into parts of at most `size` (see MAX_*_PER_EVENT in meter.events.ts). */
export function inParts<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}

/** Part fields and id parts: a single part keeps the plain id and carries no part fields. */
export function partOf(index: number, count: number): { fields: { part?: number; parts?: number }; idSuffix: string[] } {
  return count === 1 ? { fields: {}, idSuffix: [] } : { fields: { part: index + 1, parts: count }, idSuffix: [`part-${index + 1}`] };
}
