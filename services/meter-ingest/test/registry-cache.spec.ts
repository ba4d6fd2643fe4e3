import type { RegistryVersion } from '@gridledger/metering';
import { CachedRegistryView, type MeterSequence } from '../src/intake/registry-cache';

const version = (meterId: string, groupId: string): RegistryVersion => ({
  meterId,
  direction: 'consumption',
  mpo: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  groupId,
  connectionLimitW: 4000n,
  validFromMs: 0,
  validToMs: null,
  retired: false,
});

describe('CachedRegistryView', () => {
  // The remembered answers differ from the map's here only to show which one was used; in
  // the service both are of the same registry revision and agree.
  const known = new Map([
    ['A', [version('A', 'MAP')]],
    ['B', [version('B', 'MAP')]],
    ['C', [version('C', 'MAP')]],
  ]);
  const remembered: MeterSequence = { meterIds: ['A', 'B', 'C'], versions: [[version('A', 'SEQ')], [version('B', 'SEQ')], [version('C', 'SEQ')]] };
  const sequences = new Map([['A', remembered]]);

  it('answers a meter at the position the remembered batch had it from the sequence, any other from the map', () => {
    const view = new CachedRegistryView(known, '7', undefined, sequences);
    expect(['A', 'C', 'B', 'X'].map((id) => view.get(id)?.[0]?.groupId ?? 'none')).toEqual(['SEQ', 'MAP', 'MAP', 'none']);
    expect([...view.missed]).toEqual(['X']);
    expect(view.asked()).toEqual({ meterIds: ['A', 'C', 'B', 'X'], versions: [[version('A', 'SEQ')], [version('C', 'MAP')], [version('B', 'MAP')], undefined] });
  });

  it('follows a sequence only from a batch with the same first meter', () => {
    const view = new CachedRegistryView(known, '7', undefined, sequences);
    expect(['B', 'B', 'C'].map((id) => view.get(id)?.[0].groupId)).toEqual(['MAP', 'MAP', 'MAP']);
  });

  it('keeps its sequences when completed with the meters it missed', () => {
    const view = new CachedRegistryView(known, '7', undefined, sequences);
    view.get('A');
    view.get('Y');
    const completed = view.with(new Map([['Y', []]]));
    expect(['A', 'Y'].map((id) => completed.get(id))).toEqual([[version('A', 'SEQ')], []]);
    expect(completed.missed.size).toBe(0);
  });

  it('is the remembered sequence itself when a batch follows it throughout, and its prefix when the batch is shorter', () => {
    const whole = new CachedRegistryView(known, '7', undefined, sequences);
    ['A', 'B', 'C'].forEach((id) => whole.get(id));
    expect(whole.asked()).toBe(remembered);
    const shorter = new CachedRegistryView(known, '7', undefined, sequences);
    ['A', 'B'].forEach((id) => shorter.get(id));
    expect(shorter.asked()).toEqual({ meterIds: ['A', 'B'], versions: [[version('A', 'SEQ')], [version('B', 'SEQ')]] });
  });

  it('records the followed prefix once a batch leaves the sequence, and follows it again where positions match', () => {
    const view = new CachedRegistryView(known, '7', undefined, sequences);
    expect(['A', 'B', 'X', 'D'].map((id) => view.get(id)?.[0]?.groupId ?? 'none')).toEqual(['SEQ', 'SEQ', 'none', 'none']);
    const longer = new CachedRegistryView(known, '7', undefined, sequences);
    expect(['A', 'X', 'C', 'B'].map((id) => longer.get(id)?.[0]?.groupId ?? 'none')).toEqual(['SEQ', 'none', 'SEQ', 'MAP']);
    expect(longer.asked().meterIds).toEqual(['A', 'X', 'C', 'B']);
    expect(view.asked()).toEqual({ meterIds: ['A', 'B', 'X', 'D'], versions: [[version('A', 'SEQ')], [version('B', 'SEQ')], undefined, undefined] });
    expect([...view.missed]).toEqual(['X', 'D']);
  });

  it('asks nothing of an empty batch', () => {
    expect(new CachedRegistryView(known, '7', undefined, sequences).asked()).toEqual({ meterIds: [], versions: [] });
  });
});
