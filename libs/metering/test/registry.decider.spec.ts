import { Wallet } from 'ethers';
import {
  RegistryError,
  decideMeterPoint,
  evolveMeterPoint,
  initialMeterPointState,
  parseChangeCommand,
  parseRegisterCommand,
  replayMeterPoint,
  type RegistryCommand,
  type RegistryEvent,
  type Requester,
} from '../src';

const mpo = Wallet.createRandom().address;
const dso = Wallet.createRandom().address;
const operator: Requester = { kind: 'operator' };
const asMpo: Requester = { kind: 'mpo', address: mpo };
const T0 = Date.parse('2026-03-29T00:00:00Z');
const QH = 15 * 60_000;

const register = parseRegisterCommand(
  { meterId: 'DE0001', direction: 'production', mpo: mpo.toLowerCase(), dso, groupId: 'BG-1', supplier: null, connectionLimitW: '10000', validFrom: '2026-03-29T00:00:00Z' },
  'meters[0]',
);

function given(events: RegistryEvent[], when: RegistryCommand, requester: Requester = asMpo): RegistryEvent[] {
  return decideMeterPoint(when, replayMeterPoint(events), requester);
}

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('expected a RegistryError');
}

describe('meter registry decider', () => {
  it('registers a meter with a checksummed MPO address', () => {
    const events = given([], register);
    expect(events).toEqual([{ type: 'MeterPointRegistered', version: expect.objectContaining({ meterId: 'DE0001', mpo, validFromMs: T0, validToMs: null }) }]);
  });

  it('refuses a second registration and registration for another MPO', () => {
    const registered = given([], register);
    expect(errorOf(() => given(registered, register)).code).toBe('ALREADY_REGISTERED');
    expect(errorOf(() => given([], register, { kind: 'mpo', address: dso })).code).toBe('NOT_PERMITTED');
  });

  it('changes group at a period boundary and closes the previous version there', () => {
    const registered = given([], register);
    const change = parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:00:00Z', groupId: 'BG-2' });
    const changed = given(registered, change);
    const state = replayMeterPoint([...registered, ...changed]);
    expect(state.status).toBe('active');
    if (state.status !== 'active') return;
    expect(state.versions.map((v) => [v.groupId, v.validFromMs, v.validToMs])).toEqual([
      ['BG-1', T0, T0 + 4 * QH],
      ['BG-2', T0 + 4 * QH, null],
    ]);
  });

  it('refuses changes off a boundary, before the current version, or changing nothing', () => {
    const registered = given([], register);
    expect(errorOf(() => parseChangeCommand('DE0001', { effectiveFrom: '2026-03-29T01:07:00Z', groupId: 'BG-2' })).code).toBe('NOT_AT_PERIOD_BOUNDARY');
    expect(errorOf(() => given(registered, { type: 'ChangeMeterPoint', meterId: 'DE0001', effectiveFromMs: T0, groupId: 'BG-2' })).code).toBe('NOT_AFTER_CURRENT_VERSION');
    expect(errorOf(() => given(registered, { type: 'ChangeMeterPoint', meterId: 'DE0001', effectiveFromMs: T0 + QH, groupId: 'BG-1' })).code).toBe('NOTHING_CHANGED');
  });

  it('retires a meter; a retired meter takes no further change', () => {
    const registered = given([], register);
    const retired = given(registered, { type: 'RetireMeterPoint', meterId: 'DE0001', effectiveAtMs: T0 + 8 * QH }, operator);
    const state = replayMeterPoint([...registered, ...retired]);
    expect(state).toMatchObject({ status: 'retired', retiredAtMs: T0 + 8 * QH });
    expect(errorOf(() => decideMeterPoint({ type: 'RetireMeterPoint', meterId: 'DE0001', effectiveAtMs: T0 + 12 * QH }, state, operator)).code).toBe('METER_RETIRED');
    expect(evolveMeterPoint(initialMeterPointState(), registered[0]).status).toBe('active');
  });

  it('names the field of a malformed registration', () => {
    const bad = errorOf(() => parseRegisterCommand({ meterId: 'X1', direction: 'sideways' }, 'meters[3]'));
    expect(bad).toMatchObject({ code: 'MALFORMED_COMMAND', field: 'meters[3].direction' });
    const badChecksum = mpo.slice(0, 2) + mpo.slice(2, 3).toLowerCase() === mpo.slice(0, 3) ? mpo.replace(/[a-f]/, (c) => c.toUpperCase()) : mpo.replace(/[A-F]/, (c) => c.toLowerCase());
    const err = errorOf(() => parseRegisterCommand({ ...{ meterId: 'X1', direction: 'production', dso, groupId: 'G', connectionLimitW: '1', validFrom: '2026-03-29T00:00:00Z' }, mpo: badChecksum }, 'm'));
    expect(err.field).toBe('m.mpo');
  });
});
