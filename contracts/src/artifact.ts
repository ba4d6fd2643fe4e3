/** A compiled contract: what callers need to deploy it and talk to it. */
export interface ContractArtifact {
  readonly contractName: string;
  readonly abi: readonly AbiFragment[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: string;
}

/** One ABI entry as solc emits it; ethers accepts these as they are. */
export interface AbiFragment {
  readonly type: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}
