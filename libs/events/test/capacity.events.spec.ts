import { CapacityAllocationComputed, CapacityExchangeScheduled, CapacitySharesRecorded } from '../src/capacity.events';

describe('capacity events', () => {
  const occurredAt = '2026-03-29T01:20:00.000Z';

  it('builds an exchange with a deterministic id from period, groups and version', () => {
    const data = { periodId: '2026-03-29T01:00:00Z', periodLength: 'PT15M' as const, version: 1, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '1234' };
    const a = CapacityExchangeScheduled.create({ data, idParts: ['2026-03-29T01:00:00Z', 'BG-A', 'BG-B', '1'], occurredAt });
    const b = CapacityExchangeScheduled.create({ data, idParts: ['2026-03-29T01:00:00Z', 'BG-A', 'BG-B', '1'], occurredAt });
    expect(a.id).toBe(b.id);
    expect(CapacityExchangeScheduled.subject()).toBe('capacity.exchange.scheduled');
  });

  it('refuses an exchange inside one group and negative energy, naming the field', () => {
    const base = { periodId: '2026-03-29T01:00:00Z', periodLength: 'PT15M' as const, version: 1, fromGroup: 'BG-A', toGroup: 'BG-A', energyWh: '1' };
    expect(() => CapacityExchangeScheduled.create({ data: base, idParts: ['x'], occurredAt })).toThrow(/toGroup: fromGroup and toGroup must differ/);
    expect(() => CapacityExchangeScheduled.create({ data: { ...base, toGroup: 'BG-B', energyWh: '-5' }, idParts: ['x'], occurredAt })).toThrow(
      /energyWh: must not be negative/,
    );
  });

  it('validates an allocation part', () => {
    const event = CapacityAllocationComputed.create({
      idParts: ['2026-03-29T01:00:00Z', '1', '0'],
      occurredAt,
      data: {
        periodId: '2026-03-29T01:00:00Z',
        periodLength: 'PT15M',
        version: 1,
        part: 0,
        partCount: 1,
        holderCount: 1,
        plantCount: 1,
        energyPricePerMWh: '8000',
        plants: [{ plantId: 'pv-1', meterId: 'M-PV-1', groupId: 'BG-A', capacityW: '10000', issuedW: '5000', outputWh: '1001', allocatedToHoldersWh: '500', operatorWh: '501' }],
        holders: [
          {
            holderId: 'h-1',
            groupId: 'BG-B',
            consumptionMeterId: 'M-C-1',
            allocatedWh: '500',
            consumedWh: '700',
            residualWh: '200',
            surplusWh: '0',
            capacityFeeCents: '5',
            residualCostCents: '2',
            surplusRevenueCents: '0',
            plants: [{ plantId: 'pv-1', sharesW: '5000', allocatedWh: '500' }],
          },
        ],
      },
    });
    expect(event.data.holders[0].residualWh).toBe('200');
    expect(() => CapacityAllocationComputed.parse({ ...event, data: { ...event.data, version: 0 } })).toThrow(/data.version/);
  });

  it('a share record is one stored event at its place in the store; its stream matches its kind', () => {
    const at = '2026-03-29T00:56:00.000Z';
    const data = { streamId: 'plant:pv-1', streamVersion: 4, event: { type: 'SharesTransferred', plantId: 'pv-1', fromHolderId: 'bob', toHolderId: 'carol', sharesW: '500', at } } as const;
    const event = CapacitySharesRecorded.create({ data, idParts: ['plant:pv-1', '4'], occurredAt: at });
    expect(event.id).toBe(CapacitySharesRecorded.create({ data, idParts: ['plant:pv-1', '4'], occurredAt: at }).id);
    expect(CapacitySharesRecorded.subject()).toBe('capacity.shares.recorded');
    expect(() => CapacitySharesRecorded.create({ data: { ...data, streamId: 'holder:bob' }, idParts: ['x'], occurredAt: at })).toThrow(/streamId/);
    expect(() => CapacitySharesRecorded.create({ data: { ...data, event: { ...data.event, sharesW: '0' } }, idParts: ['x'], occurredAt: at })).toThrow(/sharesW/);
    expect(() => CapacitySharesRecorded.create({ data: { ...data, event: { ...data.event, extra: 1 } as never }, idParts: ['x'], occurredAt: at })).toThrow();
  });
});
