import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * One envelope for every event in the system. `id` is deterministic where the content is
 * (same batch → same id) and travels as `Nats-Msg-Id`, so JetStream drops duplicates.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: TData;
}

export const envelopeSchema = z
  .object({
    id: z.string().min(1).max(128),
    type: z.string().min(1).max(128),
    schemaVersion: z.number().int().positive(),
    occurredAt: z.string().datetime({ offset: false }),
    correlationId: z.string().min(1).max(128),
    causationId: z.string().min(1).max(128).nullable(),
    data: z.unknown(),
  })
  .strict();

/** A stable id from the event type and the parts that make its content unique. */
export function deterministicEventId(type: string, ...keyParts: readonly string[]): string {
  const hash = createHash('sha256').update(type).update('\u0000').update(keyParts.join('\u0000')).digest('hex');
  // Formatted like a UUID so it fits uuid columns and reads familiar in logs.
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
}

/** Subjects read `<domain>.<entity>.<past-tense>[.<key>]`; tokens are NATS-safe. */
const SUBJECT_TOKEN = /^[A-Za-z0-9_\-]+$/;

export function subjectOf(domain: string, entity: string, pastTense: string, key?: string): string {
  const tokens = key === undefined ? [domain, entity, pastTense] : [domain, entity, pastTense, key];
  for (const token of tokens) {
    if (!SUBJECT_TOKEN.test(token)) throw new RangeError(`subject token "${token}" must match ${SUBJECT_TOKEN}`);
  }
  return tokens.join('.');
}
