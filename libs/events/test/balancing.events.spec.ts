import { BalancingPeriodClosed, BalancingPeriodSettled, balancingProofReplySchema } from '../src/balancing.events';
import { MarketPricesPublished } from '../src/market.events';
import { EventValidationError } from '../src/define-event';

const root = `0x${'ab'.repeat(32)}`;

describe('balancing and market events', () => {
  it('creates a settled event with a deterministic id and a keyed subject', () => {
    const data = {
      groupId: 'BG-1',
      periodId: '2026-03-29T01:00:00Z',
      periodLength: 'PT15M' as const,
      version: 1,
      trigger: 'complete' as const,
      feedInWh: '100',
      feedOutWh: '70',
      scheduleNetWh: '10',
      imbalanceWh: '20',
      imbalancePricePerMWh: null,
      imbalanceAmount: null,
      ledgerDigest: root,
      merkleRoot: root,
      meterCount: 3,
      substitutedCount: 0,
    };
    const a = BalancingPeriodSettled.create({ data, idParts: ['BG-1', data.periodId, '1'], occurredAt: '2026-03-29T01:30:00Z' });
    const b = BalancingPeriodSettled.create({ data, idParts: ['BG-1', data.periodId, '1'], occurredAt: '2026-03-29T01:31:00Z' });
    expect(a.id).toBe(b.id);
    expect(BalancingPeriodSettled.subject('BG-1')).toBe('balancing.period.settled.BG-1');
    expect(BalancingPeriodClosed.subject()).toBe('balancing.period.closed');
  });

  it('names the field and reason of a bad price', () => {
    expect(() =>
      MarketPricesPublished.create({
        data: { periodId: '2026-03-29T01:00:00Z', imbalancePricePerMWh: '12.5', energyPricePerMWh: '100' },
        idParts: ['x'],
        occurredAt: '2026-03-29T01:00:00Z',
      }),
    ).toThrow(new EventValidationError('market.prices.published', [{ path: 'data.imbalancePricePerMWh', message: 'must be integer minor units as a decimal string' }]));
  });

  it('parses a proof reply', () => {
    const reply = balancingProofReplySchema.parse({
      ok: true,
      groupId: 'BG-1',
      periodId: '2026-03-29T01:00:00Z',
      version: 1,
      leaf: ['M1', '1774746000', 1, '42', root],
      leafHash: root,
      proof: [root],
      root,
    });
    expect(reply.ok).toBe(true);
  });
});
