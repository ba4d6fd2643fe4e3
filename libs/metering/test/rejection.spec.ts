import { rejection } from '../src/validation/rejection';

describe('rejection: no field carries unbounded user text', () => {
  it('cuts a hostile meter id, field, value and reason to the wire schema bounds', () => {
    const huge = 'A'.repeat(100_000);
    const refused = rejection('MALFORMED_ENTRY', huge, `message ${huge} (segment 4)`, huge, `unexpected segment: ${huge}`);
    // The bounds of meter.readings.rejected's wire schema (libs/events): meter id and field 128,
    // reason at most 512 (cut at 500 like every DomainError reason).
    expect([refused.meterId!.length, refused.field.length, refused.value.length, refused.reason.length]).toEqual([128, 128, 129, 500]);
    expect(refused.reason.endsWith('…')).toBe(true);
  });

  it('leaves short text as it is', () => {
    expect(rejection('UNKNOWN_METER', 'DE-1', 'intervals[0].meterId', 'DE-1', 'no meter point with this id is registered')).toEqual({
      code: 'UNKNOWN_METER',
      meterId: 'DE-1',
      field: 'intervals[0].meterId',
      value: 'DE-1',
      reason: 'no meter point with this id is registered',
    });
  });
});
