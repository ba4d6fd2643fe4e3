import { z } from 'zod';
import { defineEvent } from './define-event';
import {
  addressString,
  bytes32String,
  directionSchema,
  groupIdString,
  instantString,
  meterPointIdString,
  periodIdString,
  qualitySchema,
  whString,
} from './wire';

/**
 * Events published by meter-ingest. Data moves in batches: one registry event per accepted
 * registry request, one measured event per MPO batch and balancing group.
 */

/**
 * NATS refuses messages above its max_payload (1 MiB by default), so a batch too large for
 * one event is sent as several parts: `part` (1-based) of `parts`, each with its own id.
 * A consumer treats every part as an event of its own; the parts together are the batch.
 * These caps keep each part far below 1 MiB even with the longest ids and reasons.
 */
export const MAX_POINTS_PER_EVENT = 2_000;
export const MAX_INTERVALS_PER_EVENT = 4_000;
export const MAX_REJECTIONS_PER_EVENT = 800;
const partFields = {
  part: z.number().int().positive().optional(),
  parts: z.number().int().positive().optional(),
};

/** Connection power limit in whole watts, a non-negative decimal string. */
export const wattsString = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer number of W as a decimal string');

/**
 * One meter point as the registry holds it from `validFrom` (inclusive) to `validTo`
 * (exclusive, null = open). Both are period boundaries. `changed` carries the new version,
 * `retired` the last version with `validTo` set to the retirement instant.
 */
export const meterPointVersionSchema = z
  .object({
    meterId: meterPointIdString,
    direction: directionSchema,
    /** The meter point operator, an EIP-55 checksummed address: the only signer it accepts. */
    mpo: addressString,
    /** The distribution system operator that approved the connection and its limit. */
    dso: addressString,
    groupId: groupIdString,
    /** The supplier's id or address; null for a producer without a supplier. */
    supplier: z.string().min(1).max(128).nullable(),
    connectionLimitW: wattsString,
    validFrom: instantString,
    validTo: instantString.nullable(),
  })
  .strict();
export type MeterPointVersion = z.infer<typeof meterPointVersionSchema>;

const registryBatchSchema = z
  .object({
    /** Who asked for the change: the MPO address, or `operator` for an operator token. */
    requestedBy: z.string().min(1).max(64),
    points: z.array(meterPointVersionSchema).min(1).max(MAX_POINTS_PER_EVENT),
    ...partFields,
  })
  .strict();

export const MeterPointsRegistered = defineEvent({
  type: 'meter.points.registered',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'points',
  pastTense: 'registered',
  keyed: false,
  schema: registryBatchSchema,
});

export const MeterPointsChanged = defineEvent({
  type: 'meter.points.changed',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'points',
  pastTense: 'changed',
  keyed: false,
  schema: registryBatchSchema,
});

export const MeterPointsRetired = defineEvent({
  type: 'meter.points.retired',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'points',
  pastTense: 'retired',
  keyed: false,
  schema: registryBatchSchema,
});

/** One value of schema version 1 of `meter.intervals.measured`, an object per value (read, upcast to series). */
export const measuredIntervalSchema = z
  .object({
    meterId: meterPointIdString,
    direction: directionSchema,
    periodId: periodIdString,
    /** Energy in the period, never negative: direction says which way it flowed. */
    energyWh: whString.refine((value) => !value.startsWith('-'), 'must not be negative'),
    quality: qualitySchema,
  })
  .strict();
export type MeasuredInterval = z.infer<typeof measuredIntervalSchema>;

/**
 * Energy in the period, never negative: direction says which way it flowed. whString's rule
 * without the sign, as one regex: whString with a refine costs a consumer's check of 4,000
 * values about 13 ms instead of 1 (trusted-validation.bench.ts).
 */
const energyWhString = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a non-negative integer number of Wh as a decimal string');

/**
 * The values of one period, direction and quality, as two columns: `energyWh[i]` is the
 * value of `meterIds[i]`. A batch is almost always one period of one kind of meter, so the
 * fields every value shares are written once instead of once per value (a fifth of the
 * bytes of schema version 1 on the wire, in JetStream and in the outbox).
 */
export const measuredSeriesSchema = z
  .object({
    periodId: periodIdString,
    direction: directionSchema,
    quality: qualitySchema,
    meterIds: z.array(meterPointIdString).min(1).max(MAX_INTERVALS_PER_EVENT),
    energyWh: z.array(energyWhString).min(1).max(MAX_INTERVALS_PER_EVENT),
  })
  .strict()
  .refine((series) => series.meterIds.length === series.energyWh.length, { message: 'must hold one value for each of meterIds', path: ['energyWh'] });
export type MeasuredSeries = z.infer<typeof measuredSeriesSchema>;

const measuredHeader = {
  /** SHA-256 of the signed content (canonical JSON, or the MSCONS file bytes), 0x-hex. */
  batchId: bytes32String,
  mpo: addressString,
  groupId: groupIdString,
  periodLength: z.enum(['PT15M', 'PT60M']),
  /** When meter-ingest committed the batch. */
  receivedAt: instantString,
  ...partFields,
};

/** A value as measuredSeriesOf takes it: the event's fields, energy as a decimal string or a bigint. */
export type SeriesValue = Pick<MeasuredInterval, 'meterId' | 'direction' | 'periodId' | 'quality'> & { readonly energyWh: string | bigint };

/**
 * The measured values of an event in columns: values grouped by period, direction and
 * quality, series in order of first appearance, values in their order within a series.
 */
export function measuredSeriesOf(values: readonly SeriesValue[]): MeasuredSeries[] {
  const series: MeasuredSeries[] = [];
  // Keyed only once there are many series; a batch mostly makes two (its period's consumption
  // and production, interleaved meter by meter), found faster by looking at each.
  let byKind: Map<string, MeasuredSeries> | undefined;
  let last: MeasuredSeries | undefined;
  for (const value of values) {
    if (last === undefined || last.periodId !== value.periodId || last.direction !== value.direction || last.quality !== value.quality) {
      last = byKind === undefined ? series.find((s) => s.periodId === value.periodId && s.direction === value.direction && s.quality === value.quality) : byKind.get(kindOf(value));
      if (last === undefined) {
        last = { periodId: value.periodId, direction: value.direction, quality: value.quality, meterIds: [], energyWh: [] };
        series.push(last);
        if (byKind !== undefined) byKind.set(kindOf(last), last);
        else if (series.length > 8) byKind = new Map(series.map((s) => [kindOf(s), s]));
      }
    }
    last.meterIds.push(value.meterId);
    last.energyWh.push(String(value.energyWh));
  }
  return series;
}

function kindOf(value: Pick<SeriesValue, 'periodId' | 'direction' | 'quality'>): string {
  return `${value.periodId}|${value.direction}|${value.quality}`;
}

/** Each series cut to its first, middle and last value: what a trusted serializer runs the schema over. */
export function sampledSeries(series: readonly MeasuredSeries[]): MeasuredSeries[] {
  return series.map((whole) => {
    const n = whole.meterIds.length;
    const at = n > 3 ? [0, n >> 1, n - 1] : whole.meterIds.map((_, i) => i);
    return { ...whole, meterIds: at.map((i) => whole.meterIds[i]), energyWh: at.map((i) => whole.energyWh[i]) };
  });
}

/** One value of a measured event, with where it sits in the event (for a consumer's rejection). */
export interface MeasuredValue extends MeasuredInterval {
  /** `series[at]` holds the value… */
  readonly at: string;
  /** …as `meterIds[index]` and `energyWh[index]`. */
  readonly index: number;
}

/** The values of a measured event one by one, in the event's order. */
export function* measuredValuesOf(data: { readonly series: readonly MeasuredSeries[] }): Generator<MeasuredValue> {
  for (const [s, { periodId, direction, quality, meterIds, energyWh }] of data.series.entries()) {
    const at = `series[${s}]`;
    for (let index = 0; index < meterIds.length; index += 1) yield { meterId: meterIds[index], direction, periodId, energyWh: energyWh[index], quality, at, index };
  }
}

/** How many values a measured event carries. */
export function measuredValueCount(data: { readonly series: readonly MeasuredSeries[] }): number {
  let count = 0;
  for (const series of data.series) count += series.meterIds.length;
  return count;
}

/**
 * Accepted values of one MPO batch in one balancing group, published on
 * `meter.intervals.measured.<groupId>`. The event id is derived from (batchId, groupId[, part]),
 * so a re-sent batch yields the same ids and JetStream drops the duplicates. Schema version 2
 * carries the values as `series` (measuredSeriesSchema); version 1 (an object per value in
 * `intervals`) is still read and upcast, as streams and outboxes hold it until retention.
 */
export const MeterIntervalsMeasured = defineEvent({
  type: 'meter.intervals.measured',
  schemaVersion: 2,
  domain: 'meter',
  entity: 'intervals',
  pastTense: 'measured',
  keyed: true,
  schema: z
    .object({ ...measuredHeader, series: z.array(measuredSeriesSchema).min(1).max(MAX_INTERVALS_PER_EVENT) })
    .strict()
    .refine((data) => measuredValueCount(data) <= MAX_INTERVALS_PER_EVENT, { message: `must hold at most ${MAX_INTERVALS_PER_EVENT} values in all`, path: ['series'] }),
  earlierVersions: [
    {
      schemaVersion: 1,
      schema: z.object({ ...measuredHeader, intervals: z.array(measuredIntervalSchema).min(1).max(MAX_INTERVALS_PER_EVENT) }).strict(),
      upcast: ({ intervals, ...header }: { intervals: MeasuredInterval[]; [field: string]: unknown }) => ({ ...header, series: measuredSeriesOf(intervals) }) as never,
    },
  ],
});

/** Codes meter-ingest rejects values with; consumers should tolerate new ones. */
export const READING_REJECTION_CODES = [
  'MALFORMED_ENTRY',
  'MALFORMED_METER_ID',
  'MALFORMED_NUMBER',
  'MALFORMED_TIMESTAMP',
  'UNKNOWN_METER',
  'METER_RETIRED',
  'NOT_OPERATED_BY_MPO',
  'OUTSIDE_VALIDITY',
  'TIMESTAMP_IN_FUTURE',
  'REGISTER_BACKWARDS',
  'REGISTER_OUT_OF_ORDER',
  'ABOVE_CONNECTION_LIMIT',
  'CONFLICTING_DUPLICATE',
  'DUPLICATE_IN_BATCH',
  'IRREGULAR_INTERVAL',
] as const;
export type ReadingRejectionCode = (typeof READING_REJECTION_CODES)[number];

export const readingRejectionSchema = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE rejection code'),
    /** Null when the entry is too broken to name its meter. */
    meterId: z.string().max(128).nullable(),
    /** The offending field, as a path into the submitted entry (e.g. `readings[3].energyWh`). */
    field: z.string().max(128),
    /** The offending value as submitted, shortened to 128 characters. */
    value: z.string().max(160),
    reason: z.string().min(1).max(512),
  })
  .strict();
export type ReadingRejection = z.infer<typeof readingRejectionSchema>;

/** Values of one batch that were refused, with a machine-readable reason each. */
export const MeterReadingsRejected = defineEvent({
  type: 'meter.readings.rejected',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'readings',
  pastTense: 'rejected',
  keyed: false,
  schema: z
    .object({
      batchId: bytes32String,
      mpo: addressString,
      receivedAt: instantString,
      reasons: z.array(readingRejectionSchema).min(1).max(MAX_REJECTIONS_PER_EVENT),
      ...partFields,
    })
    .strict(),
});

/** Bounds of a manifest, so one always fits a NATS message (about 300 bytes per batch). */
export const MAX_MANIFEST_MPOS = 500;
export const MAX_MANIFEST_BATCHES = 2_000;

const valuesDigestFields = {
  count: z.number().int().nonnegative(),
  /** 0x SHA-256 over the canonical value lines (`valuesDigest` in @gridledger/domain). */
  digest: bytes32String,
};

const manifestBatchSchema = z
  .object({
    batchId: bytes32String,
    /** The door the batch came through, as signed (EIP-712 MeterBatch.format), e.g. `readings-json`. */
    format: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
    /** The MPO's signature over (format, batchId): 65 bytes, 0x-hex. */
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
    ...valuesDigestFields,
    /**
     * What the MPO's signed request covered besides the batchId (its nonce and body digest):
     * with it anyone recovers the signer (docs/trust.md). Absent for batches stored before.
     */
    request: z
      .object({
        method: z.string().regex(/^[A-Z]{1,16}$/),
        path: z.string().min(1).max(2048),
        expiry: z.string().regex(/^[1-9][0-9]{0,11}$/),
        chainId: z.string().regex(/^[1-9][0-9]{0,19}$/),
        verifyingContract: addressString,
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * What meter-ingest accepted for one balancing group and period (docs/integrity.md):
 * the number of values and their digest, and the same per MPO and per batch. Published on
 * `meter.manifest.updated.<groupId>` through the outbox after the values' own events, and
 * again with `revision` + 1 whenever late values change it. A receiver settles the
 * group-period only once its own count and digest over the values it got are these.
 */
export const MeterManifestUpdated = defineEvent({
  type: 'meter.manifest.updated',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'manifest',
  pastTense: 'updated',
  keyed: true,
  schema: z
    .object({
      groupId: groupIdString,
      periodId: periodIdString,
      periodLength: z.enum(['PT15M', 'PT60M']),
      revision: z.number().int().positive(),
      ...valuesDigestFields,
      /** Sorted by mpo (bytewise); batches sorted by batchId. */
      perMpo: z
        .array(z.object({ mpo: addressString, ...valuesDigestFields, batches: z.array(manifestBatchSchema).min(1).max(MAX_MANIFEST_BATCHES) }).strict())
        .max(MAX_MANIFEST_MPOS),
    })
    .strict(),
});

/**
 * Core NATS request (under `rpc.`, like every request) to meter-ingest: publish again, from
 * its outbox, the measured events holding a group-period's accepted values and its latest
 * manifest. Receivers' inboxes apply each event id once, so a re-send of what arrived is a
 * no-op. Answered `{ replayed }` (rows re-published) or `{ error }`.
 */
export const METER_RESEND_SUBJECT = 'meter-ingest.intervals.resend';

export const meterResendRequestSchema = z
  .object({
    groupId: groupIdString,
    periodId: periodIdString,
    /** Names the re-send (fresh Nats-Msg-Ids per re-send, see outbox replay). */
    replayId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
  })
  .strict();
export type MeterResendRequest = z.infer<typeof meterResendRequestSchema>;
