import fc from 'fast-check';
import { problemShapeFaults } from './problem-details';
import { waitFor } from './wait-for';

/**
 * Generated hostile inputs (fast-check) for the services' hostile-input suites: request
 * bodies and stream messages that must each be refused with a clear 4xx problem (or a dead
 * letter) naming the field and the reason, without a crash and without a write. Every case is
 * hostile by construction (never a valid input by chance), generated from a fixed seed so a
 * failure replays.
 */
export interface HostileCase {
  readonly what: string;
  readonly body: Buffer;
}

/** Values no field of ours accepts: booleans, null, objects, arrays (strings and numbers may be valid somewhere). */
export const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }), fc.array(fc.integer(), { maxLength: 3 }));

/** Integer texts beyond `max` (or below zero), in every spelling an attacker might try. */
export function outOfBoundIntegerText(max: bigint, options: { allowNegative?: boolean } = {}): fc.Arbitrary<string> {
  const beyond = fc.bigInt({ min: max + 1n, max: max * 10n ** 20n + 10n ** 30n }).map(String);
  const below = fc.bigInt({ min: -(10n ** 30n), max: options.allowNegative ? -max - 1n : -1n }).map(String);
  const malformed = fc.constantFrom('1e400', '9'.repeat(400), '1.5', '0x10', ' 10', '10 ', '', 'NaN', 'Infinity', '１０', '1_000', '+5', '--1', '00', '9223372036854775807', '18446744073709551615', '-9223372036854775809');
  return fc.oneof(beyond, below, malformed);
}

/** Period ids that are not periods, or are far outside any window: long ago, far ahead, misaligned, impossible dates. */
export function hostilePeriodId(nowMs: number, window: { pastMs: number; aheadMs: number }): fc.Arbitrary<string> {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const quarter = 900_000;
  const farPast = fc.integer({ min: Date.parse('1970-01-01T00:00:00Z') / quarter, max: Math.floor((nowMs - window.pastMs) / quarter) - 1 }).map((q) => iso(q * quarter));
  const farFuture = fc.integer({ min: Math.ceil((nowMs + window.aheadMs) / quarter) + 1, max: Date.parse('9999-12-31T00:00:00Z') / quarter }).map((q) => iso(q * quarter));
  const misaligned = fc.integer({ min: 1, max: 14 }).map((minute) => iso(Math.floor(nowMs / quarter) * quarter + minute * 60_000));
  const malformed = fc.constantFrom('2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', '2026-11-24', '2026-11-24T12:00:00+01:00', '2026-11-24T12:00:00.000Z', '', ' ', '0', '-1', '275760-09-13T00:00:00Z');
  return fc.oneof(farPast, farFuture, misaligned, malformed);
}

/**
 * One series of a measured event (`meter.intervals.measured` schema version 2) and what each
 * of its fields must refuse: `meterIds` empty or with a bad id, `energyWh` negative,
 * fractional, too long, or a column whose length differs from `meterIds`.
 */
export function hostileMeasuredSeries(valid: { periodId: string; direction: string; meterId: string; energyWh: string }, badMeterId: fc.Arbitrary<string>): HostileObjectSpec {
  const series = { periodId: valid.periodId, direction: valid.direction, quality: 'measured', meterIds: [valid.meterId], energyWh: [valid.energyWh] };
  const offQuarter = new Date(Date.parse(valid.periodId) + 7 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    valid: series,
    hostileValues: {
      periodId: fc.constantFrom(offQuarter, 'yesterday', ''),
      direction: fc.constantFrom('both', ''),
      quality: fc.constantFrom('guessed', ''),
      meterIds: fc.oneof(fc.constant([]), badMeterId.map((id) => [id])),
      energyWh: fc.constantFrom(['-1'], ['1.5'], ['1e3'], ['99999999999999999999'], [''], [], [valid.energyWh, valid.energyWh]),
    },
    required: Object.keys(series),
  };
}

/** What makes an object hostile: per field the values it must refuse, and the fields it requires. */
export interface HostileObjectSpec {
  readonly valid: Record<string, unknown>;
  /** Per field of `valid`: values that field must refuse (wrong types are added for every field). */
  readonly hostileValues: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  /** Fields that must be present (an object without one is refused). */
  readonly required: readonly string[];
}

/** Structural mutations of a valid object: not an object, an unknown field, a missing field, a wrong type, a hostile value. */
export function hostileObjects(spec: HostileObjectSpec): fc.Arbitrary<{ what: string; value: unknown }> {
  const fields = Object.keys(spec.hostileValues);
  const known = new Set(Object.keys(spec.valid));
  const withField = (field: string, value: unknown) => ({ ...spec.valid, [field]: value });
  return fc.oneof(
    fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 20 }), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.boolean()).map((value) => ({ what: 'not an object', value })),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 40 }).filter((key) => !known.has(key) && key !== '__proto__'), fc.jsonValue({ maxDepth: 2 }))
      .map(([key, value]) => ({ what: `unknown field ${JSON.stringify(key)}`, value: withField(key, value) })),
    fc.constantFrom(...spec.required).map((field) => {
      const value = { ...spec.valid };
      delete value[field];
      return { what: `missing ${field}`, value };
    }),
    fc.tuple(fc.constantFrom(...fields), wrongTypeValue).map(([field, value]) => ({ what: `${field} of the wrong type`, value: withField(field, value) })),
    { weight: 3, arbitrary: fc.constantFrom(...fields).chain((field) => spec.hostileValues[field].map((value) => ({ what: `hostile ${field}: ${JSON.stringify(value)?.slice(0, 60)}`, value: withField(field, value) }))) },
  );
}

/** Bytes that are not the JSON of an object: truncated, broken UTF-8, random, deeply nested. */
export function hostileBytes(validText: string): fc.Arbitrary<HostileCase> {
  return fc.oneof(
    fc.integer({ min: 1, max: validText.length - 1 }).map((cut) => ({ what: 'truncated JSON', body: Buffer.from(validText.slice(0, cut)) })),
    fc.tuple(fc.integer({ min: 0, max: validText.length }), fc.constantFrom(0xff, 0xc3, 0xed, 0xf8, 0x80)).map(([at, byte]) => ({
      what: 'broken UTF-8',
      body: Buffer.concat([Buffer.from(validText.slice(0, at)), Buffer.from([byte]), Buffer.from(validText.slice(at))]),
    })),
    fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => ({ what: 'random bytes', body: Buffer.concat([Buffer.from('{'), Buffer.from(bytes)]) })),
    fc.integer({ min: 1000, max: 20_000 }).map((depth) => ({ what: 'deep nesting', body: Buffer.from('['.repeat(depth) + ']'.repeat(depth)) })),
  );
}

const serialized = (arbitrary: fc.Arbitrary<{ what: string; value: unknown }>): fc.Arbitrary<HostileCase> =>
  arbitrary.map(({ what, value }) => ({ what, body: Buffer.from(JSON.stringify(value) ?? 'null') }));

/**
 * Hostile JSON bodies around a valid one: malformed bytes, JSON that is not an object, an
 * unknown field, a missing field, a field of the wrong type, a field set to one of its
 * hostile values (out-of-bound numbers, far-past and future periods, …), an oversize body.
 */
export function hostileJsonBodies(spec: HostileObjectSpec & { readonly oversizeBytes: number }): fc.Arbitrary<HostileCase> {
  return fc.oneof(
    hostileBytes(JSON.stringify(spec.valid)),
    { weight: 4, arbitrary: serialized(hostileObjects(spec)) },
    fc.integer({ min: 1, max: 4096 }).map((extra) => ({ what: 'oversize body', body: Buffer.from(JSON.stringify({ ...spec.valid, padding: 'x'.repeat(spec.oversizeBytes + extra) })) })),
  );
}

/**
 * Hostile stream messages around a valid event envelope: malformed bytes, a hostile envelope
 * (unknown type, wrong version, bad id, unknown field) and, most of all, hostile `data`.
 */
export function hostileEnvelopes(envelope: { readonly type: string; readonly data: unknown } & Record<string, unknown>, data: HostileObjectSpec): fc.Arbitrary<HostileCase> {
  const envelopeSpec: HostileObjectSpec = {
    valid: envelope,
    hostileValues: {
      type: fc.constantFrom('', 'meter.points.deleted', 'market.prices.published.v2', envelope.type.toUpperCase(), `${envelope.type} `),
      schemaVersion: fc.oneof(fc.integer({ min: -5, max: 0 }), fc.integer({ min: 2, max: 1000 }), fc.constant(1.5)),
      id: fc.constantFrom('', 'x'.repeat(129)),
      occurredAt: fc.constantFrom('', 'yesterday', '2026-11-24T12:00:00+01:00', '2026-02-30T00:00:00Z'),
    },
    required: ['id', 'type', 'schemaVersion', 'occurredAt', 'data'],
  };
  return fc.oneof(
    hostileBytes(JSON.stringify(envelope)),
    serialized(hostileObjects(envelopeSpec)),
    { weight: 5, arbitrary: serialized(hostileObjects(data).map(({ what, value }) => ({ what: `data: ${what}`, value: { ...envelope, data: value } }))) },
  );
}

/** `count` cases from a fixed seed (the same on every run). */
export function sampleHostile<T>(arbitrary: fc.Arbitrary<T>, count: number, seed: number): T[] {
  return fc.sample(arbitrary, { numRuns: count, seed });
}

export interface HostileTally {
  readonly suite: string;
  tried: number;
  /** Answered with a 4xx problem naming a field and a reason (or dead-lettered with a reason). */
  refused: number;
  /** A 5xx, a non-problem answer, no answer, an accepted hostile input, or no dead letter. */
  crashed: number;
  readonly failures: string[];
  readonly statuses: Record<string, number>;
}

function tally(suite: string): HostileTally {
  return { suite, tried: 0, refused: 0, crashed: 0, failures: [], statuses: {} };
}

/** One line of JSON per suite on stdout (the counts the lead quotes): `{"hostile":…,"tried":…,"refused":…,"crashed":…}`. */
export function reportHostile(result: HostileTally): void {
  process.stdout.write(`${JSON.stringify({ hostile: result.suite, tried: result.tried, refused: result.refused, crashed: result.crashed, statuses: result.statuses })}\n`);
}

export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: Buffer;
  readonly what: string;
}

/**
 * Sends the requests, `concurrency` at a time (fetch keeps the connections alive), with the headers
 * `headersFor` gives (content type, a valid signature of the right role, …): every answer must
 * be a 4xx problem whose first error names a field and a reason.
 */
export async function sendHostile(
  baseUrl: string,
  suite: string,
  requests: readonly HostileRequest[],
  headersFor: (request: HostileRequest) => Promise<Record<string, string>> | Record<string, string> = () => ({ 'content-type': 'application/json' }),
  concurrency = 1,
): Promise<HostileTally> {
  const result = tally(suite);
  const one = async (request: HostileRequest): Promise<void> => {
    result.tried += 1;
    let status = 0;
    let text = '';
    let contentType: string | null = null;
    try {
      const response = await fetch(baseUrl + request.path, { method: request.method, headers: await headersFor(request), body: request.body });
      status = response.status;
      contentType = response.headers.get('content-type');
      text = await response.text();
    } catch (error) {
      result.crashed += 1;
      result.failures.push(`${request.what}: no answer (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const faults = problemShapeFaults({ status, contentType, body });
    const first = (body as { errors?: { field?: string; reason?: string }[] } | null)?.errors?.[0];
    if (status >= 400 && status < 500 && faults.length === 0 && first?.field && first.reason) result.refused += 1;
    else {
      result.crashed += 1;
      if (result.failures.length < 20) result.failures.push(`${request.what} (${request.method} ${request.path}): ${status} ${faults.join(', ')} ${text.slice(0, 300)}`);
    }
  };
  // One at a time by default: with several in flight, a 413 that closes its connection while the
  // client still sends the oversize body surfaces as a failed fetch, not as the answer it got.
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
    while (next < requests.length) await one(requests[next++]);
  }));
  return result;
}

/** A dead letter as the DEADLETTER stream holds it (the fields the suites read). */
export interface HostileDeadLetter {
  readonly deadLetterId: string;
  readonly reason: string;
  readonly payloadBase64: string;
}

/**
 * Where hostile messages go and how their dead letters are read back: the caller binds its
 * MessagingClient (`js.publish` on the namespaced subject, `readDeadLetters` of the consumer),
 * so this library does not depend on messaging (whose tests use this library).
 */
export interface HostileStreamTarget {
  publish(body: Buffer, msgId: string): Promise<unknown>;
  deadLetters(): Promise<readonly HostileDeadLetter[]>;
}

/**
 * Publishes each payload (a fresh message id each) and waits until the consumer has
 * dead-lettered every one: each dead letter must carry a reason naming the field
 * (`path: reason` or `CODE field: reason`). Dead letters that were there before are not counted.
 */
export async function publishHostile(suite: string, target: HostileStreamTarget, payloads: readonly HostileCase[], timeoutMs = 120_000): Promise<HostileTally> {
  const result = tally(suite);
  const before = new Set((await target.deadLetters()).map((letter) => letter.deadLetterId));
  const fresh = async () => (await target.deadLetters()).filter((letter) => !before.has(letter.deadLetterId));
  const runId = Math.random().toString(36).slice(2);
  for (const [i, payload] of payloads.entries()) {
    await target.publish(payload.body, `hostile-${runId}-${i}`);
    result.tried += 1;
  }
  let letters: readonly HostileDeadLetter[] = [];
  try {
    letters = await waitFor(async () => {
      const found = await fresh();
      return found.length >= payloads.length ? found : undefined;
    }, { timeoutMs, intervalMs: 500, what: `${payloads.length} dead letters` });
  } catch {
    letters = await fresh();
  }
  for (const letter of letters) {
    result.statuses['dead-letter'] = (result.statuses['dead-letter'] ?? 0) + 1;
    if (/\S+: \S/.test(letter.reason)) result.refused += 1;
    else {
      result.crashed += 1;
      if (result.failures.length < 20) result.failures.push(`dead letter without a field and reason: ${letter.reason}`);
    }
  }
  const lettered = new Set(letters.map((letter) => letter.payloadBase64));
  const missing = payloads.filter((payload) => !lettered.has(payload.body.toString('base64')));
  if (missing.length > 0) {
    result.crashed += missing.length;
    result.failures.push(`${missing.length} of ${payloads.length} hostile messages were not dead-lettered (accepted or still pending)`);
    for (const payload of missing.slice(0, 5)) result.failures.push(`not dead-lettered: ${payload.what}: ${payload.body.toString('utf8', 0, 300)}`);
  }
  return result;
}
