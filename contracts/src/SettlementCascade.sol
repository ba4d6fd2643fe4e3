// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRoleRegistry} from "./interfaces/IRoleRegistry.sol";
import {ISettlementCascade} from "./interfaces/ISettlementCascade.sol";

/// @title SettlementCascade
/// @notice Group commitments per period and version, and the TSO's market-wide finalization.
/// Running sums over each group's latest version are kept on commit, so finalization costs the
/// same for two groups or two thousand, and nothing costs more for more meters.
contract SettlementCascade is ISettlementCascade {
    bytes32 private constant MPO_ROLE = keccak256("MPO");
    bytes32 private constant BRP_ROLE = keccak256("BRP");
    bytes32 private constant TSO_ROLE = keccak256("TSO");
    bytes32 private constant MARKET = bytes32(0);
    uint64 private constant QUARTER_HOUR = 900;

    struct PeriodState {
        Totals sums;
        uint32 committedGroups;
        uint32 finalizations;
        bool finalized;
    }

    IRoleRegistry public immutable registry;

    mapping(bytes32 groupId => mapping(uint64 periodStart => uint32)) private _latestVersion;
    mapping(bytes32 groupId => mapping(uint64 periodStart => mapping(uint32 version => Commitment))) private _commitments;
    mapping(uint64 periodStart => PeriodState) private _periods;

    constructor(IRoleRegistry roleRegistry) {
        registry = roleRegistry;
    }

    /// @inheritdoc ISettlementCascade
    function commitPeriod(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        Totals calldata totals,
        bytes32 merkleRoot,
        uint64 meterCount
    ) external {
        if (!registry.isGroupRegistered(groupId)) revert CascadeUnknownGroup(groupId);
        if (!registry.hasGroupRole(BRP_ROLE, groupId, msg.sender) && !registry.hasGroupRole(MPO_ROLE, groupId, msg.sender)) {
            revert CascadeUnauthorizedCommitter(groupId, msg.sender);
        }
        if (periodStart % QUARTER_HOUR != 0) revert CascadeInvalidPeriod(periodStart);
        PeriodState storage period = _periods[periodStart];

        uint32 previous = _latestVersion[groupId][periodStart];
        if (version != 0 && version <= previous) revert CascadeVersionAlreadyCommitted(groupId, periodStart, version);
        if (version != previous + 1) revert CascadeVersionNotNext(groupId, periodStart, version, previous + 1);

        int256 computed = SafeCast.toInt256(totals.feedInWh) - SafeCast.toInt256(totals.feedOutWh) - totals.scheduleNetWh;
        if (computed != totals.imbalanceWh) revert CascadeUnbalanced(groupId, periodStart, computed, totals.imbalanceWh);
        if (merkleRoot == bytes32(0)) revert CascadeEmptyRoot(groupId, periodStart);

        if (previous == 0) {
            period.committedGroups += 1;
        } else {
            // A correction replaces the group's previous version in the running sums.
            _subtract(period.sums, _commitments[groupId][periodStart][previous].totals);
        }
        _add(period.sums, totals);
        if (period.finalized) {
            period.finalized = false;
            emit PeriodReopened(periodStart, groupId, version);
        }
        _latestVersion[groupId][periodStart] = version;
        _commitments[groupId][periodStart][version] = Commitment({
            merkleRoot: merkleRoot,
            totals: totals,
            meterCount: meterCount,
            blockNumber: uint64(block.number),
            committer: msg.sender
        });
        emit PeriodCommitted(groupId, periodStart, version, merkleRoot, totals, meterCount, msg.sender);
    }

    /// @inheritdoc ISettlementCascade
    function finalizePeriod(uint64 periodStart, Totals calldata marketTotals) external {
        if (!registry.hasGroupRole(TSO_ROLE, MARKET, msg.sender)) revert CascadeUnauthorizedFinalizer(msg.sender);
        PeriodState storage period = _periods[periodStart];
        if (period.finalized) revert CascadePeriodFinalized(periodStart);
        uint256 registered = registry.groupCount();
        if (period.committedGroups != registered) {
            revert CascadeGroupsMissing(periodStart, period.committedGroups, registered);
        }
        Totals memory sums = period.sums;
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
        emit PeriodFinalized(periodStart, period.finalizations, marketTotals, registered, msg.sender);
    }

    /// @inheritdoc ISettlementCascade
    function latestVersion(bytes32 groupId, uint64 periodStart) external view returns (uint32) {
        return _latestVersion[groupId][periodStart];
    }

    /// @inheritdoc ISettlementCascade
    function rootOf(bytes32 groupId, uint64 periodStart, uint32 version) external view returns (bytes32) {
        return _commitments[groupId][periodStart][version].merkleRoot;
    }

    /// @inheritdoc ISettlementCascade
    function commitmentOf(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version
    ) external view returns (Commitment memory) {
        Commitment memory commitment = _commitments[groupId][periodStart][version];
        if (commitment.merkleRoot == bytes32(0)) revert CascadeUnknownCommitment(groupId, periodStart, version);
        return commitment;
    }

    /// @inheritdoc ISettlementCascade
    function periodState(
        uint64 periodStart
    ) external view returns (Totals memory sums, uint256 committedGroups, bool finalized, uint32 finalizations) {
        PeriodState storage period = _periods[periodStart];
        return (period.sums, period.committedGroups, period.finalized, period.finalizations);
    }

    /// @inheritdoc ISettlementCascade
    function verifyMeter(
        bytes32 groupId,
        uint64 periodStart,
        uint32 version,
        string calldata meterId,
        uint8 direction,
        uint256 energyWh,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _commitments[groupId][periodStart][version].merkleRoot;
        if (root == bytes32(0)) return false;
        // The StandardMerkleTree leaf: double keccak of the ABI encoding (no second-preimage).
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(meterId, periodStart, direction, energyWh))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    function _add(Totals storage sums, Totals calldata totals) private {
        sums.feedInWh += totals.feedInWh;
        sums.feedOutWh += totals.feedOutWh;
        sums.scheduleNetWh += totals.scheduleNetWh;
        sums.imbalanceWh += totals.imbalanceWh;
    }

    function _subtract(Totals storage sums, Totals storage totals) private {
        sums.feedInWh -= totals.feedInWh;
        sums.feedOutWh -= totals.feedOutWh;
        sums.scheduleNetWh -= totals.scheduleNetWh;
        sums.imbalanceWh -= totals.imbalanceWh;
    }
}
