import fc from 'fast-check';
import { CapacityError, CapacityErrorCode } from '../src/capacity.errors';
import { Plant } from '../src/plant';
import {
  PlantSharesCommand,
  PlantSharesEvent,
  PlantSharesState,
  decidePlantShares,
  evolvePlantShares,
  initialPlantSharesState,
} from '../src/plant-shares.decider';

const at = '2026-03-29T01:07:00Z';
const plant: Plant = {
  plantId: 'pv-1',
  kind: 'pv',
  meterId: 'DE0001PV',
  capacityW: 10_000n,
  operator: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  groupId: 'BG-A',
  feePerMWPeriodCents: 285n,
};

function given(events: PlantSharesEvent[]): PlantSharesState {
  return events.reduce(evolvePlantShares, initialPlantSharesState());
}

function refusal(command: PlantSharesCommand, state: PlantSharesState): CapacityError {
  try {
    decidePlantShares(command, state);
  } catch (error) {
    if (error instanceof CapacityError) return error;
    throw error;
  }
  throw new Error('command was accepted');
}

describe('plant shares decider', () => {
  const registered: PlantSharesEvent = { type: 'PlantRegistered', plant, at };

  it('registers a plant once, validating its fields', () => {
    expect(decidePlantShares({ type: 'RegisterPlant', plant, at }, initialPlantSharesState())).toEqual([registered]);
    expect(refusal({ type: 'RegisterPlant', plant, at }, given([registered])).code).toBe(CapacityErrorCode.PlantAlreadyRegistered);
    const bad = refusal({ type: 'RegisterPlant', plant: { ...plant, capacityW: 0n }, at }, initialPlantSharesState());
    expect(bad.field).toBe('capacityW');
    expect(bad.message).toBe('capacityW: must be positive');
    expect(refusal({ type: 'RegisterPlant', plant: { ...plant, operator: 'me' }, at }, initialPlantSharesState()).field).toBe('operator');
  });

  it('issues up to the nameplate capacity and refuses beyond it', () => {
    const state = given([registered, { type: 'SharesIssued', plantId: 'pv-1', holderId: 'h-1', sharesW: 9_000n, at }]);
    expect(decidePlantShares({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1_000n, at }, state)).toHaveLength(1);
    const error = refusal({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1_001n, at }, state);
    expect(error.code).toBe(CapacityErrorCode.BeyondCapacity);
    expect(error.message).toMatch(/sharesW: issuing 1001 W would exceed the nameplate capacity of 10000 W \(1000 W unissued\)/);
  });

  it('never issues beyond capacity whatever the sequence of issues and retirements (property)', () => {
    const command = fc.oneof(
      fc.record({ type: fc.constant('IssueShares' as const), holderId: fc.constantFrom('a', 'b', 'c'), sharesW: fc.bigInt({ min: 1n, max: 6_000n }) }),
      fc.record({ type: fc.constant('RetireShares' as const), holderId: fc.constantFrom('a', 'b', 'c'), sharesW: fc.bigInt({ min: 1n, max: 6_000n }) }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let state = given([registered]);
        for (const c of commands) {
          try {
            for (const event of decidePlantShares({ ...c, plantId: 'pv-1', at }, state)) state = evolvePlantShares(state, event);
          } catch (error) {
            if (!(error instanceof CapacityError)) throw error;
          }
          if (state.status !== 'registered') throw new Error('unregistered');
          const held = [...state.balances.values()].reduce((a, b) => a + b, 0n);
          expect(state.issuedW).toBe(held);
          expect(state.issuedW <= plant.capacityW).toBe(true);
          for (const balance of state.balances.values()) expect(balance > 0n).toBe(true);
        }
      }),
    );
  });

  it('transfers without overdraft and keeps the total', () => {
    const state = given([registered, { type: 'SharesIssued', plantId: 'pv-1', holderId: 'h-1', sharesW: 500n, at }]);
    const events = decidePlantShares({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'h-1', toHolderId: 'h-2', sharesW: 200n, at }, state);
    const after = events.reduce(evolvePlantShares, state);
    expect(after.status === 'registered' && [...after.balances.entries()]).toEqual([
      ['h-1', 300n],
      ['h-2', 200n],
    ]);
    const overdraft = refusal({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'h-1', toHolderId: 'h-2', sharesW: 501n, at }, state);
    expect(overdraft.code).toBe(CapacityErrorCode.InsufficientShares);
    expect(refusal({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'h-1', toHolderId: 'h-1', sharesW: 1n, at }, state).code).toBe(
      CapacityErrorCode.SameHolder,
    );
  });

  it('retires shares, freeing capacity for issue again', () => {
    const state = given([
      registered,
      { type: 'SharesIssued', plantId: 'pv-1', holderId: 'h-1', sharesW: 10_000n, at },
      { type: 'SharesRetired', plantId: 'pv-1', holderId: 'h-1', sharesW: 4_000n, at },
    ]);
    expect(state.status === 'registered' && state.issuedW).toBe(6_000n);
    expect(decidePlantShares({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 4_000n, at }, state)).toHaveLength(1);
    expect(refusal({ type: 'RetireShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1n, at }, state).code).toBe(
      CapacityErrorCode.InsufficientShares,
    );
  });

  it('refuses commands for an unregistered plant', () => {
    expect(refusal({ type: 'IssueShares', plantId: 'pv-9', holderId: 'h', sharesW: 1n, at }, initialPlantSharesState()).code).toBe(
      CapacityErrorCode.PlantNotRegistered,
    );
  });
});
