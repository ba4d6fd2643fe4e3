/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, arrays in order. Signer
 * and verifier serialise the same content to the same bytes, whatever key order or
 * spacing the sender used.
 */
export function canonicalJson(value: unknown): string {
  // String concatenation (V8 ropes) beats collecting parts for the many small values here.
  if (value === null || typeof value !== 'object') {
    // JSON.stringify is canonical for strings, finite numbers, booleans and null.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i += 1) text += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    text += `${first ? '' : ','}${quotedKey(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${text}}`;
}

// Batches repeat the same few keys ten thousand times: quote each once.
const quotedKeys = new Map<string, string>();
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 1_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** The body as signed: everything except the signature itself. */
export function withoutSignature(body: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(body)) if (key !== 'signature') rest[key] = body[key];
  return rest;
}
