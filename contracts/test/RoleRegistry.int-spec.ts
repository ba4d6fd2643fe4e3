import { Contract, ContractFactory, ZeroAddress, ZeroHash } from 'ethers';
import { MARKET, MARKET_SCOPE, ROLES, RoleRegistryArtifact, gridAreaKey, groupKey, plantKey, scopeKey } from '../src';
import { CascadeFixture, mined } from './cascade.fixture';
import { expectRevert } from './revert';

const NORTH = groupKey('GRP-NORTH');
const SOUTH = groupKey('GRP-SOUTH');
const EAST = groupKey('GRP-EAST');
const ADMIN_DELAY = 3600;

jest.setTimeout(60_000);

describe('RoleRegistry on anvil', () => {
  const f = new CascadeFixture();
  let registry: Contract;
  let opening: bigint;
  let current: bigint;

  const as = (who: Parameters<CascadeFixture['as']>[0]) => f.as(who, registry);
  const send = (name: string, ...args: unknown[]) => mined(as('operator').getFunction(name)(...args));
  const names = (receipt: { logs: readonly { topics: readonly string[]; data: string }[] }) => receipt.logs.map((log) => registry.interface.parseLog(log)?.name);

  beforeAll(async () => {
    await f.setUp();
    // The registry on its own (the cascade inherits it): the market opened a day ago with two groups.
    opening = f.periodAgo(96);
    const factory = new ContractFactory(RoleRegistryArtifact.abi, RoleRegistryArtifact.bytecode, f.operator);
    registry = (await (await factory.deploy(await f.operator.getAddress(), ADMIN_DELAY, opening, [NORTH, SOUTH])).waitForDeployment()) as Contract;
    await send('grantGroupRole', ROLES.BRP, NORTH, f.wallets.brpNorth.address);
    await send('grantGroupRole', ROLES.TSO, MARKET_SCOPE, f.wallets.tso.address);
    await f.keepState();
  });
  beforeEach(async () => {
    current = await f.currentPeriod();
  });
  afterEach(async () => {
    await f.reset();
    registry = registry.connect(f.operator) as Contract;
  });
  afterAll(() => f.tearDown());

  describe('groups over time', () => {
    it('counts the opening groups from the opening period on, and none before', async () => {
      expect(await registry.getFunction('requiredGroups')(opening - 900n)).toBe(0n);
      expect(await registry.getFunction('requiredGroups')(opening)).toBe(2n);
      expect(await registry.getFunction('requiredGroups')(current)).toBe(2n);
      expect((await registry.getFunction('groupOf')(NORTH)).toArray()).toEqual([opening, 2n ** 48n - 1n, f.wallets.brpNorth.address]);
      expect(await registry.getFunction('isGroupRegistered')(EAST)).toBe(false);
    });

    it('registers a group from the period in progress on: ended periods keep what they needed', async () => {
      const receipt = await send('registerGroup', EAST);
      expect(registry.interface.parseLog(receipt.logs[0])?.args.toArray()).toEqual([EAST, current, 3n]);
      expect(await registry.getFunction('requiredGroups')(current - 900n)).toBe(2n);
      expect(await registry.getFunction('requiredGroups')(current)).toBe(3n);
      expect(await registry.getFunction('requiredGroups')(current + 900n * 100n)).toBe(3n);
      expect(await registry.getFunction('isGroupRegistered')(EAST)).toBe(true);
    });

    it('retires a group from the period in progress on: it still counts for the periods before', async () => {
      const receipt = await send('retireGroup', SOUTH);
      expect(registry.interface.parseLog(receipt.logs[0])?.args.toArray()).toEqual([SOUTH, current, 1n]);
      expect(await registry.getFunction('requiredGroups')(current - 900n)).toBe(2n);
      expect(await registry.getFunction('requiredGroups')(current)).toBe(1n);
      expect((await registry.getFunction('groupOf')(SOUTH)).toArray()).toEqual([opening, current, ZeroAddress]);
      await expectRevert(send('retireGroup', SOUTH), registry, 'RoleRegistryGroupNotActive', [SOUTH]);
      await expectRevert(send('retireGroup', EAST), registry, 'RoleRegistryGroupNotActive', [EAST]);
      await expectRevert(send('registerGroup', SOUTH), registry, 'RoleRegistryGroupAlreadyRegistered', [SOUTH]);
    });

    it('rejects a second registration, the zero group and non-admins', async () => {
      await expectRevert(send('registerGroup', NORTH), registry, 'RoleRegistryGroupAlreadyRegistered', [NORTH]);
      await expectRevert(send('registerGroup', ZeroHash), registry, 'RoleRegistryInvalidGroup', [ZeroHash]);
      await expectRevert(as('stranger').getFunction('registerGroup')(EAST), registry, 'AccessControlUnauthorizedAccount', [f.wallets.stranger.address, ZeroHash]);
      await expectRevert(as('stranger').getFunction('retireGroup')(NORTH), registry, 'AccessControlUnauthorizedAccount', [f.wallets.stranger.address, ZeroHash]);
    });
  });

  describe('roles', () => {
    it('grants and revokes scoped roles with AccessControl and its own events', async () => {
      const granted = await send('grantGroupRole', ROLES.DSO, NORTH, f.wallets.stranger.address);
      expect(names(granted)).toEqual(['RoleGranted', 'GroupRoleGranted']);
      expect(registry.interface.parseLog(granted.logs[1])?.args.toArray()).toEqual([ROLES.DSO, NORTH, f.wallets.stranger.address, await f.operator.getAddress()]);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, NORTH, f.wallets.stranger.address)).toBe(true);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, SOUTH, f.wallets.stranger.address)).toBe(false);
      const revoked = await send('revokeGroupRole', ROLES.DSO, NORTH, f.wallets.stranger.address);
      expect(names(revoked)).toEqual(['RoleRevoked', 'GroupRoleRevoked']);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, NORTH, f.wallets.stranger.address)).toBe(false);
      expect(await registry.getFunction('hasGroupRole')(ROLES.TSO, MARKET_SCOPE, f.wallets.tso.address)).toBe(true);
      const bogus = groupKey('NOT-A-ROLE');
      await expectRevert(send('grantGroupRole', bogus, NORTH, f.wallets.stranger.address), registry, 'RoleRegistryUnknownRole', [bogus]);
    });

    it('holds every market role for its kind of scope: market-wide roles only for the market, the others only for a named scope', async () => {
      const who = f.wallets.stranger.address;
      const grants = [
        ['MARKET_OPERATOR', MARKET],
        ['DSO', 'GA-NORTH'],
        ['SUPPLIER', 'GRP-NORTH'],
        ['PLANT_OPERATOR', 'WIND-1'],
      ] as const;
      for (const [role, scope] of grants) await send('grantGroupRole', ROLES[role], scopeKey(role, scope), who);
      expect(await registry.getFunction('hasGroupRole')(ROLES.MARKET_OPERATOR, MARKET_SCOPE, who)).toBe(true);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, gridAreaKey('GA-NORTH'), who)).toBe(true);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, groupKey('GA-NORTH'), who)).toBe(false);
      expect(await registry.getFunction('hasGroupRole')(ROLES.PLANT_OPERATOR, plantKey('WIND-1'), who)).toBe(true);
      await expectRevert(send('grantGroupRole', ROLES.MARKET_OPERATOR, NORTH, who), registry, 'RoleRegistryWrongScope', [ROLES.MARKET_OPERATOR, NORTH]);
      await expectRevert(send('grantGroupRole', ROLES.MPO, MARKET_SCOPE, who), registry, 'RoleRegistryWrongScope', [ROLES.MPO, MARKET_SCOPE]);
      await expectRevert(as('stranger').getFunction('grantGroupRole')(ROLES.MPO, NORTH, who), registry, 'AccessControlUnauthorizedAccount', [who, ZeroHash]);
    });

    it('keeps one BRP per group, for registered groups only; revoking frees the place', async () => {
      await expectRevert(send('grantGroupRole', ROLES.BRP, NORTH, f.wallets.brpSouth.address), registry, 'RoleRegistryGroupHasBrp', [NORTH, f.wallets.brpNorth.address]);
      await expectRevert(send('grantGroupRole', ROLES.BRP, EAST, f.wallets.brpSouth.address), registry, 'RoleRegistryGroupNotActive', [EAST]);
      await send('revokeGroupRole', ROLES.BRP, NORTH, f.wallets.brpNorth.address);
      expect((await registry.getFunction('groupOf')(NORTH))[2]).toBe(ZeroAddress);
      await send('grantGroupRole', ROLES.BRP, NORTH, f.wallets.brpSouth.address);
      expect((await registry.getFunction('groupOf')(NORTH))[2]).toBe(f.wallets.brpSouth.address);
      expect(await registry.getFunction('hasGroupRole')(ROLES.BRP, NORTH, f.wallets.brpNorth.address)).toBe(false);
      // One key may be the BRP of several groups.
      await send('grantGroupRole', ROLES.BRP, SOUTH, f.wallets.brpSouth.address);
      expect((await registry.getFunction('groupOf')(SOUTH))[2]).toBe(f.wallets.brpSouth.address);
    });

    it('refuses raw grantRole / revokeRole / renounceRole for scoped roles, and a raw grant of the admin role', async () => {
      const scoped = await registry.getFunction('scopedRole')(ROLES.BRP, SOUTH);
      await expectRevert(send('grantRole', scoped, f.wallets.stranger.address), registry, 'RoleRegistryUseGroupFunctions', [scoped]);
      const brpNorth = await registry.getFunction('scopedRole')(ROLES.BRP, NORTH);
      await expectRevert(send('revokeRole', brpNorth, f.wallets.brpNorth.address), registry, 'RoleRegistryUseGroupFunctions', [brpNorth]);
      await expectRevert(as('brpNorth').getFunction('renounceRole')(brpNorth, f.wallets.brpNorth.address), registry, 'RoleRegistryUseGroupFunctions', [brpNorth]);
      await expectRevert(send('grantRole', ZeroHash, f.wallets.stranger.address), registry, 'AccessControlEnforcedDefaultAdminRules', []);
      expect((await registry.getFunction('groupOf')(NORTH))[2]).toBe(f.wallets.brpNorth.address);
    });
  });

  describe('administrator', () => {
    it('changes hands in two steps, after the delay', async () => {
      const operator = await f.operator.getAddress();
      expect(await registry.getFunction('defaultAdmin')()).toBe(operator);
      expect(await registry.getFunction('defaultAdminDelay')()).toBe(BigInt(ADMIN_DELAY));
      await send('beginDefaultAdminTransfer', f.wallets.tso.address);
      const [, schedule] = await registry.getFunction('pendingDefaultAdmin')();
      await expectRevert(as('tso').getFunction('acceptDefaultAdminTransfer')(), registry, 'AccessControlEnforcedDefaultAdminDelay', [schedule]);
      await expectRevert(as('stranger').getFunction('acceptDefaultAdminTransfer')(), registry, 'AccessControlInvalidDefaultAdmin', [f.wallets.stranger.address]);
      await f.advance(ADMIN_DELAY + 1);
      await mined(as('tso').getFunction('acceptDefaultAdminTransfer')());
      expect(await registry.getFunction('defaultAdmin')()).toBe(f.wallets.tso.address);
      await expectRevert(send('registerGroup', EAST), registry, 'AccessControlUnauthorizedAccount', [operator, ZeroHash]);
      await mined(as('tso').getFunction('registerGroup')(EAST));
      expect(await registry.getFunction('isGroupRegistered')(EAST)).toBe(true);
    });
  });
});
