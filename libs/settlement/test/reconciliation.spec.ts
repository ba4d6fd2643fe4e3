import { reconcile, type ReconciliationSides } from '../src/reconciliation';

const P = '2026-03-29T10:00:00Z';
const D1 = `0x${'1'.repeat(64)}`;
const D2 = `0x${'2'.repeat(64)}`;
const R1 = `0x${'a'.repeat(64)}`;
const R2 = `0x${'b'.repeat(64)}`;
const clean: ReconciliationSides = {
  meterIngest: [{ periodId: P, groupId: 'G1', revision: 2, count: 3, digest: D1 }],
  balancingManifests: [{ periodId: P, groupId: 'G1', revision: 2, count: 3, digest: D1 }],
  balancingAwaiting: [],
  balancingVersions: [{ periodId: P, groupId: 'G1', version: 1, merkleRoot: R1 }],
  balancingExchanges: [{ periodId: P, fromGroup: 'G1', toGroup: 'G2', energyWh: '10' }],
  capacity: [{ periodId: P, fromGroup: 'G1', toGroup: 'G2', energyWh: '10' }],
  chainBridge: [{ periodId: P, groupId: 'G1', version: 1, merkleRoot: R1, status: 'confirmed', onChainRoot: R1 }],
};

describe('reconciliation', () => {
  it('finds nothing when every side agrees', () => {
    expect(reconcile(clean)).toEqual([]);
  });

  it('heals a manifest balancing lacks or holds behind by a re-send, and reports what balancing waits for', () => {
    const drifts = reconcile({
      ...clean,
      balancingManifests: [{ periodId: P, groupId: 'G1', revision: 1, count: 2, digest: D2 }],
      balancingAwaiting: [{ periodId: P, groupId: 'G1', expected: { count: 3, digest: D1 }, received: { count: 2, digest: D2 } }],
    });
    expect(drifts).toEqual([
      { between: 'meter-ingest↔balancing', periodId: P, groupId: 'G1', what: 'manifest', expected: `revision 2: 3 values, digest ${D1}`, actual: `revision 1: 2 values, digest ${D2}`, heal: 'resend' },
      { between: 'meter-ingest↔balancing', periodId: P, groupId: 'G1', what: 'values', expected: `3 values, digest ${D1}`, actual: `2 values, digest ${D2}`, heal: 'resend' },
    ]);
  });

  it('replays a settled version chain-bridge never got; a different root for the same version, or on chain, is an alarm', () => {
    expect(reconcile({ ...clean, chainBridge: [] })).toEqual([expect.objectContaining({ between: 'balancing↔chain-bridge', what: 'version', actual: 'nothing', heal: 'replay-settled' })]);
    expect(reconcile({ ...clean, chainBridge: [{ ...clean.chainBridge![0], merkleRoot: R2, onChainRoot: R2 }] })).toEqual([expect.objectContaining({ between: 'balancing↔chain-bridge', what: 'root', heal: null })]);
    expect(reconcile({ ...clean, chainBridge: [{ ...clean.chainBridge![0], onChainRoot: null }] })).toEqual([
      { between: 'chain-bridge↔chain', periodId: P, groupId: 'G1', what: 'root', expected: `v1 root ${R1}`, actual: 'no root on chain', heal: null },
    ]);
  });

  it('reports schedules capacity-market made that balancing does not hold, and skips sides that did not answer', () => {
    expect(reconcile({ ...clean, balancingExchanges: [] })).toEqual([{ between: 'balancing↔capacity-market', periodId: P, groupId: 'G1', what: 'schedules', expected: '10 Wh G1→G2', actual: 'no Wh', heal: null }]);
    expect(reconcile({ ...clean, balancingManifests: [], balancingVersions: clean.balancingVersions, meterIngest: null, chainBridge: null, capacity: null })).toEqual([]);
  });
});
