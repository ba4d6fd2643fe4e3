import type { Plant } from '../src/plant';

/** A 10 kW PV plant the decider and projection specs share. */
export const pvPlant: Plant = {
  plantId: 'pv-1',
  kind: 'pv',
  meterId: 'DE0001PV',
  capacityW: 10_000n,
  operator: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  groupId: 'BG-A',
  feePerMWPeriodCents: 285n,
};
