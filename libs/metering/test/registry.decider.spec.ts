import { Wallet } from 'ethers';
import { DomainError } from '@gridledger/domain';
import { deciderSpec } from '@gridledger/testing';
import { meterPointDecider, parseChangeCommand, parseRegisterCommand, type MeterPointCommand, type RegistryCommand, type Requester } from '../src';

const mpo = Wallet.createRandom().address;
const dso = Wallet.createRandom().address;
const operator: Requester = { address: Wallet.createRandom().address, mayManage: () => true };
/** The DSO of grid area GA-1. */
const asDso: Requester = { address: dso, mayManage: (gridArea) => gridArea === 'GA-1' };
const T0 = Date.parse('2026-03-29T00:00:00Z');
const QH = 15 * 60_000;
const spec = deciderSpec(meterPointDecider);

const register = parseRegisterCommand(
  { meterId: 'DE0001', direction: 'production', mpo: mpo.toLowerCase(), dso, gridArea: 'GA-1', groupId: 'BG-1', supplier: null, connectionLimitW: '10000', validFrom: '2026-03-29T00:00:00Z' },
  'meters[0]',
);
const by = (requester: Requester, command: RegistryCommand): MeterPointCommand => ({ ...command, requester });
const registered = spec.given().when(by(asDso, register)).events();

describe('meter registry decider', () => {
  it('registers a meter with a checksummed MPO address', () => {
    spec
      .given()
      .when(by(asDso, register))
      .then([{ type: 'MeterPointRegistered', version: expect.objectContaining({ meterId: 'DE0001', mpo, validFromMs: T0, validToMs: null }) }]);
  });

  it('takes the same registration again as a no-op, refuses a different one and registration for another MPO', () => {
    spec.given(...registered).when(by(asDso, register)).then([]);
    const other = spec.given(...registered).when(by(asDso, { ...register, groupId: 'BG-2' })).thenRefused('ALREADY_REGISTERED', 'meterId');
    expect(other).toMatchObject({ kind: 'conflict', reason: 'meter DE0001: a meter point with this id is already registered' });
    // Not the DSO of the point's grid area (an MPO registering itself, say): refused.
    expect(spec.given().when(by({ address: mpo, mayManage: () => false }, register)).thenRefused('NOT_PERMITTED', 'gridArea').kind).toBe('forbidden');
  });

  it('changes group at a period boundary and closes the previous version there', () => {
    const change = parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:00:00Z', groupId: 'BG-2' });
    const state = spec.given(...registered).when(by(asDso, change)).stateAfter();
    expect(state.status).toBe('active');
    if (state.status !== 'active') return;
    expect(state.versions.map((v) => [v.groupId, v.validFromMs, v.validToMs])).toEqual([
      ['BG-1', T0, T0 + 4 * QH],
      ['BG-2', T0 + 4 * QH, null],
    ]);
  });

  it('refuses changes off a boundary, before the current version, or changing nothing', () => {
    expect(() => parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:07:00Z', groupId: 'BG-2' })).toThrow(
      expect.objectContaining({ code: 'NOT_AT_PERIOD_BOUNDARY', kind: 'invalid', field: 'effectiveFrom' }),
    );
    const active = spec.given(...registered);
    expect(active.when(by(asDso, { type: 'ChangeMeterPoint', meterId: 'DE0001', effectiveFromMs: T0, groupId: 'BG-2' })).thenRefused('NOT_AFTER_CURRENT_VERSION', 'effectiveFrom').kind).toBe('conflict');
    expect(active.when(by(asDso, { type: 'ChangeMeterPoint', meterId: 'DE0001', effectiveFromMs: T0 + QH, groupId: 'BG-1' })).thenRefused('NOTHING_CHANGED', '(body)').kind).toBe('invalid');
    expect(spec.given().when(by(operator, { type: 'ChangeMeterPoint', meterId: 'DE0001', effectiveFromMs: T0 + QH, groupId: 'BG-2' })).thenRefused('UNKNOWN_METER', 'meterId').kind).toBe('not-found');
  });

  it('retires a meter; a retired meter takes no further change', () => {
    const retire = (effectiveAtMs: number): MeterPointCommand => by(operator, { type: 'RetireMeterPoint', meterId: 'DE0001', effectiveAtMs });
    spec.given(...registered).when(retire(T0 + 8 * QH)).then([{ type: 'MeterPointRetired', meterId: 'DE0001', retiredAtMs: T0 + 8 * QH }]);
    const retired = spec.given(...registered, { type: 'MeterPointRetired', meterId: 'DE0001', retiredAtMs: T0 + 8 * QH });
    expect(retired.state).toMatchObject({ status: 'retired', retiredAtMs: T0 + 8 * QH, versions: [{ validToMs: T0 + 8 * QH }] });
    expect(retired.when(retire(T0 + 12 * QH)).thenRefused('METER_RETIRED', 'meterId').kind).toBe('conflict');
  });

  it('names the field of a malformed registration', () => {
    expect(() => parseRegisterCommand({ meterId: 'X1', direction: 'sideways' }, 'meters[3]')).toThrow(
      expect.objectContaining({ code: 'MALFORMED_COMMAND', kind: 'invalid', field: 'meters[3].direction' }),
    );
    const badChecksum = mpo.slice(0, 2) + mpo.slice(2, 3).toLowerCase() === mpo.slice(0, 3) ? mpo.replace(/[a-f]/, (c) => c.toUpperCase()) : mpo.replace(/[A-F]/, (c) => c.toLowerCase());
    const body = { meterId: 'X1', direction: 'production', dso, groupId: 'G', connectionLimitW: '1', validFrom: '2026-03-29T00:00:00Z', mpo: badChecksum };
    expect(() => parseRegisterCommand(body, 'm')).toThrow(DomainError);
    expect(() => parseRegisterCommand(body, 'm')).toThrow(expect.objectContaining({ field: 'm.mpo' }));
  });
});
