// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The settlement cascade: group commitments per period, finalized market-wide
/// @notice The BRP of a balancing group commits, per settlement period and version, the group's
/// totals, the Merkle root over every meter's energy and the digest of the MPO-signed inputs. The
/// TSO finalizes a period once every group that counts for it has committed. No token: only
/// commitments are on chain. Energy is in Wh; a period is named by its start in unix seconds (a
/// multiple of 900). A commit is accepted only after its period ended and within the correction
/// window after that; a correction to a finalized period reopens it until the TSO finalizes again.
///
/// Bounds: a group's feed-in and feed-out are at most 2^56 − 1 Wh (72 TWh) per quarter hour, its
/// schedule net within ±2^55 Wh (36 TWh); its imbalance is feed-in − feed-out − schedule net. The largest synchronous market (ENTSO-E
/// continental, about 3,000 TWh a year) moves about 0.1 TWh a quarter hour, so one group has over
/// 300× the whole market's headroom. With at most 65,535 groups (the registry's limit) the
/// market sums fit 72 bits, so no group's numbers can make another group's commit, or the
/// period's finalization, overflow.
interface ISettlementCascade {
    /// @notice Energy totals of a group, or of the market, for one period.
    struct Totals {
        uint128 feedInWh;
        uint128 feedOutWh;
        int128 scheduleNetWh;
        int128 imbalanceWh;
    }

    /// @notice One group's version in a batched commit (all of the same period).
    struct GroupCommit {
        bytes32 groupId;
        uint32 version;
        Totals totals;
        bytes32 merkleRoot;
        uint64 meterCount;
        bytes32 inputsDigest;
    }

    /// @notice The caller is not the group's BRP.
    error CascadeUnauthorizedCommitter(bytes32 groupId, address caller);
    /// @notice The caller does not hold the market-wide TSO role.
    error CascadeUnauthorizedFinalizer(address caller);
    /// @notice The group is not registered in the role registry.
    error CascadeUnknownGroup(bytes32 groupId);
    /// @notice The group does not count for this period: it counts for [fromPeriod, untilPeriod).
    error CascadeGroupNotActive(bytes32 groupId, uint64 periodStart, uint64 fromPeriod, uint64 untilPeriod);
    /// @notice The period start is not aligned to a quarter hour.
    error CascadeInvalidPeriod(uint64 periodStart);
    /// @notice The period has not ended yet: commits are accepted from `endsAt` on.
    error CascadePeriodNotEnded(uint64 periodStart, uint64 endsAt);
    /// @notice The correction window of the period closed at `closedAt`.
    error CascadeCorrectionWindowClosed(uint64 periodStart, uint64 closedAt);
    /// @notice This version of the group's period is already on chain.
    error CascadeVersionAlreadyCommitted(bytes32 groupId, uint64 periodStart, uint32 version);
    /// @notice Versions go 1, 2, 3, …: `version` is not the next one, `expected` is.
    error CascadeVersionNotNext(bytes32 groupId, uint64 periodStart, uint32 version, uint32 expected);
    /// @notice A total lies outside the bounds above.
    error CascadeTotalsOutOfRange(bytes32 groupId, uint64 periodStart);
    /// @notice feed-in − feed-out − schedule net (`computed`) differs from the stated imbalance.
    error CascadeUnbalanced(bytes32 groupId, uint64 periodStart, int256 computed, int256 imbalanceWh);
    /// @notice The Merkle root is zero.
    error CascadeEmptyRoot(bytes32 groupId, uint64 periodStart);
    /// @notice A batched commit holds no group.
    error CascadeEmptyBatch();
    /// @notice The period is finalized and no group committed a new version since.
    error CascadePeriodFinalized(uint64 periodStart);
    /// @notice Not every group that counts for the period has committed it.
    error CascadeGroupsMissing(uint64 periodStart, uint256 committedGroups, uint256 requiredGroups);
    /// @notice The market totals given are not the sums over the groups' latest versions.
    error CascadeMarketTotalsMismatch(uint64 periodStart, Totals expected, Totals given);

    /// @notice A group's period version is on chain. `inputsDigest` is the digest of the MPO-signed
    /// meter-ingest manifests the version was settled from (kept in the event only).
    event PeriodCommitted(
        bytes32 indexed groupId,
        uint64 indexed periodStart,
        uint32 version,
        bytes32 merkleRoot,
        Totals totals,
        uint64 meterCount,
        bytes32 inputsDigest
    );
    /// @notice The TSO closed the period market-wide with these totals; `finalization` counts 1, 2, …;
    /// `reopens` says how often a correction reopened the period before this finalization.
    event PeriodFinalized(
        uint64 indexed periodStart,
        uint32 finalization,
        Totals totals,
        uint256 groupCount,
        uint32 reopens,
        address finalizer
    );
    /// @notice A group committed a correction to a finalized period: the TSO must finalize it again.
    event PeriodReopened(uint64 indexed periodStart, bytes32 indexed groupId, uint32 version);

    /// @notice Commits version `version` of a group's period. Gas does not depend on the meter count.
    function commitPeriod(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        Totals calldata totals,
        bytes32 merkleRoot,
        uint64 meterCount,
        bytes32 inputsDigest
    ) external;

    /// @notice Commits several groups' versions of one period in one transaction; all or none.
    function commitPeriodBatch(uint64 periodStart, GroupCommit[] calldata commits) external;

    /// @notice Finalizes a period once every group that counts for it has committed; O(1) in groups and meters.
    function finalizePeriod(uint64 periodStart, Totals calldata marketTotals) external;

    /// @notice Seconds after a period's end during which commits and corrections are accepted (set at deployment).
    function correctionWindow() external view returns (uint32);

    /// @notice The latest committed version of a group's period (0 when none).
    function latestVersion(bytes32 groupId, uint64 periodStart) external view returns (uint32);

    /// @notice The Merkle root of a committed version (zero when none).
    function rootOf(bytes32 groupId, uint64 periodStart, uint32 version) external view returns (bytes32);

    /// @notice The latest version of a group's period as stored: its number (0 when none), root,
    /// totals and block. Earlier versions keep their root on chain, the rest is in their events.
    function latestCommitment(
        bytes32 groupId,
        uint64 periodStart
    ) external view returns (uint32 version, bytes32 merkleRoot, Totals memory totals, uint64 blockNumber);

    /// @notice The period's running sums over every group's latest version, its committed group
    /// count, whether it is finalized as it stands, how many finalizations it has had, and how
    /// many groups it needs.
    function periodState(
        uint64 periodStart
    )
        external
        view
        returns (Totals memory sums, uint256 committedGroups, bool finalized, uint32 finalizations, uint256 groupsRequired);

    /// @notice Whether a meter's leaf (the StandardMerkleTree encoding of
    /// (meterId, periodStart, direction, energyWh, salt)) is in the root of the given version.
    /// The salt is handed out with the proof only (balancing derives it from a key it holds), so
    /// a proof's sibling hashes reveal nothing about other meters.
    function verifyMeter(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        string calldata meterId,
        uint8 direction,
        uint256 energyWh,
        bytes32 salt,
        bytes32[] calldata proof
    ) external view returns (bool);
}
