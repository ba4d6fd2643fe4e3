// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IRoleRegistry} from "./interfaces/IRoleRegistry.sol";

/// @title RoleRegistry
/// @notice Market roles, each held for a scope, on top of OpenZeppelin AccessControl: a role for a
/// scope is the AccessControl role keccak256(abi.encode(role, scope)). Market operator and TSO
/// are held for the market (scope zero); DSO for a grid area, MPO, BRP and supplier for a
/// balancing group, plant operator for a plant (scope ids: libs/auth/src/roles.ts). The administrator
/// is changed in two steps with a delay (AccessControlDefaultAdminRules). The number of groups
/// each period needs is a checkpointed history keyed by period start, never one global number.
contract RoleRegistry is AccessControlDefaultAdminRules, IRoleRegistry {
    using Checkpoints for Checkpoints.Trace208;

    bytes32 public constant MPO_ROLE = keccak256("MPO");
    bytes32 public constant DSO_ROLE = keccak256("DSO");
    bytes32 public constant BRP_ROLE = keccak256("BRP");
    bytes32 public constant TSO_ROLE = keccak256("TSO");
    bytes32 public constant MARKET_OPERATOR_ROLE = keccak256("MARKET_OPERATOR");
    bytes32 public constant SUPPLIER_ROLE = keccak256("SUPPLIER");
    bytes32 public constant PLANT_OPERATOR_ROLE = keccak256("PLANT_OPERATOR");
    /// @notice The scope of market-wide roles.
    bytes32 public constant MARKET = bytes32(0);
    /// @notice Groups over the registry's lifetime; the cascade's packed sums are sized for it.
    uint256 public constant MAX_GROUPS = type(uint16).max;
    uint48 private constant QUARTER_HOUR = 900;
    uint48 private constant NEVER = type(uint48).max;

    /// @dev One storage slot: what a commit needs to know about its group.
    struct Group {
        uint48 fromPeriod;
        /// Zero: never registered; NEVER: not retired.
        uint48 untilPeriod;
        address brp;
    }

    mapping(bytes32 groupId => Group) internal _groups;
    /// @dev Active group count from each key (a period start) on.
    Checkpoints.Trace208 private _activeGroups;
    uint256 private _registeredEver;

    /// @param admin the market operator: administers groups and roles.
    /// @param adminDelay seconds between beginning and accepting an administrator transfer.
    /// @param openingPeriod the first period of the market: `initialGroups` count from it on.
    /// @param initialGroups the groups of the market at its opening.
    constructor(
        address admin,
        uint48 adminDelay,
        uint48 openingPeriod,
        bytes32[] memory initialGroups
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        uint48 from = openingPeriod - (openingPeriod % QUARTER_HOUR);
        for (uint256 i = 0; i < initialGroups.length; i++) {
            _register(initialGroups[i], from);
        }
        if (initialGroups.length == 0) _activeGroups.push(from, 0);
    }

    /// @inheritdoc IRoleRegistry
    function registerGroup(bytes32 groupId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _register(groupId, _effectivePeriod());
    }

    /// @inheritdoc IRoleRegistry
    function retireGroup(bytes32 groupId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Group storage group = _groups[groupId];
        if (group.untilPeriod != NEVER) revert RoleRegistryGroupNotActive(groupId);
        uint48 until = _effectivePeriod();
        group.untilPeriod = until;
        uint208 active = _activeGroups.latest() - 1;
        _activeGroups.push(until, active);
        emit GroupRetired(groupId, until, active);
    }

    /// @inheritdoc IRoleRegistry
    function grantGroupRole(bytes32 role, bytes32 groupId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireKnownRole(role, groupId);
        if (role == BRP_ROLE) {
            Group storage group = _groups[groupId];
            if (group.untilPeriod == 0) revert RoleRegistryGroupNotActive(groupId);
            if (group.brp != address(0) && group.brp != account) revert RoleRegistryGroupHasBrp(groupId, group.brp);
            group.brp = account;
        }
        if (_grantRole(scopedRole(role, groupId), account)) {
            emit GroupRoleGranted(role, groupId, account, _msgSender());
        }
    }

    /// @inheritdoc IRoleRegistry
    function revokeGroupRole(bytes32 role, bytes32 groupId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireKnownRole(role, groupId);
        if (role == BRP_ROLE && _groups[groupId].brp == account) _groups[groupId].brp = address(0);
        if (_revokeRole(scopedRole(role, groupId), account)) {
            emit GroupRoleRevoked(role, groupId, account, _msgSender());
        }
    }

    /// @notice Raw grants would bypass the group bookkeeping and events: only the administrator
    /// role goes through here (and AccessControlDefaultAdminRules refuses it: two-step transfer).
    function grantRole(bytes32 role, address account) public override {
        if (role != DEFAULT_ADMIN_ROLE) revert RoleRegistryUseGroupFunctions(role);
        super.grantRole(role, account);
    }

    /// @notice See grantRole.
    function revokeRole(bytes32 role, address account) public override {
        if (role != DEFAULT_ADMIN_ROLE) revert RoleRegistryUseGroupFunctions(role);
        super.revokeRole(role, account);
    }

    /// @notice Only the administrator renounces here (after its scheduled transfer to zero);
    /// group roles are revoked by the administrator, with their events.
    function renounceRole(bytes32 role, address account) public override {
        if (role != DEFAULT_ADMIN_ROLE) revert RoleRegistryUseGroupFunctions(role);
        super.renounceRole(role, account);
    }

    /// @inheritdoc IRoleRegistry
    function hasGroupRole(bytes32 role, bytes32 groupId, address account) external view returns (bool) {
        return hasRole(scopedRole(role, groupId), account);
    }

    /// @inheritdoc IRoleRegistry
    function isGroupRegistered(bytes32 groupId) external view returns (bool) {
        return _groups[groupId].untilPeriod != 0;
    }

    /// @inheritdoc IRoleRegistry
    function groupOf(bytes32 groupId) external view returns (uint48 fromPeriod, uint48 untilPeriod, address brp) {
        Group storage group = _groups[groupId];
        return (group.fromPeriod, group.untilPeriod, group.brp);
    }

    /// @inheritdoc IRoleRegistry
    function requiredGroups(uint64 periodStart) public view returns (uint256) {
        if (periodStart > NEVER) return _activeGroups.latest();
        return _activeGroups.upperLookupRecent(uint48(periodStart));
    }

    /// @inheritdoc IRoleRegistry
    function finalizerView(address account, uint64 periodStart) external view returns (bool isTso, uint256 required) {
        return (hasRole(scopedRole(TSO_ROLE, MARKET), account), requiredGroups(periodStart));
    }

    /// @notice The AccessControl role id of `role` scoped to `groupId`.
    function scopedRole(bytes32 role, bytes32 groupId) public pure returns (bytes32) {
        return keccak256(abi.encode(role, groupId));
    }

    function _register(bytes32 groupId, uint48 from) private {
        if (groupId == MARKET) revert RoleRegistryInvalidGroup(groupId);
        if (_groups[groupId].untilPeriod != 0) revert RoleRegistryGroupAlreadyRegistered(groupId);
        if (++_registeredEver > MAX_GROUPS) revert RoleRegistryTooManyGroups();
        _groups[groupId] = Group({fromPeriod: from, untilPeriod: NEVER, brp: address(0)});
        uint208 active = _activeGroups.latest() + 1;
        _activeGroups.push(from, active);
        emit GroupRegistered(groupId, from, active);
    }

    /// @dev The period in progress (nobody can have committed it), or the last change's period if
    /// that is later (the market has not opened yet), so the history stays ordered.
    function _effectivePeriod() private view returns (uint48) {
        uint48 current = uint48(block.timestamp) - (uint48(block.timestamp) % QUARTER_HOUR);
        (bool exists, uint48 lastKey, ) = _activeGroups.latestCheckpoint();
        return exists && lastKey > current ? lastKey : current;
    }

    /// @dev Market-wide roles only for the market scope, every other role only for a named one.
    function _requireKnownRole(bytes32 role, bytes32 scope) private pure {
        bool marketWide = role == TSO_ROLE || role == MARKET_OPERATOR_ROLE;
        bool scoped = role == MPO_ROLE || role == DSO_ROLE || role == BRP_ROLE || role == SUPPLIER_ROLE || role == PLANT_OPERATOR_ROLE;
        if (!marketWide && !scoped) revert RoleRegistryUnknownRole(role);
        if (marketWide != (scope == MARKET)) revert RoleRegistryWrongScope(role, scope);
    }
}
