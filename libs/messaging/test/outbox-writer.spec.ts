import { z } from 'zod';
import { defineEvent, deterministicEventId } from '@gridledger/events';
import { OUTBOX_ROWS_PER_INSERT, outboxInsert, serializeEvent, serializeTrustedEvent } from '../src/outbox-writer';

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

describe('outboxInsert', () => {
  const event = (n: number) => ({ id: `id-${n}`, type: 'meter.sample.measured', subject: 'meter.sample.measured.G1', payload: `{"n":${n}}` });

  it('numbers its five parameters a row from the first one it is given, in the events\' order', () => {
    const insert = outboxInsert('meter_ingest', [event(1), event(2)], 4);
    expect(insert.sql).toContain('"meter_ingest"."outbox"');
    expect(insert.sql).toContain('VALUES ($4, $5, $6, $7, $8::jsonb), ($9, $10, $11, $12, $13::jsonb) RETURNING');
    expect(insert.params.filter((_, i) => i % 5 !== 4)).toEqual(['id-1', 'meter.sample.measured', 'meter.sample.measured.G1', '{"n":1}', 'id-2', 'meter.sample.measured', 'meter.sample.measured.G1', '{"n":2}']);
    // The trace headers of the active context, as JSON.
    expect(() => JSON.parse(insert.params[4])).not.toThrow();
  });

  it('gives each event the position returned for its row, and refuses a count that does not match', () => {
    const insert = outboxInsert('public', [event(1), event(2)]);
    expect(insert.enqueued(['10', '11']).map((enqueued) => [enqueued.id, enqueued.position])).toEqual([
      ['id-1', '10'],
      ['id-2', '11'],
    ]);
    expect(() => insert.enqueued(['10'])).toThrow(/1 positions for 2 events/);
  });

  it('holds 1 to OUTBOX_ROWS_PER_INSERT events', () => {
    expect(() => outboxInsert('public', [])).toThrow(RangeError);
    expect(() => outboxInsert('public', Array.from({ length: OUTBOX_ROWS_PER_INSERT + 1 }, (_, n) => event(n)))).toThrow(RangeError);
  });
});
