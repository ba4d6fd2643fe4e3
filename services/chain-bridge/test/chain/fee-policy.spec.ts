import { bumpedFees, cappedFees, gasLimitFor } from '../../src/chain/fee-policy';

const GWEI = 1_000_000_000n;
const policy = { maxFeeCapWei: 100n * GWEI, maxBumps: 3 };

describe('fee policy', () => {
  it('caps suggested fees, the tip never above the fee', () => {
    expect(cappedFees({ maxFeePerGas: 300n * GWEI, maxPriorityFeePerGas: 150n * GWEI }, policy)).toEqual({ maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 100n * GWEI });
    expect(cappedFees({ maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, policy)).toEqual({ maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
  });

  it('bumps both fees by 12.5%, or to the market when that is higher', () => {
    const previous = { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
    expect(bumpedFees(previous, { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI }, 0, policy)).toEqual({ maxFeePerGas: 22_500_000_000n, maxPriorityFeePerGas: 2_250_000_000n });
    expect(bumpedFees(previous, { maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 5n * GWEI }, 0, policy)).toEqual({ maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 5n * GWEI });
  });

  it('stops after the bump budget, and when the cap leaves no 10% rise', () => {
    const previous = { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
    expect(bumpedFees(previous, previous, 3, policy)).toBeNull();
    expect(bumpedFees({ maxFeePerGas: 95n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, previous, 0, policy)).toBeNull();
    expect(bumpedFees({ maxFeePerGas: 90n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, previous, 0, policy)).toEqual({ maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 2_250_000_000n });
  });

  it('gives the gas estimate 20% headroom, rounded up', () => {
    expect(gasLimitFor(100_000n)).toBe(120_000n);
    expect(gasLimitFor(100_001n)).toBe(120_002n);
  });
});
