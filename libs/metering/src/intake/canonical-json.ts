/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, arrays in order. Signer
 * and verifier serialise the same content to the same bytes, whatever key order or
 * spacing the sender used.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify is canonical for strings, finite numbers, booleans and null.
    const text = JSON.stringify(value);
    out.push(text === undefined ? 'null' : text);
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out.push(',');
      write(value[i], out);
    }
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
  out.push('{');
  for (let i = 0; i < keys.length; i += 1) {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(keys[i]), ':');
    write(record[keys[i]], out);
  }
  out.push('}');
}

/** The body as signed: everything except the signature itself. */
export function withoutSignature(body: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(body)) if (key !== 'signature') rest[key] = body[key];
  return rest;
}
