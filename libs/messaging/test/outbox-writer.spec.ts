import { z } from 'zod';
import { defineEvent, deterministicEventId } from '@gridledger/events';
import { serializeEvent, serializeTrustedEvent } from '../src/outbox-writer';

const Measured = defineEvent({
  type: 'meter.sample.measured',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'sample',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({ label: z.string(), values: z.array(z.object({ meterId: z.string(), energyWh: z.string() })) }),
});

describe('serializeTrustedEvent', () => {
  const data = { label: 'a "quoted" \\ label\n', values: [{ meterId: 'DE-1', energyWh: '100' }] };
  const parts = { idParts: ['batch-1', 'G1'], occurredAt: '2026-03-29T01:00:00.000Z', correlationId: 'c'.repeat(64), key: 'G1' };

  it('writes the same envelope, key order and bytes as validating first would', () => {
    const trusted = serializeTrustedEvent(Measured, data, parts);
    const validated = serializeEvent(Measured, Measured.create({ idParts: parts.idParts, occurredAt: parts.occurredAt, correlationId: parts.correlationId, data }), 'G1');
    expect(trusted.payload).toBe(validated.payload);
    expect(trusted).toMatchObject({ id: deterministicEventId(Measured.type, 'batch-1', 'G1'), type: Measured.type, subject: 'meter.sample.measured.G1' });
  });

  it('escapes what needs escaping (a real serializer), so the payload parses back to the data', () => {
    const parsed = Measured.parse(JSON.parse(serializeTrustedEvent(Measured, data, parts).payload));
    expect(parsed.data).toEqual(data);
    expect(Object.keys(JSON.parse(serializeTrustedEvent(Measured, data, parts).payload))).toEqual(['id', 'type', 'schemaVersion', 'occurredAt', 'correlationId', 'causationId', 'data']);
  });
});

describe('serializeEvent', () => {
  it('refuses an envelope its schema does not accept', () => {
    const envelope = Measured.create({ idParts: ['x'], occurredAt: '2026-03-29T01:00:00Z', data: { label: 'x', values: [] } });
    expect(() => serializeEvent(Measured, { ...envelope, data: { label: 1 } } as unknown as typeof envelope, 'G1')).toThrow(/label/);
  });
});

describe('serializeTrustedEvent checks the data against the schema by sample', () => {
  const parts = { idParts: ['batch-2'], occurredAt: '2026-03-29T01:00:00.000Z', correlationId: 'c'.repeat(64), key: 'G1' };
  const values = (n: number) => Array.from({ length: n }, (_, i) => ({ meterId: `DE-${i}`, energyWh: String(i) }));

  it('refuses data that does not match its event: a wrong type in a short array, or in a sampled element of a long one', () => {
    expect(() => serializeTrustedEvent(Measured, { label: 'x', values: [{ meterId: 'DE-1', energyWh: 100 as unknown as string }] }, parts)).toThrow(/energyWh/);
    const long = values(10_000);
    long[long.length - 1] = { meterId: 'DE-last' } as { meterId: string; energyWh: string };
    expect(() => serializeTrustedEvent(Measured, { label: 'x', values: long }, parts)).toThrow(/energyWh/);
  });

  it('passes well-formed data of any length and writes every element', () => {
    const payload = JSON.parse(serializeTrustedEvent(Measured, { label: 'x', values: values(10_000) }, parts).payload);
    expect(payload.data.values).toHaveLength(10_000);
  });
});
