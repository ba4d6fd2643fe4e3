// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {RoleRegistry} from "./RoleRegistry.sol";
import {ISettlementCascade} from "./interfaces/ISettlementCascade.sol";

/// @title SettlementCascade
/// @notice Group commitments per period and version, and the TSO's market-wide finalization.
/// Storage is what later calls read, packed: per group-period one slot (latest version, its
/// totals and block), per version one slot (its root), per period one slot (sums over the
/// groups' latest versions, counts, finalized). Everything else is in the events. Running sums
/// make finalization cost the same for two groups or two thousand; nothing costs more for more
/// meters. The bounds that keep one group from overflowing another's sums are in the interface.
/// The cascade is its own RoleRegistry: a commit reads its group's BRP and lifetime from one slot
/// of this contract instead of calling another one (3,300 gas a commit: a third of the headroom
/// a commit has over its three fresh storage slots). The correction window is fixed at deployment
/// for the same reason (an immutable costs no storage read).
contract SettlementCascade is RoleRegistry, ISettlementCascade {
    uint64 private constant PERIOD_SECONDS = 900;
    uint128 private constant MAX_ENERGY_WH = type(uint56).max;
    // The packed period word (see PeriodState): sums in bits 0-215, then the counts and the flag.
    uint256 private constant SUMS_MASK = (uint256(1) << 216) - 1;
    uint256 private constant COMMITTED_SHIFT = 216;
    uint256 private constant FINALIZED_BIT = uint256(1) << 248;
    int128 private constant MAX_NET_WH = type(int56).max;
    int128 private constant MIN_NET_WH = type(int56).min;

    /// @dev One slot: the latest version of a group's period (what a correction subtracts).
    struct GroupPeriod {
        uint32 version;
        uint56 feedInWh;
        uint56 feedOutWh;
        int56 scheduleNetWh;
        uint48 blockNumber;
    }

    /// @dev One slot: sums over every group's latest version (imbalance follows from them), how
    /// many groups committed, and finalization. 72-bit sums hold 65,535 groups at their bounds.
    struct PeriodState {
        uint72 feedInWh;
        uint72 feedOutWh;
        int72 scheduleNetWh;
        uint16 committedGroups;
        uint16 finalizations;
        bool finalized;
    }

    /// @inheritdoc ISettlementCascade
    uint32 public immutable correctionWindow;

    // The packed slots are written whole (see _pack*): one SSTORE each, not one per field.
    mapping(bytes32 groupId => mapping(uint64 periodStart => uint256 packedGroupPeriod)) private _latest;
    mapping(bytes32 groupId => mapping(uint64 periodStart => mapping(uint32 version => bytes32))) private _roots;
    mapping(uint64 periodStart => uint256 packedPeriodState) private _periods;

    /// @param admin the market operator (see RoleRegistry).
    /// @param adminDelay seconds between beginning and accepting an administrator transfer.
    /// @param openingPeriod the first period of the market: `initialGroups` count from it on.
    /// @param initialGroups the groups of the market at its opening.
    /// @param correctionWindowSeconds seconds after a period's end during which it may be committed and corrected.
    constructor(
        address admin,
        uint48 adminDelay,
        uint48 openingPeriod,
        bytes32[] memory initialGroups,
        uint32 correctionWindowSeconds
    ) RoleRegistry(admin, adminDelay, openingPeriod, initialGroups) {
        correctionWindow = correctionWindowSeconds;
    }

    /// @inheritdoc ISettlementCascade
    function commitPeriod(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        Totals calldata totals,
        bytes32 merkleRoot,
        uint64 meterCount,
        bytes32 inputsDigest
    ) external {
        _requireOpen(periodStart);
        _periods[periodStart] = _commit(_periods[periodStart], groupId, periodStart, version, totals, merkleRoot);
        emit PeriodCommitted(groupId, periodStart, version, merkleRoot, totals, meterCount, inputsDigest);
    }

    /// @inheritdoc ISettlementCascade
    function commitPeriodBatch(uint64 periodStart, GroupCommit[] calldata commits) external {
        if (commits.length == 0) revert CascadeEmptyBatch();
        _requireOpen(periodStart);
        uint256 period = _periods[periodStart];
        for (uint256 i = 0; i < commits.length; i++) {
            GroupCommit calldata c = commits[i];
            period = _commit(period, c.groupId, periodStart, c.version, c.totals, c.merkleRoot);
            emit PeriodCommitted(c.groupId, periodStart, c.version, c.merkleRoot, c.totals, c.meterCount, c.inputsDigest);
        }
        _periods[periodStart] = period;
    }

    /// @inheritdoc ISettlementCascade
    function finalizePeriod(uint64 periodStart, Totals calldata marketTotals) external {
        if (!hasRole(scopedRole(TSO_ROLE, MARKET), msg.sender)) revert CascadeUnauthorizedFinalizer(msg.sender);
        PeriodState memory period = _unpackPeriod(_periods[periodStart]);
        if (period.finalized) revert CascadePeriodFinalized(periodStart);
        uint256 required = requiredGroups(periodStart);
        if (period.committedGroups != required) revert CascadeGroupsMissing(periodStart, period.committedGroups, required);
        Totals memory sums = _sumsOf(period);
        if (
            sums.feedInWh != marketTotals.feedInWh ||
            sums.feedOutWh != marketTotals.feedOutWh ||
            sums.scheduleNetWh != marketTotals.scheduleNetWh ||
            sums.imbalanceWh != marketTotals.imbalanceWh
        ) {
            revert CascadeMarketTotalsMismatch(periodStart, sums, marketTotals);
        }
        period.finalized = true;
        period.finalizations += 1;
        _periods[periodStart] = _packPeriod(period);
        // Each finalization after the first follows exactly one reopen.
        emit PeriodFinalized(periodStart, period.finalizations, marketTotals, required, period.finalizations - 1, msg.sender);
    }

    /// @inheritdoc ISettlementCascade
    function latestVersion(bytes32 groupId, uint64 periodStart) external view returns (uint32) {
        return uint32(_latest[groupId][periodStart]);
    }

    /// @inheritdoc ISettlementCascade
    function rootOf(bytes32 groupId, uint64 periodStart, uint32 version) external view returns (bytes32) {
        return _roots[groupId][periodStart][version];
    }

    /// @inheritdoc ISettlementCascade
    function latestCommitment(
        bytes32 groupId,
        uint64 periodStart
    ) external view returns (uint32 version, bytes32 merkleRoot, Totals memory totals, uint64 blockNumber) {
        GroupPeriod memory latest = _unpackGroupPeriod(_latest[groupId][periodStart]);
        totals = Totals({
            feedInWh: latest.feedInWh,
            feedOutWh: latest.feedOutWh,
            scheduleNetWh: latest.scheduleNetWh,
            imbalanceWh: int128(uint128(latest.feedInWh)) - int128(uint128(latest.feedOutWh)) - latest.scheduleNetWh
        });
        return (latest.version, _roots[groupId][periodStart][latest.version], totals, latest.blockNumber);
    }

    /// @inheritdoc ISettlementCascade
    function periodState(
        uint64 periodStart
    )
        external
        view
        returns (Totals memory sums, uint256 committedGroups, bool finalized, uint32 finalizations, uint256 groupsRequired)
    {
        PeriodState memory period = _unpackPeriod(_periods[periodStart]);
        return (_sumsOf(period), period.committedGroups, period.finalized, period.finalizations, requiredGroups(periodStart));
    }

    /// @inheritdoc ISettlementCascade
    function verifyMeter(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        string calldata meterId,
        uint8 direction,
        uint256 energyWh,
        bytes32 salt,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _roots[groupId][periodStart][version];
        if (root == bytes32(0)) return false;
        // The StandardMerkleTree leaf: double keccak of the ABI encoding (no second-preimage).
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(meterId, periodStart, direction, energyWh, salt))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @dev A commit is accepted once its period has ended and until the correction window closes.
    function _requireOpen(uint64 periodStart) private view {
        if (periodStart % PERIOD_SECONDS != 0) revert CascadeInvalidPeriod(periodStart);
        uint256 endsAt = uint256(periodStart) + PERIOD_SECONDS;
        if (block.timestamp < endsAt) revert CascadePeriodNotEnded(periodStart, uint64(endsAt));
        uint256 closesAt = endsAt + correctionWindow;
        if (block.timestamp > closesAt) revert CascadeCorrectionWindowClosed(periodStart, uint64(closesAt));
    }

    /// @dev Checks one group's version and folds it into the packed `period` word (the caller
    /// writes it back). Works on packed words, not memory structs: this is the hot path.
    function _commit(
        uint256 period,
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        Totals calldata totals,
        bytes32 merkleRoot
    ) private returns (uint256) {
        Group storage group = _groups[groupId];
        (uint48 fromPeriod, uint48 untilPeriod, address brp) = (group.fromPeriod, group.untilPeriod, group.brp);
        if (untilPeriod == 0) revert CascadeUnknownGroup(groupId);
        if (msg.sender != brp) revert CascadeUnauthorizedCommitter(groupId, msg.sender);
        if (periodStart < fromPeriod || periodStart >= untilPeriod) {
            revert CascadeGroupNotActive(groupId, periodStart, fromPeriod, untilPeriod);
        }
        mapping(uint64 => uint256) storage latestOfGroup = _latest[groupId];
        uint256 previous = latestOfGroup[periodStart];
        uint32 previousVersion = uint32(previous);
        if (uint256(version) != uint256(previousVersion) + 1) {
            if (version != 0 && version <= previousVersion) revert CascadeVersionAlreadyCommitted(groupId, periodStart, version);
            revert CascadeVersionNotNext(groupId, periodStart, version, previousVersion + 1);
        }
        (uint56 feedIn, uint56 feedOut, int56 scheduleNet) = _bounded(groupId, periodStart, totals);
        if (merkleRoot == bytes32(0)) revert CascadeEmptyRoot(groupId, periodStart);

        uint256 latest = _packGroupPeriod(version, feedIn, feedOut, scheduleNet, uint48(block.number));
        latestOfGroup[periodStart] = latest;
        _roots[groupId][periodStart][version] = merkleRoot;
        if (previousVersion == 0) {
            // Only the count: the sums gain the new version below.
            period += uint256(1) << COMMITTED_SHIFT;
        } else {
            // A correction replaces the group's previous version in the sums.
            period = _subtractFromSums(period, previous);
        }
        period = _addToSums(period, latest);
        if (period & FINALIZED_BIT != 0) {
            emit PeriodReopened(periodStart, groupId, version);
            return period & ~FINALIZED_BIT;
        }
        return period;
    }

    /// @dev The totals within bounds and balanced, narrowed to what is stored. The imbalance needs
    /// no bound of its own: it must equal feed-in − feed-out − schedule net, and is not stored.
    function _bounded(
        bytes32 groupId,
        uint64 periodStart,
        Totals calldata totals
    ) private pure returns (uint56 feedIn, uint56 feedOut, int56 scheduleNet) {
        (uint128 feedInWh, uint128 feedOutWh, int128 scheduleNetWh, int128 imbalanceWh) = (
            totals.feedInWh,
            totals.feedOutWh,
            totals.scheduleNetWh,
            totals.imbalanceWh
        );
        if (feedInWh > MAX_ENERGY_WH || feedOutWh > MAX_ENERGY_WH || scheduleNetWh > MAX_NET_WH || scheduleNetWh < MIN_NET_WH) {
            revert CascadeTotalsOutOfRange(groupId, periodStart);
        }
        int256 computed;
        unchecked {
            // 128-bit operands: int256 holds the result.
            computed = int256(uint256(feedInWh)) - int256(uint256(feedOutWh)) - scheduleNetWh;
        }
        if (computed != imbalanceWh) revert CascadeUnbalanced(groupId, periodStart, computed, imbalanceWh);
        return (uint56(feedInWh), uint56(feedOutWh), int56(scheduleNetWh));
    }

    function _sumsOf(PeriodState memory period) private pure returns (Totals memory) {
        int128 imbalance = int128(uint128(period.feedInWh)) - int128(uint128(period.feedOutWh)) - period.scheduleNetWh;
        return Totals({feedInWh: period.feedInWh, feedOutWh: period.feedOutWh, scheduleNetWh: period.scheduleNetWh, imbalanceWh: imbalance});
    }

    function _packGroupPeriod(uint32 version, uint56 feedIn, uint56 feedOut, int56 scheduleNet, uint48 blockNumber) private pure returns (uint256) {
        return
            uint256(version) |
            (uint256(feedIn) << 32) |
            (uint256(feedOut) << 88) |
            (uint256(uint56(scheduleNet)) << 144) |
            (uint256(blockNumber) << 200);
    }

    function _unpackGroupPeriod(uint256 word) private pure returns (GroupPeriod memory g) {
        g.version = uint32(word);
        g.feedInWh = uint56(word >> 32);
        g.feedOutWh = uint56(word >> 88);
        g.scheduleNetWh = int56(uint56(word >> 144));
        g.blockNumber = uint48(word >> 200);
    }

    /// @dev Adds a packed group-period's totals to a packed period's sums. Unchecked: with every
    /// group's totals within bounds and at most 65,535 groups, 72 bits hold any sum.
    function _addToSums(uint256 period, uint256 groupPeriod) private pure returns (uint256) {
        unchecked {
            uint72 feedIn = uint72(period) + uint56(groupPeriod >> 32);
            uint72 feedOut = uint72(period >> 72) + uint56(groupPeriod >> 88);
            int72 scheduleNet = int72(uint72(period >> 144)) + int56(uint56(groupPeriod >> 144));
            return _withSums(period, feedIn, feedOut, scheduleNet);
        }
    }

    /// @dev Takes a group's previous version out of the sums it is part of (so never below zero).
    function _subtractFromSums(uint256 period, uint256 groupPeriod) private pure returns (uint256) {
        unchecked {
            uint72 feedIn = uint72(period) - uint56(groupPeriod >> 32);
            uint72 feedOut = uint72(period >> 72) - uint56(groupPeriod >> 88);
            int72 scheduleNet = int72(uint72(period >> 144)) - int56(uint56(groupPeriod >> 144));
            return _withSums(period, feedIn, feedOut, scheduleNet);
        }
    }

    function _withSums(uint256 period, uint72 feedIn, uint72 feedOut, int72 scheduleNet) private pure returns (uint256) {
        return (period & ~SUMS_MASK) | uint256(feedIn) | (uint256(feedOut) << 72) | (uint256(uint72(scheduleNet)) << 144);
    }

    function _packPeriod(PeriodState memory p) private pure returns (uint256) {
        return
            uint256(p.feedInWh) |
            (uint256(p.feedOutWh) << 72) |
            (uint256(uint72(p.scheduleNetWh)) << 144) |
            (uint256(p.committedGroups) << 216) |
            (uint256(p.finalizations) << 232) |
            (p.finalized ? uint256(1) << 248 : 0);
    }

    function _unpackPeriod(uint256 word) private pure returns (PeriodState memory p) {
        p.feedInWh = uint72(word);
        p.feedOutWh = uint72(word >> 72);
        p.scheduleNetWh = int72(uint72(word >> 144));
        p.committedGroups = uint16(word >> 216);
        p.finalizations = uint16(word >> 232);
        p.finalized = (word >> 248) & 1 == 1;
    }
}
