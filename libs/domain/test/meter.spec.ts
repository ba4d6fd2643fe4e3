import { directionSign, isBalancingGroupId, isDirection, isMeterPointId, meterPointIdProblem } from '../src/meter';

describe('meter points', () => {
  it('accepts MaLo, MeLo, EAN and MPO-chosen ids', () => {
    for (const id of ['51238696781', 'DE0001234567890123456789012345678', '871685900000000018', 'mpo-7:house.12']) {
      expect(isMeterPointId(id)).toBe(true);
    }
  });

  it('says why an id is refused', () => {
    expect(meterPointIdProblem('')).toBe('must not be empty');
    expect(meterPointIdProblem('x'.repeat(65))).toBe('must be at most 64 characters');
    expect(meterPointIdProblem('a b')).toMatch(/may hold only/);
    expect(meterPointIdProblem(42)).toBe('must be a string');
    expect(meterPointIdProblem('ok-1')).toBeNull();
  });

  it('signs production as feed-in and consumption as feed-out', () => {
    expect(directionSign('production')).toBe(1n);
    expect(directionSign('consumption')).toBe(-1n);
    expect(isDirection('production')).toBe(true);
    expect(isDirection('feed-in')).toBe(false);
  });

  it('keeps balancing group ids safe as NATS subject tokens', () => {
    expect(isBalancingGroupId('BG-NORTH_1')).toBe(true);
    expect(isBalancingGroupId('bg.north')).toBe(false);
    expect(isBalancingGroupId('bg*')).toBe(false);
    expect(isBalancingGroupId('>')).toBe(false);
  });
});
