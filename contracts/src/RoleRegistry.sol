// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRoleRegistry} from "./interfaces/IRoleRegistry.sol";

/// @title RoleRegistry
/// @notice Market roles scoped to balancing groups, on top of OpenZeppelin AccessControl: a role
/// for a group is the AccessControl role keccak256(abi.encode(role, groupId)).
contract RoleRegistry is AccessControl, IRoleRegistry {
    bytes32 public constant MPO_ROLE = keccak256("MPO");
    bytes32 public constant DSO_ROLE = keccak256("DSO");
    bytes32 public constant BRP_ROLE = keccak256("BRP");
    bytes32 public constant TSO_ROLE = keccak256("TSO");
    /// @notice The scope of market-wide roles.
    bytes32 public constant MARKET = bytes32(0);

    mapping(bytes32 groupId => bool) private _registered;
    uint256 private _groupCount;

    /// @param marketOperator administers groups and roles.
    constructor(address marketOperator) {
        _grantRole(DEFAULT_ADMIN_ROLE, marketOperator);
    }

    /// @inheritdoc IRoleRegistry
    function registerGroup(bytes32 groupId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (groupId == MARKET) revert RoleRegistryInvalidGroup(groupId);
        if (_registered[groupId]) revert RoleRegistryGroupAlreadyRegistered(groupId);
        _registered[groupId] = true;
        _groupCount += 1;
        emit GroupRegistered(groupId, _groupCount);
    }

    /// @inheritdoc IRoleRegistry
    function grantGroupRole(bytes32 role, bytes32 groupId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireKnownRole(role);
        if (_grantRole(scopedRole(role, groupId), account)) {
            emit GroupRoleGranted(role, groupId, account, _msgSender());
        }
    }

    /// @inheritdoc IRoleRegistry
    function revokeGroupRole(bytes32 role, bytes32 groupId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireKnownRole(role);
        if (_revokeRole(scopedRole(role, groupId), account)) {
            emit GroupRoleRevoked(role, groupId, account, _msgSender());
        }
    }

    /// @inheritdoc IRoleRegistry
    function hasGroupRole(bytes32 role, bytes32 groupId, address account) external view returns (bool) {
        return hasRole(scopedRole(role, groupId), account);
    }

    /// @inheritdoc IRoleRegistry
    function isGroupRegistered(bytes32 groupId) external view returns (bool) {
        return _registered[groupId];
    }

    /// @inheritdoc IRoleRegistry
    function groupCount() external view returns (uint256) {
        return _groupCount;
    }

    /// @notice The AccessControl role id of `role` scoped to `groupId`.
    function scopedRole(bytes32 role, bytes32 groupId) public pure returns (bytes32) {
        return keccak256(abi.encode(role, groupId));
    }

    function _requireKnownRole(bytes32 role) private pure {
        if (role != MPO_ROLE && role != DSO_ROLE && role != BRP_ROLE && role != TSO_ROLE) {
            revert RoleRegistryUnknownRole(role);
        }
    }
}
