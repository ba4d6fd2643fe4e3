import { z } from 'zod';
import { EventEnvelope, deterministicEventId, envelopeSchema, subjectOf } from './envelope';

/**
 * One source of truth per event: its type string, schema version, subject and zod schema.
 * The TypeScript type of the data is inferred from the schema, so the two cannot drift.
 */
export interface EventDefinition<TType extends string, TSchema extends z.ZodTypeAny> {
  readonly type: TType;
  readonly schemaVersion: number;
  readonly domain: string;
  readonly entity: string;
  readonly pastTense: string;
  readonly schema: TSchema;
  /** Every schema version `parse` reads: the current one and the earlier ones it upcasts. */
  readonly readsVersions: readonly number[];
  /** The subject for one key (e.g. a balancing group), or the bare subject when unkeyed. */
  subject(key?: string): string;
  /** Wildcard subject a stream or consumer filters on. */
  readonly subjectFilter: string;
  /** Builds an envelope; `idParts` make the id deterministic for the same content. */
  create(input: CreateEventInput<z.infer<TSchema>>): EventEnvelope<TType, z.infer<TSchema>>;
  /**
   * Validates an envelope of this type; throws EventValidationError naming the field. An
   * envelope of an earlier schema version (from a stream or an outbox written before an
   * upgrade) is validated against that version's schema and upcast to the current one.
   */
  parse(envelope: unknown): EventEnvelope<TType, z.infer<TSchema>>;
}

/**
 * An earlier schema version an event definition still reads: its data schema and the pure
 * function that turns such data into the current version's. Events already in streams and
 * outboxes are never rewritten, so a consumer meets both until retention drops the old ones.
 */
export interface EarlierSchemaVersion<TData> {
  readonly schemaVersion: number;
  readonly schema: z.ZodTypeAny;
  upcast(data: never): TData;
}

export interface CreateEventInput<TData> {
  readonly data: TData;
  readonly idParts: readonly string[];
  readonly occurredAt: Date | string;
  readonly correlationId?: string;
  readonly causationId?: string | null;
}

export type EventData<D> = D extends EventDefinition<string, infer S> ? z.infer<S> : never;
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? EventEnvelope<T, z.infer<S>> : never;

export class EventValidationError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`invalid ${eventType}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'EventValidationError';
  }
}

export function defineEvent<TType extends string, TSchema extends z.ZodTypeAny>(spec: {
  type: TType;
  schemaVersion: number;
  domain: string;
  entity: string;
  pastTense: string;
  keyed: boolean;
  schema: TSchema;
  earlierVersions?: readonly EarlierSchemaVersion<z.infer<TSchema>>[];
}): EventDefinition<TType, TSchema> {
  const fullSchema = envelopeSchema.extend({ type: z.literal(spec.type), schemaVersion: z.literal(spec.schemaVersion), data: spec.schema });
  const earlier = new Map((spec.earlierVersions ?? []).map((version) => [version.schemaVersion, { version, fullSchema: envelopeSchema.extend({ type: z.literal(spec.type), schemaVersion: z.literal(version.schemaVersion), data: version.schema }) }]));
  const readsVersions = [...earlier.keys(), spec.schemaVersion].sort((a, b) => a - b);
  const validated = (schema: z.ZodTypeAny, envelope: unknown): z.infer<typeof fullSchema> => {
    const result = schema.safeParse(envelope);
    if (!result.success) {
      throw new EventValidationError(
        spec.type,
        result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      );
    }
    return result.data;
  };
  return {
    type: spec.type,
    schemaVersion: spec.schemaVersion,
    domain: spec.domain,
    entity: spec.entity,
    pastTense: spec.pastTense,
    schema: spec.schema,
    readsVersions,
    subjectFilter: spec.keyed ? `${subjectOf(spec.domain, spec.entity, spec.pastTense)}.*` : subjectOf(spec.domain, spec.entity, spec.pastTense),
    subject(key?: string): string {
      if (spec.keyed && key === undefined) throw new RangeError(`${spec.type} needs a subject key`);
      if (!spec.keyed && key !== undefined) throw new RangeError(`${spec.type} takes no subject key`);
      return subjectOf(spec.domain, spec.entity, spec.pastTense, key);
    },
    create(input) {
      const id = deterministicEventId(spec.type, ...input.idParts);
      const occurredAt = typeof input.occurredAt === 'string' ? input.occurredAt : input.occurredAt.toISOString();
      const envelope = {
        id,
        type: spec.type,
        schemaVersion: spec.schemaVersion,
        occurredAt,
        correlationId: input.correlationId ?? id,
        causationId: input.causationId ?? null,
        data: input.data,
      };
      return this.parse(envelope);
    },
    parse(envelope: unknown) {
      const version = (envelope as { schemaVersion?: unknown } | null)?.schemaVersion;
      const older = typeof version === 'number' ? earlier.get(version) : undefined;
      if (older === undefined) {
        if (typeof version === 'number' && version !== spec.schemaVersion) {
          throw new EventValidationError(spec.type, [{ path: 'schemaVersion', message: `${version} is not a version this service reads (it reads ${readsVersions.join(', ')})` }]);
        }
        return validated(fullSchema, envelope) as EventEnvelope<TType, z.infer<TSchema>>;
      }
      // The earlier version's own rules first, then the upcast data against the current ones.
      const old = validated(older.fullSchema, envelope);
      return validated(fullSchema, { ...old, schemaVersion: spec.schemaVersion, data: older.version.upcast(old.data as never) }) as EventEnvelope<TType, z.infer<TSchema>>;
    },
  };
}
