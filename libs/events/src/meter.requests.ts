import { z } from 'zod';
import { readingRejectionSchema } from './meter.events';
import { addressString, meterPointIdString, periodIdString, qualitySchema } from './wire';

/**
 * The request bodies meter-ingest takes, as zod schemas for the API documents: POST /readings
 * and the NATS request `meter.readings.submit` (the same signed batch), and the meter point
 * registry's POST /meters, PATCH and DELETE /meters/:meterId. Each is an EIP-712 signed
 * request (headers x-gl-*, docs/trust.md), so no body carries a signature. The intake parses these bodies
 * by hand (libs/metering: the signature covers the exact bytes, and each entry is judged on
 * its own, refused entries listed in the answer), so these schemas describe the shape it
 * accepts; libs/metering's tests check both agree on valid and refused envelopes.
 */

/** Non-negative Wh as a decimal string: numbers travel as strings, a JSON number is refused. */
const nonNegativeWh = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a non-negative integer number of Wh as a decimal string');
const periodLength = z.enum(['PT15M', 'PT60M']);
/** An instant with its UTC offset (`2026-03-29T01:00:00Z`, `2026-03-29T03:00:00+02:00`). */
const instantWithOffset = z.string().datetime({ offset: true });
const MAX_ENTRIES = 50_000;

export const intervalEntrySchema = z
  .object({
    meterId: meterPointIdString,
    /** The period's UTC start, on a boundary of the batch's periodLength. */
    periodId: periodIdString,
    /** Energy of the period; the meter point's registered direction says which way it flowed. */
    energyWh: nonNegativeWh,
    quality: qualitySchema.optional(),
  })
  .strict();

export const registerReadingEntrySchema = z
  .object({
    meterId: meterPointIdString,
    readAt: instantWithOffset,
    /** The cumulative register at readAt; intake splits the energy between readings into periods. */
    registerWh: nonNegativeWh,
    /** A new meter: the register restarts here, so going backwards is allowed. */
    meterExchange: z.boolean().optional(),
    previousMeterFinalWh: nonNegativeWh.optional(),
  })
  .strict();

/**
 * A batch from an MPO: interval values or register readings (exactly one of the two), sent
 * as a request signed by `mpo` whose nonce is the SHA-256 of the body (= the batch id).
 */
export const readingsBatchSchema = z
  .object({
    mpo: addressString,
    periodLength: periodLength.optional(),
    /** The MPO's own reference, printable ASCII. */
    batchRef: z.string().regex(/^[\x20-\x7e]{1,128}$/, 'must be 1 to 128 printable ASCII characters').optional(),
    intervals: z.array(intervalEntrySchema).min(1).max(MAX_ENTRIES).optional(),
    readings: z.array(registerReadingEntrySchema).min(1).max(MAX_ENTRIES).optional(),
  })
  .strict()
  .refine((batch) => (batch.intervals === undefined) !== (batch.readings === undefined), { message: 'exactly one of intervals or readings is required', path: ['intervals'] });
export type ReadingsBatchBody = z.infer<typeof readingsBatchSchema>;

const connectionLimitW = z.string().regex(/^[1-9][0-9]{0,12}$/, 'must be a positive integer number of W as a decimal string, at most 10^12');
const supplier = z.string().regex(/^[\x20-\x7e]{1,128}$/).nullable();
const groupId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a balancing group id');

export const meterPointRegistrationSchema = z
  .object({
    meterId: meterPointIdString,
    /** consumption = feed-out (energy taken from the grid), production = feed-in. */
    direction: z.enum(['consumption', 'production']),
    mpo: addressString,
    dso: addressString,
    /** The DSO's grid area: its DSO (or the market operator) registers and changes the meter. */
    gridArea: groupId,
    groupId,
    supplier: supplier.optional(),
    connectionLimitW,
    /** A UTC quarter-hour boundary. */
    validFrom: periodIdString,
  })
  .strict();

export const meterRegistrationBodySchema = z
  .object({ meters: z.array(meterPointRegistrationSchema).min(1).max(100_000) })
  .strict();

/**
 * `correction: true`: the DSO of the meter's grid area corrects periods for which values are
 * already accepted (effectiveFrom at or before them); the values are re-booked to the new group.
 * Without it (or by anyone else) such a change is refused (docs/trust.md).
 */
export const meterChangeBodySchema = z
  .object({ effectiveFrom: periodIdString, groupId: groupId.optional(), supplier: supplier.optional(), connectionLimitW: connectionLimitW.optional(), dso: addressString.optional(), correction: z.boolean().optional() })
  .strict();

export const meterRetireBodySchema = z.object({ effectiveAt: periodIdString }).strict();

/** The answer to an accepted batch (POST /readings, POST /mscons; the `meter.readings.submit` reply adds statusCode and replayed). */
export const intakeAnswerSchema = z
  .object({
    /** SHA-256 of the signed content, 0x-hex: the same batch sent again answers the same. */
    batchId: z.string(),
    status: z.enum(['accepted', 'partially-accepted', 'rejected']),
    mpo: addressString,
    receivedAt: z.string(),
    entries: z.number().int(),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    groups: z.array(z.object({ groupId, intervals: z.number().int() }).strict()),
    rejections: z.array(readingRejectionSchema),
    notes: z.array(z.string()),
  })
  .strict();

/**
 * Core NATS request/reply: the payload is a readings batch (as POST /readings, raw bytes), the
 * reply the HTTP answer with `statusCode` (problem details when refused). On the wire under
 * `rpc.` (no stream captures it); meter-ingest replicas answer in one queue group.
 */
export const METER_READINGS_SUBMIT_SUBJECT = 'meter.readings.submit';

export const readingsSubmitReplySchema = z.union([
  intakeAnswerSchema.extend({ statusCode: z.literal(200), replayed: z.boolean() }).strict(),
  z.object({ statusCode: z.number().int().min(400), type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() }).passthrough(),
]);
