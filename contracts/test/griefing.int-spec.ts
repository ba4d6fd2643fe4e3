import { ZeroHash } from 'ethers';
import { ROLES, groupKey } from '../src';
import { CascadeFixture, ROOT_A, ROOT_B, balanced } from './cascade.fixture';
import { expectRevert } from './revert';

const NORTH = groupKey('GRP-NORTH');
const SOUTH = groupKey('GRP-SOUTH');
const EAST = groupKey('GRP-EAST');
const MAX_ENERGY = 2n ** 56n - 1n;
const MIN_NET = -(2n ** 55n);

jest.setTimeout(60_000);

/**
 * The ways one key could hurt the market, read from the previous contract as an auditor would.
 * Each test says how the previous contract (uint256/int256 totals shared by all groups, BRP or
 * MPO may commit, no window, one global group count, one admin key without delay) failed it.
 */
describe('no key can grief the market', () => {
  const f = new CascadeFixture();
  let PERIOD: bigint;

  beforeAll(async () => {
    await f.setUp();
    PERIOD = f.periodAgo(8);
  });
  afterEach(() => f.reset());
  afterAll(() => f.tearDown());

  it("one group's extreme totals never make another group's commit or the finalization revert", async () => {
    // Before: NORTH committed imbalanceWh = type(int256).max and SOUTH's commit reverted on overflow.
    await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, [2n ** 128n - 1n, 0n, 0n, 2n ** 127n - 1n]), f.cascade, 'CascadeTotalsOutOfRange', [NORTH, PERIOD]);
    const extremeNorth = balanced(MAX_ENERGY, 0n, MIN_NET);
    await f.commit('brpNorth', NORTH, PERIOD, 1, extremeNorth);
    const extremeSouth = balanced(MAX_ENERGY, 0n, MIN_NET);
    await f.commit('brpSouth', SOUTH, PERIOD, 1, extremeSouth);
    // A correction swinging to the other extreme: still no overflow anywhere.
    await f.commit('brpNorth', NORTH, PERIOD, 2, balanced(0n, MAX_ENERGY, -MIN_NET - 1n));
    const market = balanced(MAX_ENERGY, MAX_ENERGY, MIN_NET + (-MIN_NET - 1n));
    const [sums] = await f.cascade.getFunction('periodState')(PERIOD);
    expect(sums.toArray()).toEqual(market);
    await f.finalize('tso', PERIOD, market);
  });

  it("a group's MPO key cannot commit for the group (only its BRP)", async () => {
    // Before: the MPO role was accepted as the BRP's delegate and could take any version slot.
    await expectRevert(f.commit('mpoNorth', NORTH, PERIOD, 1, balanced(1n, 0n), ROOT_B), f.cascade, 'CascadeUnauthorizedCommitter', [NORTH, f.wallets.mpoNorth.address]);
    expect(await f.cascade.getFunction('latestVersion')(NORTH, PERIOD)).toBe(0n);
  });

  it('a version slot taken by a wrong root is superseded by the next version, which is what the market then uses', async () => {
    // The recovery path the bridge relies on (alarm, then the next version): v1 stays on record.
    await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(999n, 0n), ROOT_B);
    await f.commit('brpSouth', SOUTH, PERIOD, 1, balanced(5n, 1n));
    await f.commit('brpNorth', NORTH, PERIOD, 2, balanced(10n, 2n), ROOT_A);
    expect(await f.cascade.getFunction('rootOf')(NORTH, PERIOD, 1)).toBe(ROOT_B);
    expect((await f.cascade.getFunction('latestCommitment')(NORTH, PERIOD))[1]).toBe(ROOT_A);
    await f.finalize('tso', PERIOD, balanced(15n, 3n));
  });

  it('commits neither a period that has not ended nor one far in the past', async () => {
    // Before: any quarter hour was accepted, years ahead or behind.
    const current = await f.currentPeriod();
    const future = current + 900n * 96n * 365n;
    await expectRevert(f.commit('brpNorth', NORTH, future, 1, balanced(1n, 0n)), f.cascade, 'CascadePeriodNotEnded', [future, future + 900n]);
    await expectRevert(f.commit('brpNorth', NORTH, current, 1, balanced(1n, 0n)), f.cascade, 'CascadePeriodNotEnded', [current, current + 900n]);
    const window = await f.cascade.getFunction('correctionWindow')();
    const farPast = current - 900n * 96n * 400n;
    await expectRevert(f.commit('brpNorth', NORTH, farPast, 1, balanced(1n, 0n)), f.cascade, 'CascadeCorrectionWindowClosed', [farPast, farPast + 900n + window]);
  });

  it('reopens a finalized period only with a correction inside the window', async () => {
    // Before: any later correction reopened a finalized period, at any time.
    const window = 3600;
    const cascade = await f.deploy({ correctionWindowSeconds: window });
    const period = (await f.currentPeriod()) - 1800n;
    await f.commit('brpNorth', NORTH, period, 1, balanced(4n, 1n), ROOT_A, 10n, cascade);
    await f.commit('brpSouth', SOUTH, period, 1, balanced(2n, 1n), ROOT_A, 10n, cascade);
    await f.finalize('tso', period, balanced(6n, 2n), cascade);
    await f.advance(window + 900);
    await expectRevert(f.commit('brpSouth', SOUTH, period, 2, balanced(9n, 1n), ROOT_A, 10n, cascade), cascade, 'CascadeCorrectionWindowClosed', [
      period,
      period + 900n + BigInt(window),
    ]);
    const [, , finalized, finalizations] = await cascade.getFunction('periodState')(period);
    expect([finalized, finalizations]).toEqual([true, 1n]);
  });

  it('registering a group blocks no period it does not count for', async () => {
    // Before: groupCount() was one global number, so every unfinalized period now missed a group.
    await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(3n, 1n));
    await f.commit('brpSouth', SOUTH, PERIOD, 1, balanced(2n, 1n));
    await f.admin('registerGroup', EAST);
    await f.finalize('tso', PERIOD, balanced(5n, 2n));
    // And the new group cannot commit a period from before its registration.
    await f.admin('grantGroupRole', ROLES.BRP, EAST, f.wallets.brpEast.address);
    const [from] = await f.cascade.getFunction('groupOf')(EAST);
    await expectRevert(f.commit('brpEast', EAST, PERIOD, 1, balanced(1n, 0n)), f.cascade, 'CascadeGroupNotActive', [EAST, PERIOD, from, 2n ** 48n - 1n]);
  });

  it('a retired group is no longer needed from its retirement on, and still needed before', async () => {
    // Before: a group could not be retired; every later period waited for it forever.
    const beforeRetirement = (await f.currentPeriod()) - 900n;
    await f.admin('retireGroup', SOUTH);
    const [, until] = await f.cascade.getFunction('groupOf')(SOUTH);
    await f.advance(900);
    const afterRetirement = BigInt(until);
    await f.commit('brpNorth', NORTH, afterRetirement, 1, balanced(7n, 2n));
    await expectRevert(f.commit('brpSouth', SOUTH, afterRetirement, 1, balanced(1n, 0n)), f.cascade, 'CascadeGroupNotActive', [SOUTH, afterRetirement, 0n, until]);
    await f.finalize('tso', afterRetirement, balanced(7n, 2n));
    await f.commit('brpNorth', NORTH, beforeRetirement, 1, balanced(7n, 2n));
    await expectRevert(f.finalize('tso', beforeRetirement, balanced(7n, 2n)), f.cascade, 'CascadeGroupsMissing', [beforeRetirement, 1n, 2n]);
    await f.commit('brpSouth', SOUTH, beforeRetirement, 1, balanced(1n, 0n));
    await f.finalize('tso', beforeRetirement, balanced(8n, 2n));
  });

  it('role changes go through the registry functions (with their events), and the admin changes hands only in two delayed steps', async () => {
    // Before: raw grantRole gave a key a group role without GroupRoleGranted, and one key with
    // no delay could hand the administration to anyone at once.
    const scopedBrp = await f.cascade.getFunction('scopedRole')(ROLES.BRP, NORTH);
    await expectRevert(f.admin('grantRole', scopedBrp, f.wallets.stranger.address), f.cascade, 'RoleRegistryUseGroupFunctions', [scopedBrp]);
    await expectRevert(f.admin('grantRole', ZeroHash, f.wallets.stranger.address), f.cascade, 'AccessControlEnforcedDefaultAdminRules', []);
    await f.admin('beginDefaultAdminTransfer', f.wallets.stranger.address);
    const [, schedule] = await f.cascade.getFunction('pendingDefaultAdmin')();
    await expectRevert(f.as('stranger').getFunction('acceptDefaultAdminTransfer')(), f.cascade, 'AccessControlEnforcedDefaultAdminDelay', [schedule]);
    expect(await f.cascade.getFunction('defaultAdmin')()).toBe(await f.operator.getAddress());
  });
});
