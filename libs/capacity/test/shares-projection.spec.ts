import { foldEvents } from '@gridledger/domain';
import { pvPlant } from './plant.fixture';
import { PlantSharesEvent, plantSharesDecider } from '../src/plant-shares.decider';
import { plantReadModel, projectPlantEvents } from '../src/shares-projection';
import { decodePlantSharesEvent, encodeCapacityEvent, type Stored } from '../src/capacity.codec';

const plant = pvPlant;
const t = (iso: string): number => Date.parse(iso);
const history: PlantSharesEvent[] = [
  { type: 'PlantRegistered', plant, at: '2026-03-29T00:00:00.000Z' },
  { type: 'SharesIssued', plantId: 'pv-1', holderId: 'alice', sharesW: 6_000n, at: '2026-03-29T00:10:00.000Z' },
  { type: 'SharesTransferred', plantId: 'pv-1', fromHolderId: 'alice', toHolderId: 'bob', sharesW: 2_000n, at: '2026-03-29T01:07:00.000Z' },
  { type: 'SharesRetired', plantId: 'pv-1', holderId: 'bob', sharesW: 2_000n, at: '2026-03-29T02:00:00.000Z' },
];

describe('shares read model from the events', () => {
  it('gives the plant row and the holdings timeline of a stream', () => {
    const { plant: row, holdings } = plantReadModel(history);
    expect(row).toEqual({ plant, issuedW: 4_000n, streamVersion: 4, lastChangeAt: '2026-03-29T02:00:00.000Z' });
    expect(holdings).toEqual([
      { plantId: 'pv-1', holderId: 'alice', sharesW: 6_000n, validFromMs: t('2026-03-29T00:10:00Z'), validToMs: t('2026-03-29T01:07:00Z') },
      { plantId: 'pv-1', holderId: 'alice', sharesW: 4_000n, validFromMs: t('2026-03-29T01:07:00Z'), validToMs: null },
      { plantId: 'pv-1', holderId: 'bob', sharesW: 2_000n, validFromMs: t('2026-03-29T01:07:00Z'), validToMs: t('2026-03-29T02:00:00Z') },
    ]);
  });

  it('projects events incrementally to the same state the decider folds', () => {
    const head = history.slice(0, 2);
    const { state, changes } = projectPlantEvents(foldEvents(plantSharesDecider, head), history.slice(2));
    expect(state).toEqual(foldEvents(plantSharesDecider, history));
    expect(changes).toEqual([
      { plantId: 'pv-1', at: '2026-03-29T01:07:00.000Z', balances: [['alice', 4_000n], ['bob', 2_000n]] },
      { plantId: 'pv-1', at: '2026-03-29T02:00:00.000Z', balances: [['bob', 0n]] },
    ]);
  });

  it('stores events as JSON with bigints as strings and reads them back equal', () => {
    for (const event of history) {
      const stored = JSON.parse(encodeCapacityEvent(event)) as Stored<PlantSharesEvent>;
      expect(decodePlantSharesEvent(stored)).toEqual(event);
    }
    expect(JSON.parse(encodeCapacityEvent(history[1]))).toEqual({ type: 'SharesIssued', plantId: 'pv-1', holderId: 'alice', sharesW: '6000', at: '2026-03-29T00:10:00.000Z' });
  });
});
