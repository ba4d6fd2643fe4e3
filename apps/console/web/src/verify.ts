import { AbiCoder, Contract, JsonRpcProvider, concat, getAddress, id, keccak256, type InterfaceAbi } from 'ethers';
import { SettlementCascadeArtifact } from '@gridledger/contracts/src/artifacts.generated';

/** What chain-bridge's GET /proofs/:groupId/:periodId/:meterId answers (the parts the check uses). */
export interface ProofReply {
  readonly groupId: string;
  readonly periodId: string;
  readonly meterId: string;
  readonly version: number;
  /** StandardMerkleTree values: [meterId, periodStart, direction, energyWh, …]. */
  readonly leaf: readonly (string | number)[];
  readonly leafHash: string;
  readonly proof: readonly string[];
  readonly root: string;
  readonly anchor: { status: string; txHash: string | null; blockNumber: number | null; contract: string; chainId: number | null } | null;
}

export interface BrowserVerification {
  readonly leafHashMatches: boolean;
  readonly computedRoot: string;
  readonly rootMatchesProof: boolean;
  readonly onChainRoot: string;
  readonly rootMatchesChain: boolean;
  readonly verifiedByContract: boolean;
  readonly chainId: bigint;
  readonly blockNumber: number;
}

type AbiInput = { readonly name: string; readonly type: string };
const abi = SettlementCascadeArtifact.abi as unknown as readonly { type: string; name?: string; inputs?: readonly AbiInput[] }[];
const verifyMeterInputs = abi.find((entry) => entry.type === 'function' && entry.name === 'verifyMeter')?.inputs ?? [];

/**
 * The leaf's ABI types, read from the contract's own verifyMeter(groupId, periodStart, version,
 * …leaf fields but the period…, proof): the period start sits second in the leaf.
 */
export function leafTypes(): string[] {
  const fields = verifyMeterInputs.slice(3, -1).map((input) => input.type);
  return [fields[0], verifyMeterInputs[1].type, ...fields.slice(1)];
}

/** OpenZeppelin StandardMerkleTree: leaf = keccak256(keccak256(abi.encode(values))). */
export function standardLeafHash(leaf: readonly (string | number)[]): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(leafTypes(), leaf)));
}

/** Folds a proof to its root with OpenZeppelin's commutative pair hash (sorted pairs). */
export function rootFromProof(leafHash: string, proof: readonly string[]): string {
  return proof.reduce((node, sibling) => (BigInt(node) < BigInt(sibling) ? keccak256(concat([node, sibling])) : keccak256(concat([sibling, node]))), leafHash);
}

/**
 * Everything checked here, in the browser: the leaf hashed from its values, the proof folded to
 * the root, and the contract asked through the chain RPC the owner chose for the root it
 * anchored and whether it verifies the leaf. No gridledger server is trusted.
 */
export async function verifyInBrowser(reply: ProofReply, rpcUrl: string, contractAddress: string): Promise<BrowserVerification> {
  const leafHash = standardLeafHash(reply.leaf);
  const computedRoot = rootFromProof(leafHash, reply.proof);
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const contract = new Contract(getAddress(contractAddress), SettlementCascadeArtifact.abi as InterfaceAbi, provider);
    const group = id(reply.groupId);
    const periodStart = BigInt(reply.leaf[1]);
    const [, , ...rest] = reply.leaf;
    const leafArgs = [reply.leaf[0], ...rest];
    const [onChainRoot, verifiedByContract, network, blockNumber] = await Promise.all([
      contract.getFunction('rootOf')(group, periodStart, reply.version) as Promise<string>,
      contract.getFunction('verifyMeter')(group, periodStart, reply.version, ...leafArgs, reply.proof) as Promise<boolean>,
      provider.send('eth_chainId', []) as Promise<string>,
      provider.getBlockNumber(),
    ]);
    return {
      leafHashMatches: leafHash.toLowerCase() === reply.leafHash.toLowerCase(),
      computedRoot,
      rootMatchesProof: computedRoot.toLowerCase() === reply.root.toLowerCase(),
      onChainRoot,
      rootMatchesChain: onChainRoot.toLowerCase() === computedRoot.toLowerCase(),
      verifiedByContract,
      chainId: BigInt(network),
      blockNumber,
    };
  } finally {
    provider.destroy();
  }
}
