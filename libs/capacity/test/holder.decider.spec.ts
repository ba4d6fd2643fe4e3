import { deciderSpec } from '@gridledger/testing';
import { CapacityErrorCode } from '../src/capacity.errors';
import { holderDecider } from '../src/holder.decider';

const at = '2026-03-29T00:00:00.000Z';
const holder = { holderId: 'alice', consumptionMeterId: 'DE0001C', groupId: 'BG-B' };
const spec = deciderSpec(holderDecider);

describe('holder decider', () => {
  it('registers a holder once', () => {
    spec.given().when({ type: 'RegisterHolder', holder, at }).then([{ type: 'HolderRegistered', holder, at }]);
    const again = spec.given({ type: 'HolderRegistered', holder, at }).when({ type: 'RegisterHolder', holder, at });
    expect(again.thenRefused(CapacityErrorCode.HolderAlreadyRegistered, 'holderId').kind).toBe('conflict');
    expect(spec.given({ type: 'HolderRegistered', holder, at }).state).toEqual({ status: 'registered', holder, registeredAt: at });
  });

  it('names the field of a malformed holder', () => {
    spec.given().when({ type: 'RegisterHolder', holder: { ...holder, holderId: '' }, at }).thenRefused(CapacityErrorCode.InvalidField, 'holderId');
    spec.given().when({ type: 'RegisterHolder', holder: { ...holder, groupId: 'not a group' }, at }).thenRefused(CapacityErrorCode.InvalidField, 'groupId');
  });
});
