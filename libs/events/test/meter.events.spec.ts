import { EventValidationError } from '../src/define-event';
import { MeterIntervalsMeasured, MeterPointsRegistered, MeterReadingsRejected } from '../src/meter.events';

const batchId = `0x${'ab'.repeat(32)}`;
const mpo = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';

describe('meter events', () => {
  it('builds a measured event keyed by group with a deterministic id', () => {
    const input = {
      data: {
        batchId,
        mpo,
        groupId: 'BG-NORTH',
        periodLength: 'PT15M' as const,
        receivedAt: '2026-03-29T01:20:00.000Z',
        intervals: [{ meterId: 'DE0001', direction: 'production' as const, periodId: '2026-03-29T01:00:00Z', energyWh: '1250', quality: 'measured' as const }],
      },
      idParts: [batchId, 'BG-NORTH'],
      occurredAt: '2026-03-29T01:20:00.000Z',
    };
    const first = MeterIntervalsMeasured.create(input);
    expect(first.id).toBe(MeterIntervalsMeasured.create(input).id);
    expect(MeterIntervalsMeasured.subject('BG-NORTH')).toBe('meter.intervals.measured.BG-NORTH');
    expect(MeterIntervalsMeasured.subjectFilter).toBe('meter.intervals.measured.*');
  });

  it('refuses negative energy and names the field', () => {
    expect(() =>
      MeterIntervalsMeasured.create({
        data: {
          batchId,
          mpo,
          groupId: 'G',
          periodLength: 'PT15M',
          receivedAt: '2026-03-29T01:20:00.000Z',
          intervals: [{ meterId: 'M', direction: 'consumption', periodId: '2026-03-29T01:00:00Z', energyWh: '-1', quality: 'measured' }],
        },
        idParts: ['x'],
        occurredAt: '2026-03-29T01:20:00.000Z',
      }),
    ).toThrow(/data\.intervals\.0\.energyWh/);
  });

  it('validates registry and rejection batches', () => {
    const registered = MeterPointsRegistered.create({
      data: {
        requestedBy: mpo,
        points: [
          { meterId: 'M1', direction: 'consumption', mpo, dso: mpo, groupId: 'G', supplier: null, connectionLimitW: '30000', validFrom: '2026-03-29T00:00:00.000Z', validTo: null },
        ],
      },
      idParts: ['r1'],
      occurredAt: '2026-03-29T00:00:00.000Z',
    });
    expect(registered.type).toBe('meter.points.registered');
    expect(() => MeterReadingsRejected.parse({ ...registered, type: 'meter.readings.rejected' })).toThrow(EventValidationError);
  });
});
