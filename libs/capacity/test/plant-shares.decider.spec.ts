import fc from 'fast-check';
import { DomainError, foldEvents } from '@gridledger/domain';
import { deciderSpec } from '@gridledger/testing';
import { CapacityErrorCode } from '../src/capacity.errors';
import { pvPlant } from './plant.fixture';
import { PlantSharesCommand, PlantSharesEvent, PlantSharesState, holdersNamedBy, plantSharesDecider } from '../src/plant-shares.decider';
import { projectPlantEvents } from '../src/shares-projection';

const at = '2026-03-29T01:07:00Z';
const plant = pvPlant;
const spec = deciderSpec(plantSharesDecider);
const registered: PlantSharesEvent = { type: 'PlantRegistered', plant, at };
const issued = (holderId: string, sharesW: bigint): PlantSharesEvent => ({ type: 'SharesIssued', plantId: 'pv-1', holderId, sharesW, at });

describe('plant shares decider', () => {
  it('registers a plant once, validating its fields', () => {
    spec.given().when({ type: 'RegisterPlant', plant, at }).then([registered]);
    const again = spec.given(registered).when({ type: 'RegisterPlant', plant, at }).thenRefused(CapacityErrorCode.PlantAlreadyRegistered, 'plantId');
    expect(again.kind).toBe('conflict');
    const bad = spec.given().when({ type: 'RegisterPlant', plant: { ...plant, capacityW: 0n }, at }).thenRefused(CapacityErrorCode.InvalidField, 'capacityW');
    expect(bad).toMatchObject({ kind: 'invalid', reason: 'must be positive', message: 'capacityW: must be positive' });
    spec.given().when({ type: 'RegisterPlant', plant: { ...plant, operator: 'me' }, at }).thenRefused(CapacityErrorCode.InvalidField, 'operator');
  });

  it('issues up to the nameplate capacity and refuses beyond it', () => {
    const nearlyFull = spec.given(registered, issued('h-1', 9_000n));
    nearlyFull.when({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1_000n, at }).then([issued('h-2', 1_000n)]);
    const error = nearlyFull.when({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1_001n, at }).thenRefused(CapacityErrorCode.BeyondCapacity, 'sharesW');
    expect(error.kind).toBe('unprocessable');
    expect(error.message).toBe('sharesW: issuing 1001 W would exceed the nameplate capacity of 10000 W (1000 W unissued)');
  });

  it('never issues beyond capacity whatever the sequence of issues and retirements (property)', () => {
    const command = fc.oneof(
      fc.record({ type: fc.constant('IssueShares' as const), holderId: fc.constantFrom('a', 'b', 'c'), sharesW: fc.bigInt({ min: 1n, max: 6_000n }) }),
      fc.record({ type: fc.constant('RetireShares' as const), holderId: fc.constantFrom('a', 'b', 'c'), sharesW: fc.bigInt({ min: 1n, max: 6_000n }) }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let state = foldEvents(plantSharesDecider, [registered]);
        for (const c of commands) {
          try {
            state = foldEvents(plantSharesDecider, plantSharesDecider.decide({ ...c, plantId: 'pv-1', at }, state), state);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
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

  it('decides the same from a state holding only the balances of the holders a command names (the service\'s snapshot) (property)', () => {
    const holder = fc.constantFrom('a', 'b', 'c', 'd');
    const command = fc.oneof(
      fc.record({ type: fc.constant('IssueShares' as const), holderId: holder, sharesW: fc.bigInt({ min: 1n, max: 4_000n }) }),
      fc.record({ type: fc.constant('RetireShares' as const), holderId: holder, sharesW: fc.bigInt({ min: 1n, max: 4_000n }) }),
      fc.record({ type: fc.constant('TransferShares' as const), fromHolderId: holder, toHolderId: holder, sharesW: fc.bigInt({ min: 1n, max: 4_000n }) }),
    );
    const outcome = (run: () => readonly PlantSharesEvent[]): unknown => {
      try {
        return run();
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return error.code;
      }
    };
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        let state = foldEvents(plantSharesDecider, [registered]);
        for (const c of commands) {
          const full = { ...c, plantId: 'pv-1', at } as PlantSharesCommand;
          if (state.status !== 'registered') throw new Error('unregistered');
          const named = holdersNamedBy(full);
          const narrowed: PlantSharesState = { ...state, balances: new Map([...state.balances].filter(([holderId]) => named.includes(holderId))) };
          expect(outcome(() => plantSharesDecider.decide(full, narrowed))).toEqual(outcome(() => plantSharesDecider.decide(full, state)));
          const events = outcome(() => plantSharesDecider.decide(full, state));
          if (Array.isArray(events)) {
            // The balances the events change come out the same from the narrowed state.
            const after = (from: PlantSharesState) => projectPlantEvents(from, events as PlantSharesEvent[]).changes;
            expect(after(narrowed)).toEqual(after(state));
            state = foldEvents(plantSharesDecider, events as PlantSharesEvent[], state);
          }
        }
      }),
    );
  });

  it('transfers without overdraft and keeps the total', () => {
    const holding = spec.given(registered, issued('h-1', 500n));
    const transfer = { type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'h-1', toHolderId: 'h-2', sharesW: 200n, at } as const;
    holding.when(transfer).then([{ ...transfer, type: 'SharesTransferred' }]);
    const after = holding.when(transfer).stateAfter();
    expect(after.status === 'registered' && [...after.balances.entries()]).toEqual([
      ['h-1', 300n],
      ['h-2', 200n],
    ]);
    holding.when({ ...transfer, sharesW: 501n }).thenRefused(CapacityErrorCode.InsufficientShares, 'sharesW');
    const self = holding.when({ ...transfer, toHolderId: 'h-1', sharesW: 1n }).thenRefused(CapacityErrorCode.SameHolder, 'toHolderId');
    expect(self.kind).toBe('invalid');
  });

  it('retires shares, freeing capacity for issue again', () => {
    const retired = spec.given(registered, issued('h-1', 10_000n), { type: 'SharesRetired', plantId: 'pv-1', holderId: 'h-1', sharesW: 4_000n, at });
    expect(retired.state.status === 'registered' && retired.state.issuedW).toBe(6_000n);
    retired.when({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 4_000n, at }).then([issued('h-2', 4_000n)]);
    retired.when({ type: 'RetireShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1n, at }).thenRefused(CapacityErrorCode.InsufficientShares, 'sharesW');
  });

  it('refuses commands for an unregistered plant', () => {
    const error = spec.given().when({ type: 'IssueShares', plantId: 'pv-9', holderId: 'h', sharesW: 1n, at }).thenRefused(CapacityErrorCode.PlantNotRegistered, 'plantId');
    expect(error.kind).toBe('not-found');
  });

  it('never dates a change before the plant last changed, even if the clock stepped back', () => {
    const later = '2026-03-29T01:09:00.000Z';
    const changed = spec.given(registered, { ...issued('h-1', 500n), at: later });
    changed.when({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h-2', sharesW: 1n, at }).then([{ ...issued('h-2', 1n), at: later }]);
    const afterwards = '2026-03-29T01:10:00.000Z';
    changed.when({ type: 'RetireShares', plantId: 'pv-1', holderId: 'h-1', sharesW: 1n, at: afterwards }).then([
      { type: 'SharesRetired', plantId: 'pv-1', holderId: 'h-1', sharesW: 1n, at: afterwards },
    ]);
  });
});
