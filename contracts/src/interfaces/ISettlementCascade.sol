// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The settlement cascade: group commitments per period, finalized market-wide
/// @notice The BRP of a balancing group (or its delegated MPO) commits, per settlement period and
/// version, the group's totals and the Merkle root over every meter's energy. The TSO finalizes a
/// period once every registered group has committed. No token: only commitments are on chain.
/// Energy is in Wh; a period is named by its start in unix seconds (a multiple of 900).
interface ISettlementCascade {
    /// @notice Energy totals of a group, or of the market, for one period.
    struct Totals {
        uint256 feedInWh;
        uint256 feedOutWh;
        int256 scheduleNetWh;
        int256 imbalanceWh;
    }

    /// @notice One committed version of a group's period.
    struct Commitment {
        bytes32 merkleRoot;
        Totals totals;
        uint64 meterCount;
        uint64 blockNumber;
        address committer;
    }

    /// @notice The caller holds neither the BRP nor the MPO role for the group.
    error CascadeUnauthorizedCommitter(bytes32 groupId, address caller);
    /// @notice The caller does not hold the market-wide TSO role.
    error CascadeUnauthorizedFinalizer(address caller);
    /// @notice The group is not registered in the role registry.
    error CascadeUnknownGroup(bytes32 groupId);
    /// @notice The period start is not aligned to a quarter hour.
    error CascadeInvalidPeriod(uint64 periodStart);
    /// @notice This version of the group's period is already on chain.
    error CascadeVersionAlreadyCommitted(bytes32 groupId, uint64 periodStart, uint32 version);
    /// @notice Versions go 1, 2, 3, …: `version` is not the next one, `expected` is.
    error CascadeVersionNotNext(bytes32 groupId, uint64 periodStart, uint32 version, uint32 expected);
    /// @notice feed-in − feed-out − schedule net (`computed`) differs from the stated imbalance.
    error CascadeUnbalanced(bytes32 groupId, uint64 periodStart, int256 computed, int256 imbalanceWh);
    /// @notice The Merkle root is zero.
    error CascadeEmptyRoot(bytes32 groupId, uint64 periodStart);
    /// @notice The period is finalized and no group committed a new version since.
    error CascadePeriodFinalized(uint64 periodStart);
    /// @notice Not every registered group has committed the period.
    error CascadeGroupsMissing(uint64 periodStart, uint256 committedGroups, uint256 registeredGroups);
    /// @notice The market totals given are not the sums over the groups' latest versions.
    error CascadeMarketTotalsMismatch(uint64 periodStart, Totals expected, Totals given);
    /// @notice No such version of the group's period is on chain.
    error CascadeUnknownCommitment(bytes32 groupId, uint64 periodStart, uint32 version);

    /// @notice A group's period version is on chain.
    event PeriodCommitted(
        bytes32 indexed groupId,
        uint64 indexed periodStart,
        uint32 version,
        bytes32 merkleRoot,
        Totals totals,
        uint64 meterCount,
        address committer
    );
    /// @notice The TSO closed the period market-wide with these totals; `finalization` counts 1, 2, …
    event PeriodFinalized(uint64 indexed periodStart, uint32 finalization, Totals totals, uint256 groupCount, address finalizer);
    /// @notice A group committed a correction to a finalized period: the TSO must finalize it again.
    event PeriodReopened(uint64 indexed periodStart, bytes32 indexed groupId, uint32 version);

    /// @notice Commits version `version` of a group's period. Gas does not depend on the meter count.
    /// A correction to a finalized period reopens it (PeriodReopened) until the TSO finalizes again.
    function commitPeriod(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        Totals calldata totals,
        bytes32 merkleRoot,
        uint64 meterCount
    ) external;

    /// @notice Finalizes a period once every registered group has committed; O(1) in groups and meters.
    function finalizePeriod(uint64 periodStart, Totals calldata marketTotals) external;

    /// @notice The latest committed version of a group's period (0 when none).
    function latestVersion(bytes32 groupId, uint64 periodStart) external view returns (uint32);

    /// @notice The Merkle root of a committed version (zero when none).
    function rootOf(bytes32 groupId, uint64 periodStart, uint32 version) external view returns (bytes32);

    /// @notice A committed version; reverts with CascadeUnknownCommitment when absent.
    function commitmentOf(bytes32 groupId, uint64 periodStart, uint32 version) external view returns (Commitment memory);

    /// @notice The period's running sums over every group's latest version, its group count, whether
    /// it is finalized as it stands, and how many finalizations it has had.
    function periodState(
        uint64 periodStart
    ) external view returns (Totals memory sums, uint256 committedGroups, bool finalized, uint32 finalizations);

    /// @notice Whether a meter's leaf (the StandardMerkleTree encoding of
    /// (meterId, periodStart, direction, energyWh)) is in the root of the given version.
    function verifyMeter(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        string calldata meterId,
        uint8 direction,
        uint256 energyWh,
        bytes32[] calldata proof
    ) external view returns (bool);
}
