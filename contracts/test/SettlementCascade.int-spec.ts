import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Contract, ContractTransactionResponse, JsonRpcProvider, NonceManager, TransactionReceipt, Wallet, ZeroHash } from 'ethers';
import { AnvilInstance, anvilDevKey, startAnvil } from '@gridledger/testing';
import { METER_LEAF_TYPES, MeterMerkleTree, loadKeccak256 } from '@gridledger/domain';
import { MARKET_SCOPE, ROLES, deployCascade, groupKey, periodStartSeconds } from '../src';
import { expectRevert } from './revert';

type Totals = [bigint, bigint, bigint, bigint];

const PERIOD = periodStartSeconds('2026-03-29T01:00:00Z');
const ROOT_A = `0x${'aa'.repeat(32)}`;
const ROOT_B = `0x${'bb'.repeat(32)}`;
const NORTH = groupKey('GRP-NORTH');
const SOUTH = groupKey('GRP-SOUTH');

jest.setTimeout(60_000);

describe('RoleRegistry and SettlementCascade on anvil', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let operator: NonceManager;
  let wallets: Record<'brpNorth' | 'mpoNorth' | 'brpSouth' | 'tso' | 'stranger', Wallet>;
  let registry: Contract;
  let cascade: Contract;
  let snapshot: string;

  const as = (who: keyof typeof wallets): Contract => cascade.connect(wallets[who]) as Contract;
  const mined = async (sent: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> => {
    const receipt = await (await sent).wait();
    if (!receipt) throw new Error('no receipt');
    return receipt;
  };
  const commit = (who: keyof typeof wallets, group: string, period: bigint, version: number, totals: Totals, root = ROOT_A, meters = 10n) =>
    mined(as(who).getFunction('commitPeriod')(group, period, version, totals, root, meters));
  const finalize = (who: keyof typeof wallets, period: bigint, totals: Totals) => mined(as(who).getFunction('finalizePeriod')(period, totals));

  // A fresh provider per test: ethers caches recent answers (nonces) that a revert makes stale.
  const connect = (): void => {
    provider?.destroy();
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
    operator = new NonceManager(new Wallet(anvilDevKey(0), provider));
    wallets = {
      brpNorth: new Wallet(anvilDevKey(1), provider),
      mpoNorth: new Wallet(anvilDevKey(2), provider),
      brpSouth: new Wallet(anvilDevKey(3), provider),
      tso: new Wallet(anvilDevKey(4), provider),
      stranger: new Wallet(anvilDevKey(5), provider),
    };
    if (registry) registry = registry.connect(operator) as Contract;
    if (cascade) cascade = cascade.connect(operator) as Contract;
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    connect();
    const deployed = await deployCascade(operator, {
      groups: ['GRP-NORTH', 'GRP-SOUTH'],
      grants: [
        { role: 'BRP', groupId: 'GRP-NORTH', account: wallets.brpNorth.address },
        { role: 'MPO', groupId: 'GRP-NORTH', account: wallets.mpoNorth.address },
        { role: 'BRP', groupId: 'GRP-SOUTH', account: wallets.brpSouth.address },
        { role: 'TSO', account: wallets.tso.address },
      ],
    });
    registry = deployed.registry;
    cascade = deployed.cascade;
    snapshot = await anvil.rpc<string>('evm_snapshot');
  });

  afterEach(async () => {
    await anvil.rpc('evm_revert', [snapshot]);
    snapshot = await anvil.rpc<string>('evm_snapshot');
    connect();
  });

  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  describe('RoleRegistry', () => {
    it('knows registered groups and scoped roles', async () => {
      expect(await registry.getFunction('groupCount')()).toBe(2n);
      expect(await registry.getFunction('isGroupRegistered')(NORTH)).toBe(true);
      expect(await registry.getFunction('hasGroupRole')(ROLES.BRP, NORTH, wallets.brpNorth.address)).toBe(true);
      expect(await registry.getFunction('hasGroupRole')(ROLES.BRP, SOUTH, wallets.brpNorth.address)).toBe(false);
      expect(await registry.getFunction('hasGroupRole')(ROLES.TSO, MARKET_SCOPE, wallets.tso.address)).toBe(true);
    });

    it('emits GroupRegistered and GroupRoleGranted / GroupRoleRevoked', async () => {
      const east = groupKey('GRP-EAST');
      const registered = await (await registry.getFunction('registerGroup')(east)).wait();
      const log = registry.interface.parseLog(registered.logs[0]);
      expect(log?.name).toBe('GroupRegistered');
      expect(log?.args.toArray()).toEqual([east, 3n]);
      const granted = await (await registry.getFunction('grantGroupRole')(ROLES.DSO, east, wallets.stranger.address)).wait();
      const names = granted.logs.map((l: { topics: string[]; data: string }) => registry.interface.parseLog(l)?.name);
      expect(names).toEqual(['RoleGranted', 'GroupRoleGranted']);
      const revoked = await (await registry.getFunction('revokeGroupRole')(ROLES.DSO, east, wallets.stranger.address)).wait();
      expect(revoked.logs.map((l: { topics: string[]; data: string }) => registry.interface.parseLog(l)?.name)).toEqual(['RoleRevoked', 'GroupRoleRevoked']);
      expect(await registry.getFunction('hasGroupRole')(ROLES.DSO, east, wallets.stranger.address)).toBe(false);
    });

    it('rejects a second registration, the zero group, unknown roles and non-admins', async () => {
      await expectRevert(registry.getFunction('registerGroup')(NORTH), registry, 'RoleRegistryGroupAlreadyRegistered', [NORTH]);
      await expectRevert(registry.getFunction('registerGroup')(ZeroHash), registry, 'RoleRegistryInvalidGroup', [ZeroHash]);
      const bogus = groupKey('NOT-A-ROLE');
      await expectRevert(registry.getFunction('grantGroupRole')(bogus, NORTH, wallets.stranger.address), registry, 'RoleRegistryUnknownRole', [bogus]);
      const asStranger = registry.connect(wallets.stranger) as Contract;
      await expectRevert(asStranger.getFunction('registerGroup')(groupKey('X')), registry, 'AccessControlUnauthorizedAccount', [wallets.stranger.address, ZeroHash]);
    });
  });

  describe('commitPeriod', () => {
    it('accepts the BRP and the delegated MPO, stores the commitment and emits PeriodCommitted', async () => {
      const receipt = await commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n], ROOT_A, 10n);
      const event = cascade.interface.parseLog(receipt.logs[0]);
      expect(event?.name).toBe('PeriodCommitted');
      expect(event?.args.toArray(true)).toEqual([NORTH, PERIOD, 1n, ROOT_A, [1000n, 400n, 100n, 500n], 10n, wallets.brpNorth.address]);
      await commit('mpoNorth', NORTH, PERIOD, 2, [1000n, 500n, 100n, 400n], ROOT_B, 11n);
      expect(await cascade.getFunction('latestVersion')(NORTH, PERIOD)).toBe(2n);
      expect(await cascade.getFunction('rootOf')(NORTH, PERIOD, 1)).toBe(ROOT_A);
      const stored = await cascade.getFunction('commitmentOf')(NORTH, PERIOD, 2);
      expect(stored.toArray(true)).toEqual([ROOT_B, [1000n, 500n, 100n, 400n], 11n, BigInt(receipt.blockNumber + 1), wallets.mpoNorth.address]);
      const [sums, committedGroups, finalized, finalizations] = await cascade.getFunction('periodState')(PERIOD);
      expect(finalizations).toBe(0n);
      expect(sums.toArray()).toEqual([1000n, 500n, 100n, 400n]);
      expect(committedGroups).toBe(1n);
      expect(finalized).toBe(false);
    });

    it('rejects a caller without the role for that group', async () => {
      await expectRevert(commit('stranger', NORTH, PERIOD, 1, [1n, 0n, 0n, 1n]), cascade, 'CascadeUnauthorizedCommitter', [NORTH, wallets.stranger.address]);
      await expectRevert(commit('brpSouth', NORTH, PERIOD, 1, [1n, 0n, 0n, 1n]), cascade, 'CascadeUnauthorizedCommitter', [NORTH, wallets.brpSouth.address]);
    });

    it('rejects an unregistered group and an unaligned period', async () => {
      const west = groupKey('GRP-WEST');
      await expectRevert(commit('brpNorth', west, PERIOD, 1, [1n, 0n, 0n, 1n]), cascade, 'CascadeUnknownGroup', [west]);
      await expectRevert(commit('brpNorth', NORTH, PERIOD + 60n, 1, [1n, 0n, 0n, 1n]), cascade, 'CascadeInvalidPeriod', [PERIOD + 60n]);
    });

    it('rejects a second commit of the same version and a version that is not the next', async () => {
      await commit('brpNorth', NORTH, PERIOD, 1, [1n, 0n, 0n, 1n]);
      await expectRevert(commit('mpoNorth', NORTH, PERIOD, 1, [1n, 0n, 0n, 1n]), cascade, 'CascadeVersionAlreadyCommitted', [NORTH, PERIOD, 1n]);
      await expectRevert(commit('brpNorth', NORTH, PERIOD, 3, [1n, 0n, 0n, 1n]), cascade, 'CascadeVersionNotNext', [NORTH, PERIOD, 3n, 2n]);
      await expectRevert(commit('brpSouth', SOUTH, PERIOD, 0, [1n, 0n, 0n, 1n]), cascade, 'CascadeVersionNotNext', [SOUTH, PERIOD, 0n, 1n]);
    });

    it('rejects totals that do not balance and an empty root', async () => {
      await expectRevert(commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 600n]), cascade, 'CascadeUnbalanced', [NORTH, PERIOD, 500n, 600n]);
      await expectRevert(commit('brpNorth', NORTH, PERIOD, 1, [0n, 400n, -100n, -300n], ZeroHash), cascade, 'CascadeEmptyRoot', [NORTH, PERIOD]);
    });
  });

  describe('finalizePeriod', () => {
    it('finalizes once every group is in, with totals that are the sums of the latest versions', async () => {
      await commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await commit('brpNorth', NORTH, PERIOD, 2, [1200n, 400n, 100n, 700n]);
      await commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      const receipt = await finalize('tso', PERIOD, [1500n, 1300n, 0n, 200n]);
      const event = cascade.interface.parseLog(receipt.logs[0]);
      expect(event?.name).toBe('PeriodFinalized');
      expect(event?.args.toArray(true)).toEqual([PERIOD, 1n, [1500n, 1300n, 0n, 200n], 2n, wallets.tso.address]);
      const [, , finalized, finalizations] = await cascade.getFunction('periodState')(PERIOD);
      expect([finalized, finalizations]).toEqual([true, 1n]);
    });

    it('reopens a finalized period on a correction, and finalizes it again with the new sums', async () => {
      await commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      await finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]);
      const receipt = await commit('brpSouth', SOUTH, PERIOD, 2, [300n, 800n, -100n, -400n]);
      const names = receipt.logs.map((log) => cascade.interface.parseLog(log)?.name);
      expect(names).toEqual(['PeriodReopened', 'PeriodCommitted']);
      expect(cascade.interface.parseLog(receipt.logs[0])?.args.toArray()).toEqual([PERIOD, SOUTH, 2n]);
      expect((await cascade.getFunction('periodState')(PERIOD))[2]).toBe(false);
      await expectRevert(finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]), cascade, 'CascadeMarketTotalsMismatch', [
        PERIOD,
        [1300n, 1200n, 0n, 100n],
        [1300n, 1300n, 0n, 0n],
      ]);
      const again = await finalize('tso', PERIOD, [1300n, 1200n, 0n, 100n]);
      expect(cascade.interface.parseLog(again.logs[0])?.args.toArray(true)).toEqual([PERIOD, 2n, [1300n, 1200n, 0n, 100n], 2n, wallets.tso.address]);
    });

    it('rejects a non-TSO, a missing group, wrong market totals, and a second finalization with nothing new', async () => {
      await commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await expectRevert(finalize('brpNorth', PERIOD, [1000n, 400n, 100n, 500n]), cascade, 'CascadeUnauthorizedFinalizer', [wallets.brpNorth.address]);
      await expectRevert(finalize('tso', PERIOD, [1000n, 400n, 100n, 500n]), cascade, 'CascadeGroupsMissing', [PERIOD, 1n, 2n]);
      await commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      await expectRevert(finalize('tso', PERIOD, [1300n, 1299n, 0n, 1n]), cascade, 'CascadeMarketTotalsMismatch', [
        PERIOD,
        [1300n, 1300n, 0n, 0n],
        [1300n, 1299n, 0n, 1n],
      ]);
      await finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]);
      await expectRevert(finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]), cascade, 'CascadePeriodFinalized', [PERIOD]);
    });
  });

  describe('verifyMeter', () => {
    it('agrees with @openzeppelin/merkle-tree for every leaf of a real tree, and refuses a tampered one', async () => {
      const leaves: [string, bigint, number, bigint][] = Array.from({ length: 13 }, (_, i) => [
        `DE000${i.toString().padStart(4, '0')}`,
        PERIOD,
        i % 3 === 0 ? 1 : 0,
        BigInt(1000 + i * 37),
      ]);
      const tree = StandardMerkleTree.of(leaves, [...METER_LEAF_TYPES]);
      const fast = MeterMerkleTree.build(
        leaves.map(([meterId, periodStartSeconds, direction, energyWh]) => ({ meterId, periodStartSeconds, direction: direction as 0 | 1, energyWh })),
        await loadKeccak256(),
      );
      expect(fast.root).toBe(tree.root);
      await commit('brpNorth', NORTH, PERIOD, 1, [1n, 0n, 0n, 1n], tree.root, BigInt(leaves.length));
      for (const [index, leaf] of tree.entries()) {
        const [meterId, , direction, energy] = leaf;
        expect(await cascade.getFunction('verifyMeter')(NORTH, PERIOD, 1, meterId, direction, energy, tree.getProof(index))).toBe(true);
      }
      const [meterId, , direction, energy] = leaves[4];
      const proof = tree.getProof(4);
      expect(await cascade.getFunction('verifyMeter')(NORTH, PERIOD, 1, meterId, direction, energy + 1n, proof)).toBe(false);
      expect(await cascade.getFunction('verifyMeter')(NORTH, PERIOD, 2, meterId, direction, energy, proof)).toBe(false);
    });
  });
});
