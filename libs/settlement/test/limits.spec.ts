import type { DomainError } from '@gridledger/domain';
import { priceEnergy } from '@gridledger/domain';
import { MAX_ABS_PRICE_PER_MWH, MAX_SCHEDULES_PER_GROUP_PERIOD, MAX_SCHEDULE_WH, assertPeriodWindow, assertPrice, assertScheduleCount, assertScheduleEnergy, periodWindowProblem } from '../src';

const INT8_MAX = 2n ** 63n - 1n;

describe('settlement domain limits', () => {
  it('keep the largest schedule net, priced at the largest price, and its ledger delta inside int8', () => {
    const scheduleNet = MAX_SCHEDULE_WH * BigInt(MAX_SCHEDULES_PER_GROUP_PERIOD);
    const amount = priceEnergy(scheduleNet, MAX_ABS_PRICE_PER_MWH);
    const worstDelta = amount - priceEnergy(-scheduleNet, MAX_ABS_PRICE_PER_MWH);
    expect(scheduleNet).toBeLessThan(INT8_MAX);
    expect(worstDelta).toBe(2n * 10n ** 18n);
    expect(worstDelta).toBeLessThan(INT8_MAX);
  });

  it('refuse a schedule above the limit or negative, naming the field', () => {
    expect(() => assertScheduleEnergy(MAX_SCHEDULE_WH)).not.toThrow();
    for (const energy of [MAX_SCHEDULE_WH + 1n, 9223372036854775807n, -1n]) {
      expect(() => assertScheduleEnergy(energy)).toThrow(expect.objectContaining({ field: 'energyWh', code: 'OUT_OF_RANGE' }) as unknown as DomainError);
    }
  });

  it('refuse a price beyond ±10^9 cents/MWh', () => {
    expect(() => assertPrice(-MAX_ABS_PRICE_PER_MWH, 'imbalancePricePerMWh')).not.toThrow();
    expect(() => assertPrice(MAX_ABS_PRICE_PER_MWH + 1n, 'imbalancePricePerMWh')).toThrow('imbalancePricePerMWh');
    expect(() => assertPrice(-MAX_ABS_PRICE_PER_MWH - 1n, 'energyPricePerMWh')).toThrow('energyPricePerMWh');
  });

  it('refuse one schedule more than a group-period may hold', () => {
    expect(() => assertScheduleCount(MAX_SCHEDULES_PER_GROUP_PERIOD - 1, 'BG-A')).not.toThrow();
    expect(() => assertScheduleCount(MAX_SCHEDULES_PER_GROUP_PERIOD, 'BG-A')).toThrow(expect.objectContaining({ kind: 'unprocessable', field: 'scheduleId' }) as unknown as DomainError);
  });

  it('refuse a period outside the input window: before the correction window or beyond the horizon', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const window = { pastMs: 45 * 86_400_000, aheadMs: 7 * 86_400_000 };
    expect(periodWindowProblem('2026-10-17T12:00:00Z', 'PT15M', now, window)).toBeUndefined();
    expect(periodWindowProblem('2026-12-08T12:00:00Z', 'PT15M', now, window)).toBeUndefined();
    expect(periodWindowProblem('2026-10-17T11:45:00Z', 'PT15M', now, window)).toMatch(/correction window/);
    expect(periodWindowProblem('2026-12-08T12:15:00Z', 'PT15M', now, window)).toMatch(/horizon/);
    expect(periodWindowProblem('2026-12-01T12:15:00Z', 'PT60M', now, window)).toMatch(/invalid period/);
    expect(() => assertPeriodWindow('1970-01-01T00:00:00Z', 'PT15M', now, window)).toThrow(expect.objectContaining({ field: 'periodId', code: 'OUTSIDE_WINDOW', kind: 'invalid' }) as unknown as DomainError);
  });
});
