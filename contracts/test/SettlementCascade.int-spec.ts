import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Contract, ZeroHash } from 'ethers';
import { METER_LEAF_TYPES, MeterMerkleTree, leafSalt, leafSaltVersionKey, loadKeccak256 } from '@gridledger/domain';
import { groupKey } from '../src';
import { CascadeFixture, DIGEST, ROOT_A, ROOT_B, Totals, balanced, mined } from './cascade.fixture';
import { expectRevert } from './revert';

const NORTH = groupKey('GRP-NORTH');
const SOUTH = groupKey('GRP-SOUTH');

jest.setTimeout(60_000);

describe('SettlementCascade on anvil', () => {
  const f = new CascadeFixture();
  let PERIOD: bigint;

  beforeAll(async () => {
    await f.setUp();
    PERIOD = f.periodAgo(8);
  });
  afterEach(() => f.reset());
  afterAll(() => f.tearDown());

  describe('commitPeriod', () => {
    it('accepts the group BRP, keeps the latest version packed and every root, and emits PeriodCommitted with the inputs digest', async () => {
      const receipt = await f.commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n], ROOT_A, 10n);
      const event = f.cascade.interface.parseLog(receipt.logs[0]);
      expect(event?.name).toBe('PeriodCommitted');
      expect(event?.args.toArray(true)).toEqual([NORTH, PERIOD, 1n, ROOT_A, [1000n, 400n, 100n, 500n], 10n, DIGEST]);
      const correction = await f.commit('brpNorth', NORTH, PERIOD, 2, [1000n, 500n, 100n, 400n], ROOT_B, 11n);
      expect(await f.cascade.getFunction('latestVersion')(NORTH, PERIOD)).toBe(2n);
      expect(await f.cascade.getFunction('rootOf')(NORTH, PERIOD, 1)).toBe(ROOT_A);
      expect(await f.cascade.getFunction('rootOf')(NORTH, PERIOD, 2)).toBe(ROOT_B);
      const latest = await f.cascade.getFunction('latestCommitment')(NORTH, PERIOD);
      expect(latest.toArray(true)).toEqual([2n, ROOT_B, [1000n, 500n, 100n, 400n], BigInt(correction.blockNumber)]);
      const [sums, committedGroups, finalized, finalizations, required] = await f.cascade.getFunction('periodState')(PERIOD);
      expect(sums.toArray()).toEqual([1000n, 500n, 100n, 400n]);
      expect([committedGroups, finalized, finalizations, required]).toEqual([1n, false, 0n, 2n]);
    });

    it('keeps negative schedule nets and imbalances exact through corrections', async () => {
      await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(10n, 900n, -300n));
      await f.commit('brpSouth', SOUTH, PERIOD, 1, balanced(0n, 50n, 200n));
      await f.commit('brpNorth', NORTH, PERIOD, 2, balanced(20n, 800n, -250n));
      const [sums] = await f.cascade.getFunction('periodState')(PERIOD);
      expect(sums.toArray()).toEqual([20n, 850n, -50n, 20n - 850n + 50n]);
      const latest = await f.cascade.getFunction('latestCommitment')(NORTH, PERIOD);
      expect(latest.toArray(true)[2]).toEqual(balanced(20n, 800n, -250n));
    });

    it('rejects anyone but the group BRP: a stranger, the group MPO, another group BRP', async () => {
      for (const who of ['stranger', 'mpoNorth', 'brpSouth'] as const) {
        await expectRevert(f.commit(who, NORTH, PERIOD, 1, balanced(1n, 0n)), f.cascade, 'CascadeUnauthorizedCommitter', [NORTH, f.wallets[who].address]);
      }
    });

    it('rejects an unregistered group and an unaligned period', async () => {
      const west = groupKey('GRP-WEST');
      await expectRevert(f.commit('brpNorth', west, PERIOD, 1, balanced(1n, 0n)), f.cascade, 'CascadeUnknownGroup', [west]);
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD + 60n, 1, balanced(1n, 0n)), f.cascade, 'CascadeInvalidPeriod', [PERIOD + 60n]);
    });

    it('rejects a second commit of the same version and a version that is not the next', async () => {
      await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(1n, 0n));
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, balanced(1n, 0n)), f.cascade, 'CascadeVersionAlreadyCommitted', [NORTH, PERIOD, 1n]);
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 3, balanced(1n, 0n)), f.cascade, 'CascadeVersionNotNext', [NORTH, PERIOD, 3n, 2n]);
      await expectRevert(f.commit('brpSouth', SOUTH, PERIOD, 0, balanced(1n, 0n)), f.cascade, 'CascadeVersionNotNext', [SOUTH, PERIOD, 0n, 1n]);
    });

    it('rejects totals that do not balance, totals out of bounds, and an empty root', async () => {
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 600n]), f.cascade, 'CascadeUnbalanced', [NORTH, PERIOD, 500n, 600n]);
      const maxEnergy = 2n ** 56n - 1n;
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, balanced(maxEnergy + 1n, 0n)), f.cascade, 'CascadeTotalsOutOfRange', [NORTH, PERIOD]);
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, balanced(0n, 0n, -(2n ** 55n) - 1n)), f.cascade, 'CascadeTotalsOutOfRange', [NORTH, PERIOD]);
      await expectRevert(f.commit('brpNorth', NORTH, PERIOD, 1, balanced(0n, 400n, -100n), ZeroHash), f.cascade, 'CascadeEmptyRoot', [NORTH, PERIOD]);
      // The bounds themselves are accepted.
      await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(maxEnergy, 0n, -(2n ** 55n)));
    });

    it('rejects a period that has not ended and one past the correction window', async () => {
      const current = f.periodAgo(0);
      await expectRevert(f.commit('brpNorth', NORTH, current, 1, balanced(1n, 0n)), f.cascade, 'CascadePeriodNotEnded', [current, current + 900n]);
      const window = await f.cascade.getFunction('correctionWindow')();
      const tooOld = f.periodAgo(Number(window / 900n) + 2);
      await expectRevert(f.commit('brpNorth', NORTH, tooOld, 1, balanced(1n, 0n)), f.cascade, 'CascadeCorrectionWindowClosed', [tooOld, tooOld + 900n + window]);
    });
  });

  describe('commitPeriodBatch', () => {
    let batchCascade: Contract;
    const entry = (group: string, version: number, totals: Totals, root = ROOT_A) => [group, version, totals, root, 10n, DIGEST];

    beforeEach(async () => {
      // One BRP for both groups: a batch is one key's transaction.
      batchCascade = await f.deploy({
        grants: [
          { role: 'BRP', groupId: 'GRP-NORTH', account: f.wallets.brpNorth.address },
          { role: 'BRP', groupId: 'GRP-SOUTH', account: f.wallets.brpNorth.address },
          { role: 'TSO', account: f.wallets.tso.address },
        ],
      });
    });

    it('commits several groups of one period in one transaction, each with its own event, and finalizes as usual', async () => {
      const receipt = await mined(
        f.as('brpNorth', batchCascade).getFunction('commitPeriodBatch')(PERIOD, [entry(NORTH, 1, balanced(500n, 100n)), entry(SOUTH, 1, balanced(50n, 300n, 10n))]),
      );
      const events = receipt.logs.map((log) => batchCascade.interface.parseLog(log)?.args.toArray(true));
      expect(events).toEqual([
        [NORTH, PERIOD, 1n, ROOT_A, balanced(500n, 100n), 10n, DIGEST],
        [SOUTH, PERIOD, 1n, ROOT_A, balanced(50n, 300n, 10n), 10n, DIGEST],
      ]);
      const [sums, committedGroups] = await batchCascade.getFunction('periodState')(PERIOD);
      expect([sums.toArray(), committedGroups]).toEqual([balanced(550n, 400n, 10n), 2n]);
      await f.finalize('tso', PERIOD, balanced(550n, 400n, 10n), batchCascade);
    });

    it('is all or nothing: one refused group refuses the batch, and an empty batch is refused', async () => {
      await expectRevert(
        f.as('brpNorth', batchCascade).getFunction('commitPeriodBatch')(PERIOD, [entry(NORTH, 1, balanced(5n, 1n)), entry(SOUTH, 2, balanced(5n, 1n))]),
        batchCascade,
        'CascadeVersionNotNext',
        [SOUTH, PERIOD, 2n, 1n],
      );
      expect(await batchCascade.getFunction('latestVersion')(NORTH, PERIOD)).toBe(0n);
      await expectRevert(f.as('brpNorth', batchCascade).getFunction('commitPeriodBatch')(PERIOD, []), batchCascade, 'CascadeEmptyBatch', []);
    });
  });

  describe('finalizePeriod', () => {
    it('finalizes once every group is in, with totals that are the sums of the latest versions', async () => {
      await f.commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await f.commit('brpNorth', NORTH, PERIOD, 2, [1200n, 400n, 100n, 700n]);
      await f.commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      const receipt = await f.finalize('tso', PERIOD, [1500n, 1300n, 0n, 200n]);
      const event = f.cascade.interface.parseLog(receipt.logs[0]);
      expect(event?.name).toBe('PeriodFinalized');
      expect(event?.args.toArray(true)).toEqual([PERIOD, 1n, [1500n, 1300n, 0n, 200n], 2n, 0n, f.wallets.tso.address]);
      const [, , finalized, finalizations] = await f.cascade.getFunction('periodState')(PERIOD);
      expect([finalized, finalizations]).toEqual([true, 1n]);
    });

    it('reopens a finalized period on a correction, and the next finalization records the reopen', async () => {
      await f.commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await f.commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      await f.finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]);
      const receipt = await f.commit('brpSouth', SOUTH, PERIOD, 2, [300n, 800n, -100n, -400n]);
      expect(f.eventNames(receipt)).toEqual(['PeriodReopened', 'PeriodCommitted']);
      expect(f.cascade.interface.parseLog(receipt.logs[0])?.args.toArray()).toEqual([PERIOD, SOUTH, 2n]);
      expect((await f.cascade.getFunction('periodState')(PERIOD))[2]).toBe(false);
      await expectRevert(f.finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]), f.cascade, 'CascadeMarketTotalsMismatch', [
        PERIOD,
        [1300n, 1200n, 0n, 100n],
        [1300n, 1300n, 0n, 0n],
      ]);
      const again = await f.finalize('tso', PERIOD, [1300n, 1200n, 0n, 100n]);
      expect(f.cascade.interface.parseLog(again.logs[0])?.args.toArray(true)).toEqual([PERIOD, 2n, [1300n, 1200n, 0n, 100n], 2n, 1n, f.wallets.tso.address]);
    });

    it('rejects a non-TSO, a missing group, wrong market totals, and a second finalization with nothing new', async () => {
      await f.commit('brpNorth', NORTH, PERIOD, 1, [1000n, 400n, 100n, 500n]);
      await expectRevert(f.finalize('brpNorth', PERIOD, [1000n, 400n, 100n, 500n]), f.cascade, 'CascadeUnauthorizedFinalizer', [f.wallets.brpNorth.address]);
      await expectRevert(f.finalize('tso', PERIOD, [1000n, 400n, 100n, 500n]), f.cascade, 'CascadeGroupsMissing', [PERIOD, 1n, 2n]);
      await f.commit('brpSouth', SOUTH, PERIOD, 1, [300n, 900n, -100n, -500n]);
      await expectRevert(f.finalize('tso', PERIOD, [1300n, 1299n, 0n, 1n]), f.cascade, 'CascadeMarketTotalsMismatch', [
        PERIOD,
        [1300n, 1300n, 0n, 0n],
        [1300n, 1299n, 0n, 1n],
      ]);
      await f.finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]);
      await expectRevert(f.finalize('tso', PERIOD, [1300n, 1300n, 0n, 0n]), f.cascade, 'CascadePeriodFinalized', [PERIOD]);
    });
  });

  describe('verifyMeter', () => {
    it('agrees with @openzeppelin/merkle-tree for every salted leaf of a real tree, and refuses a tampered one or a wrong salt', async () => {
      const keccak = await loadKeccak256();
      const versionKey = leafSaltVersionKey(Buffer.alloc(32, 9), 'NORTH', PERIOD, 1);
      const leaves: [string, bigint, number, bigint, string][] = Array.from({ length: 13 }, (_, i) => {
        const meterId = `DE000${i.toString().padStart(4, '0')}`;
        const direction = i % 3 === 0 ? 1 : 0;
        return [meterId, PERIOD, direction, BigInt(1000 + i * 37), `0x${leafSalt(versionKey, meterId, direction, keccak).toString('hex')}`];
      });
      const tree = StandardMerkleTree.of(leaves, [...METER_LEAF_TYPES]);
      const fast = MeterMerkleTree.build(
        leaves.map(([meterId, periodStartSeconds, direction, energyWh, salt]) => ({ meterId, periodStartSeconds, direction: direction as 0 | 1, energyWh, salt: Buffer.from(salt.slice(2), 'hex') })),
        keccak,
      );
      expect(fast.root).toBe(tree.root);
      await f.commit('brpNorth', NORTH, PERIOD, 1, balanced(1n, 0n), tree.root, BigInt(leaves.length));
      for (const [index, leaf] of tree.entries()) {
        const [meterId, , direction, energy, salt] = leaf;
        expect(await f.cascade.getFunction('verifyMeter')(NORTH, PERIOD, 1, meterId, direction, energy, salt, tree.getProof(index))).toBe(true);
      }
      const [meterId, , direction, energy, salt] = leaves[4];
      const proof = tree.getProof(4);
      expect(await f.cascade.getFunction('verifyMeter')(NORTH, PERIOD, 1, meterId, direction, energy + 1n, salt, proof)).toBe(false);
      expect(await f.cascade.getFunction('verifyMeter')(NORTH, PERIOD, 1, meterId, direction, energy, leaves[5][4], proof)).toBe(false);
      expect(await f.cascade.getFunction('verifyMeter')(NORTH, PERIOD, 2, meterId, direction, energy, salt, proof)).toBe(false);
    });
  });
});
