import { Wallet } from 'ethers';
import { parseChangeCommand, settledPeriodsRefusal, type MeterPointVersionState, type Requester } from '../src';

const dso = Wallet.createRandom().address;
const asDso: Requester = { address: dso, mayManage: (gridArea) => gridArea === 'GA-1', isDso: (gridArea) => gridArea === 'GA-1' };
const otherDso: Requester = { address: Wallet.createRandom().address, mayManage: (gridArea) => gridArea === 'GA-2', isDso: (gridArea) => gridArea === 'GA-2' };
const operator: Requester = { address: Wallet.createRandom().address, mayManage: () => true };
const T0 = Date.parse('2026-03-29T00:00:00Z');
const current: MeterPointVersionState = {
  meterId: 'DE0001', direction: 'consumption', mpo: dso, dso, gridArea: 'GA-1', groupId: 'BG-A', supplier: null, connectionLimitW: 10_000n, validFromMs: T0, validToMs: null,
};
const move = parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:00:00Z', groupId: 'BG-B' });
const correction = parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:00:00Z', groupId: 'BG-B', correction: true });
const settledFrom = T0 + 3_600_000;

describe('registry changes reaching into settled periods', () => {
  it('lets any permitted change through where no value is accepted from its instant on', () => {
    expect(settledPeriodsRefusal(move, current, operator, null)).toBeNull();
    expect(settledPeriodsRefusal({ type: 'RetireMeterPoint', meterId: 'DE0001', effectiveAtMs: T0 + 3_600_000 }, current, asDso, null)).toBeNull();
  });

  it('refuses a change over accepted values without the correction flag, naming effectiveFrom', () => {
    expect(settledPeriodsRefusal(move, current, asDso, settledFrom)).toMatchObject({ kind: 'conflict', code: 'SETTLED_PERIODS', field: 'effectiveFrom' });
  });

  it('takes it as a correction only from the DSO of the grid area, not the market operator or another DSO', () => {
    expect(settledPeriodsRefusal(correction, current, asDso, settledFrom)).toBeNull();
    expect(settledPeriodsRefusal(correction, current, operator, settledFrom)).toMatchObject({ kind: 'forbidden', code: 'CORRECTION_NOT_PERMITTED', field: 'correction' });
    expect(settledPeriodsRefusal(correction, current, otherDso, settledFrom)).toMatchObject({ kind: 'forbidden', code: 'CORRECTION_NOT_PERMITTED' });
  });

  it('never lets a retirement reach back over values (they would be in no group)', () => {
    expect(settledPeriodsRefusal({ type: 'RetireMeterPoint', meterId: 'DE0001', effectiveAtMs: T0 + 3_600_000 }, current, asDso, settledFrom)).toMatchObject({ kind: 'conflict', code: 'SETTLED_PERIODS', field: 'effectiveAt' });
  });

  it('parses the flag as a boolean only', () => {
    expect(correction.correction).toBe(true);
    expect(() => parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:00:00Z', groupId: 'BG-B', correction: 'yes' })).toThrow(expect.objectContaining({ code: 'MALFORMED_COMMAND', field: 'correction' }));
  });
});
