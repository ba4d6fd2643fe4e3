import { OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { stringify } from 'yaml';
import { z } from 'zod';
import * as events from '@gridledger/events';
import { BALANCING_PROOF_SUBJECT, METER_READINGS_SUBMIT_SUBJECT, balancingProofReplySchema, balancingProofRequestSchema, envelopeSchema, readingsBatchSchema, readingsSubmitReplySchema, type EventDefinition } from '@gridledger/events';
import { ALL_STREAMS, EVENT_TYPE_HEADER, MSG_ID_HEADER, rpcSubject } from '@gridledger/messaging';

extendZodWithOpenApi(z);

type AnyEventDefinition = EventDefinition<string, z.ZodTypeAny>;

/** Every event the system publishes: the `defineEvent` exports of `@gridledger/events`, by type. */
export function eventCatalogue(): AnyEventDefinition[] {
  return (Object.values(events) as unknown[])
    .filter((value): value is AnyEventDefinition => typeof value === 'object' && value !== null && 'subjectFilter' in value && 'schema' in value)
    .sort((a, b) => a.type.localeCompare(b.type));
}

/** Who publishes each domain's events (libs/events/README.md: the publishing service owns its file). */
const PUBLISHER: Record<string, string> = {
  meter: 'meter-ingest',
  balancing: 'balancing',
  capacity: 'capacity-market',
  chain: 'chain-bridge',
  market: 'the market operator (TSO tools)',
  platform: 'any service whose consumer dead-letters a message',
};

/** What the last subject token of a keyed event is. */
const KEY_PARAMETER: Record<string, { name: string; description: string }> = {
  platform: { name: 'stream', description: 'The JetStream stream the dead-lettered message came from.' },
};
const GROUP_KEY = { name: 'group', description: 'The balancing group id: consumers filter on one group with a concrete token or all with `*`.' };

const pascal = (type: string): string => type.split(/[._-]/).map((part) => part[0].toUpperCase() + part.slice(1)).join('');

/** The AsyncAPI 3.0 document of every stream and event, from the zod schemas that validate them. */
export function asyncApiDocument(): Record<string, unknown> {
  const catalogue = eventCatalogue();
  const envelopeFields = envelopeSchema.omit({ data: true, type: true, schemaVersion: true });
  const payloads = catalogue.map((definition) => ({
    definition,
    payload: envelopeFields
      .extend({
        type: z.literal(definition.type),
        schemaVersion: z.literal(definition.schemaVersion),
        data: definition.schema.openapi(`${pascal(definition.type)}Data`),
      })
      .strict()
      .openapi(`${pascal(definition.type)}Envelope`),
  }));
  const headers = z
    .object({
      [MSG_ID_HEADER]: z.string().openapi({ description: 'The envelope id: JetStream drops a second message with the same id within the duplicate window.' }),
      [EVENT_TYPE_HEADER]: z.string().openapi({ description: 'The envelope type, so a consumer can route before parsing the body.' }),
      traceparent: z.string().optional().openapi({ description: 'W3C trace context of the publishing span (OpenTelemetry).' }),
      tracestate: z.string().optional().openapi({ description: 'W3C trace state, when the tracer sets one.' }),
    })
    .openapi('EventHeaders');
  const proofRequest = balancingProofRequestSchema.openapi('BalancingProofRequest');
  const proofReply = balancingProofReplySchema.openapi('BalancingProofReply');
  const submitRequest = readingsBatchSchema.openapi('ReadingsBatch');
  const submitReply = readingsSubmitReplySchema.openapi('ReadingsSubmitReply');
  const generated = new OpenApiGeneratorV31([headers, ...payloads.map((p) => p.payload), proofRequest, proofReply, submitRequest, submitReply]).generateComponents();
  const schemas = (generated.components?.schemas ?? {}) as Record<string, unknown>;

  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const { definition } of payloads) {
    const name = pascal(definition.type);
    const keyed = definition.subjectFilter.endsWith('.*');
    const key = KEY_PARAMETER[definition.domain] ?? GROUP_KEY;
    const stream = ALL_STREAMS.find((spec) => spec.subjects.some((subject) => definition.type.startsWith(subject.slice(0, -1))));
    messages[name] = {
      name: definition.type,
      title: definition.type,
      summary: `${definition.type} v${definition.schemaVersion}, published by ${PUBLISHER[definition.domain] ?? definition.domain}.${definition.readsVersions.length > 1 ? ` Consumers also read v${definition.readsVersions.filter((v) => v !== definition.schemaVersion).join(', v')} (upcast to v${definition.schemaVersion}).` : ''}`,
      contentType: 'application/json',
      headers: { $ref: '#/components/schemas/EventHeaders' },
      payload: { $ref: `#/components/schemas/${name}Envelope` },
    };
    channels[name] = {
      address: keyed ? `${definition.subjectFilter.slice(0, -2)}.{${key.name}}` : definition.subjectFilter,
      description: `JetStream stream \`${stream?.name ?? 'none'}\`; consumers filter on \`${definition.subjectFilter}\`.`,
      ...(keyed ? { parameters: { [key.name]: { description: key.description } } } : {}),
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[`publish${name}`] = {
      action: 'send',
      summary: `${PUBLISHER[definition.domain] ?? definition.domain} publishes ${definition.type}.`,
      channel: { $ref: `#/channels/${name}` },
      messages: [{ $ref: `#/channels/${name}/messages/${name}` }],
    };
  }

  // Core NATS request/reply (not a stream): chain-bridge asks balancing for a meter's proof.
  messages.BalancingProofRequest = { name: BALANCING_PROOF_SUBJECT, title: 'balancing proof request', contentType: 'application/json', payload: { $ref: '#/components/schemas/BalancingProofRequest' } };
  messages.BalancingProofReply = { name: `${BALANCING_PROOF_SUBJECT} reply`, title: 'balancing proof reply', contentType: 'application/json', payload: { $ref: '#/components/schemas/BalancingProofReply' } };
  channels.BalancingProofRequested = {
    address: rpcSubject(BALANCING_PROOF_SUBJECT),
    description: 'Core NATS request/reply (no stream): the `rpc.` prefix keeps requests out of the `BALANCING` stream.',
    messages: { BalancingProofRequest: { $ref: '#/components/messages/BalancingProofRequest' } },
  };
  channels.BalancingProofReply = {
    address: null,
    description: 'The requester’s inbox.',
    messages: { BalancingProofReply: { $ref: '#/components/messages/BalancingProofReply' } },
  };
  operations.answerBalancingProof = {
    action: 'receive',
    summary: 'balancing answers a meter’s leaf and Merkle proof in a group’s period (the latest version unless given).',
    channel: { $ref: '#/channels/BalancingProofRequested' },
    messages: [{ $ref: '#/channels/BalancingProofRequested/messages/BalancingProofRequest' }],
    reply: { channel: { $ref: '#/channels/BalancingProofReply' }, messages: [{ $ref: '#/channels/BalancingProofReply/messages/BalancingProofReply' }] },
  };

  // Core NATS request/reply: a head-end submits a signed readings batch (as POST /readings).
  messages.ReadingsSubmitRequest = {
    name: METER_READINGS_SUBMIT_SUBJECT,
    title: 'readings batch submitted over NATS',
    contentType: 'application/json',
    payload: { $ref: '#/components/schemas/ReadingsBatch' },
  };
  messages.ReadingsSubmitReply = {
    name: `${METER_READINGS_SUBMIT_SUBJECT} reply`,
    title: 'the intake answer (statusCode 200) or problem details (statusCode ≥ 400)',
    contentType: 'application/json',
    payload: { $ref: '#/components/schemas/ReadingsSubmitReply' },
  };
  channels.MeterReadingsSubmit = {
    address: rpcSubject(METER_READINGS_SUBMIT_SUBJECT),
    description: 'Core NATS request/reply (no stream): the `rpc.` prefix keeps requests out of the `METER` stream; meter-ingest replicas answer in one queue group, after the Postgres commit.',
    messages: { ReadingsSubmitRequest: { $ref: '#/components/messages/ReadingsSubmitRequest' } },
  };
  channels.MeterReadingsSubmitReply = {
    address: null,
    description: 'The requester’s inbox.',
    messages: { ReadingsSubmitReply: { $ref: '#/components/messages/ReadingsSubmitReply' } },
  };
  operations.answerReadingsSubmit = {
    action: 'receive',
    summary: 'meter-ingest takes a signed readings batch (the same bytes as the body of POST /readings) and answers as the HTTP API does.',
    channel: { $ref: '#/channels/MeterReadingsSubmit' },
    messages: [{ $ref: '#/channels/MeterReadingsSubmit/messages/ReadingsSubmitRequest' }],
    reply: { channel: { $ref: '#/channels/MeterReadingsSubmitReply' }, messages: [{ $ref: '#/channels/MeterReadingsSubmitReply/messages/ReadingsSubmitReply' }] },
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'gridledger events',
      version: '1.0.0',
      description: [
        'Every event the gridledger services publish on NATS JetStream, generated from the zod schemas in `libs/events` that validate them (`npm run api-docs`).',
        '',
        'Each message is one JSON envelope: `id` (deterministic from the content; also the `Nats-Msg-Id` header), `type`, `schemaVersion`, `occurredAt` (UTC), `correlationId` (the event that started the chain), `causationId` (the event that caused this one, or null) and `data`.',
        'Consumers parse strictly: unknown fields or a schemaVersion they do not read are dead-lettered on `platform.message.deadlettered.{stream}`; an earlier version they still read is validated by its own schema and upcast to the current one.',
        `Streams: ${ALL_STREAMS.map((spec) => `\`${spec.name}\` (${spec.subjects.join(', ')})`).join(', ')}.`,
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:4222', protocol: 'nats', description: 'The local stack (`npm run stack`).' },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** The document as committed in docs/api/asyncapi.yaml. */
export function asyncApiYaml(): string {
  return stringify(asyncApiDocument(), { lineWidth: 0 });
}
