import { groupKey, periodIdOf, periodStartSeconds } from '../src';

describe('ids', () => {
  it('turns period ids into unix seconds and back', () => {
    expect(periodStartSeconds('2026-03-29T01:00:00Z')).toBe(1_774_746_000n);
    expect(periodIdOf(1_774_746_000n)).toBe('2026-03-29T01:00:00Z');
    expect(() => periodStartSeconds('2026-03-29 01:00')).toThrow('periodId');
  });

  it('keys groups by keccak256 of their id', () => {
    expect(groupKey('GRP-NORTH')).toMatch(/^0x[0-9a-f]{64}$/);
    expect(groupKey('GRP-NORTH')).not.toBe(groupKey('GRP-SOUTH'));
  });
});
