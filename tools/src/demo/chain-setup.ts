import { Contract, JsonRpcProvider, Wallet, parseEther, type Signer } from 'ethers';
import { SettlementCascadeArtifact, deployCascade } from '@gridledger/contracts';
import { walletFor } from './population';

/**
 * The chain side of the demo: the market operator (the dev node's first unlocked account)
 * deploys the cascade, grants the roles and holds MARKET_OPERATOR itself (its read sessions,
 * the console's operator actions); the BRP committer and the TSO get fresh keys
 * derived from the run's seed, funded from the operator, so no key is written anywhere.
 */
export interface DemoChain {
  readonly provider: JsonRpcProvider;
  readonly cascade: Contract;
  readonly cascadeAddress: string;
  readonly committerKey: string;
  readonly tsoKey: string;
  /**
   * The market operator (the dev node's first unlocked account, which deployed the cascade),
   * holding MARKET_OPERATOR: the demo's own reads of protected data (balancing's group-period
   * details and ledger) go in its read session, as a service-level reader; the console's dev
   * wallet signs in as the same account.
   */
  readonly marketOperator: Signer;
  readonly chainId: bigint;
  /** Mines a block every `intervalMs` on a dev node so confirmations accrue; stop() ends it. */
  startBlockPacer(intervalMs: number): { stop(): void };
}

/** The grid area every demo meter is connected in (its DSO registers the meter points). */
export const DEMO_GRID_AREA = 'GA-DEMO';

/** Who else acts on the demo market: the DSO (of DEMO_GRID_AREA), the MPOs (of every group), the plants' operator. */
export interface DemoParticipants {
  readonly dso: string;
  readonly mpos: readonly string[];
  /** PLANT_OPERATOR of each of `plants` (capacity-market: registers them, issues their shares). */
  readonly plantOperator?: string;
  readonly plants?: readonly string[];
}

export async function setUpChain(rpcUrl: string, groups: readonly string[], seed: string, participants: DemoParticipants): Promise<DemoChain> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 250 });
  const chainId = (await provider.getNetwork()).chainId;
  const operator = await provider.getSigner(0);
  const committer = walletFor(seed, 'brp-committer');
  const tso = walletFor(seed, 'tso');
  for (const wallet of [committer, tso]) {
    await (await operator.sendTransaction({ to: wallet.address, value: parseEther('100') })).wait();
  }
  const deployed = await deployCascade(operator, {
    groups,
    // The demo replays a past day (any --day): a ten-year window keeps its periods committable.
    correctionWindowSeconds: 10 * 365 * 24 * 3600,
    grants: [
      ...groups.map((groupId) => ({ role: 'BRP' as const, groupId, account: committer.address })),
      { role: 'TSO' as const, account: tso.address },
      { role: 'MARKET_OPERATOR' as const, account: await operator.getAddress() },
      { role: 'DSO' as const, scope: DEMO_GRID_AREA, account: participants.dso },
      ...groups.flatMap((groupId) => participants.mpos.map((account) => ({ role: 'MPO' as const, scope: groupId, account }))),
      ...(participants.plantOperator ? (participants.plants ?? []).map((plantId) => ({ role: 'PLANT_OPERATOR' as const, scope: plantId, account: participants.plantOperator as string })) : []),
    ],
  });
  const cascade = new Contract(deployed.cascadeAddress, SettlementCascadeArtifact.abi, provider);
  return {
    provider,
    cascade,
    cascadeAddress: deployed.cascadeAddress,
    committerKey: committer.privateKey,
    tsoKey: tso.privateKey,
    marketOperator: operator,
    chainId,
    startBlockPacer(intervalMs) {
      let stopped = false;
      const timer = setInterval(() => {
        if (stopped) return;
        // A dev node without interval mining only mines on transactions; confirmations need more.
        // A node that is away (restarting, in the chaos suite) is simply asked again next time.
        provider.send('evm_mine', []).catch(() => undefined);
      }, intervalMs);
      return {
        stop() {
          stopped = true;
          clearInterval(timer);
        },
      };
    },
  };
}

export function walletAddress(key: string): string {
  return new Wallet(key).address;
}
