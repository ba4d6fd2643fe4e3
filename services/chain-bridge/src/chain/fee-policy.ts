/**
 * Fees for a transaction and for replacing a stuck one. Nodes accept a replacement (same
 * nonce) only when both fees rise by at least 10%; we bump by 12.5%, never above the cap,
 * and at most `maxBumps` times, so a congested chain cannot drain the key.
 */
export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface FeePolicy {
  readonly maxFeeCapWei: bigint;
  readonly maxBumps: number;
}

export function cappedFees(suggested: Fees, policy: FeePolicy): Fees {
  const maxFeePerGas = min(suggested.maxFeePerGas, policy.maxFeeCapWei);
  return { maxFeePerGas, maxPriorityFeePerGas: min(suggested.maxPriorityFeePerGas, maxFeePerGas) };
}

/** The fees of the replacement, or null when the bump budget or the cap is spent. */
export function bumpedFees(previous: Fees, suggested: Fees, bumpsSoFar: number, policy: FeePolicy): Fees | null {
  if (bumpsSoFar >= policy.maxBumps) return null;
  const maxFeePerGas = max(ceilBump(previous.maxFeePerGas), suggested.maxFeePerGas);
  const maxPriorityFeePerGas = max(ceilBump(previous.maxPriorityFeePerGas), suggested.maxPriorityFeePerGas);
  if (maxFeePerGas > policy.maxFeeCapWei) {
    // Replacement needs the full 10% rise; a capped fee that rises less would be refused.
    const capped = policy.maxFeeCapWei;
    if (capped * 10n < previous.maxFeePerGas * 11n) return null;
    return { maxFeePerGas: capped, maxPriorityFeePerGas: min(maxPriorityFeePerGas, capped) };
  }
  return { maxFeePerGas, maxPriorityFeePerGas: min(maxPriorityFeePerGas, maxFeePerGas) };
}

/** Gas limit from the estimate with 20% headroom for state that moves before inclusion. */
export function gasLimitFor(estimate: bigint): bigint {
  return (estimate * 12n + 9n) / 10n;
}

function ceilBump(value: bigint): bigint {
  return (value * 1125n + 999n) / 1000n;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
