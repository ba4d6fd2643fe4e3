import { z } from 'zod';
import { EventValidationError, defineEvent } from '../src/define-event';
import { deterministicEventId, subjectOf } from '../src/envelope';

const SampleMeasured = defineEvent({
  type: 'sample.thing.measured',
  schemaVersion: 1,
  domain: 'sample',
  entity: 'thing',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({ groupId: z.string(), energyWh: z.string().regex(/^\d+$/) }),
});

describe('event definitions', () => {
  it('builds envelopes with deterministic ids from the content key', () => {
    const first = SampleMeasured.create({ data: { groupId: 'g1', energyWh: '5' }, idParts: ['batch-1', 'g1'], occurredAt: '2026-01-01T00:00:00.000Z' });
    const again = SampleMeasured.create({ data: { groupId: 'g1', energyWh: '5' }, idParts: ['batch-1', 'g1'], occurredAt: '2026-01-01T00:05:00.000Z' });
    const other = SampleMeasured.create({ data: { groupId: 'g2', energyWh: '5' }, idParts: ['batch-1', 'g2'], occurredAt: '2026-01-01T00:00:00.000Z' });
    expect(first.id).toBe(again.id);
    expect(first.id).not.toBe(other.id);
    expect(first.id).toBe(deterministicEventId('sample.thing.measured', 'batch-1', 'g1'));
    expect(first).toMatchObject({ type: 'sample.thing.measured', schemaVersion: 1, correlationId: first.id, causationId: null });
  });

  it('names subjects <domain>.<entity>.<past-tense>[.<key>]', () => {
    expect(SampleMeasured.subject('g1')).toBe('sample.thing.measured.g1');
    expect(SampleMeasured.subjectFilter).toBe('sample.thing.measured.*');
    expect(() => SampleMeasured.subject()).toThrow(/needs a subject key/);
    expect(() => subjectOf('a', 'b', 'c', 'bad.key')).toThrow(/subject token/);
  });

  it('refuses malformed envelopes, naming the field and the reason', () => {
    const valid = SampleMeasured.create({ data: { groupId: 'g1', energyWh: '5' }, idParts: ['b'], occurredAt: new Date(0) });
    expect(() => SampleMeasured.parse({ ...valid, data: { groupId: 'g1', energyWh: '1.5' } })).toThrow(EventValidationError);
    try {
      SampleMeasured.parse({ ...valid, data: { groupId: 7, energyWh: '1' } });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      expect((error as EventValidationError).issues[0].path).toBe('data.groupId');
    }
    expect(() => SampleMeasured.parse({ ...valid, type: 'other.type' })).toThrow(/type/);
    expect(() => SampleMeasured.parse({ ...valid, extra: 1 })).toThrow(EventValidationError);
    expect(() => SampleMeasured.parse('not an object')).toThrow(EventValidationError);
  });
});
