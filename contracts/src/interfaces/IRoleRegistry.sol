// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Who acts as MPO, DSO, BRP or TSO, for which balancing group
/// @notice The market operator (the administrator) registers balancing groups and grants roles
/// scoped to one group. Market-wide roles (the TSO) are granted for the scope `MARKET` (zero).
/// A group's MPO role is the BRP's delegation: an MPO of a group may commit for it.
interface IRoleRegistry {
    /// @notice The role is not one of MPO, DSO, BRP, TSO.
    error RoleRegistryUnknownRole(bytes32 role);
    /// @notice The group is already registered.
    error RoleRegistryGroupAlreadyRegistered(bytes32 groupId);
    /// @notice The group id is zero (reserved for the market scope).
    error RoleRegistryInvalidGroup(bytes32 groupId);

    /// @notice A balancing group joined the market; from now on every period needs its commit.
    event GroupRegistered(bytes32 indexed groupId, uint256 groupCount);
    /// @notice `account` acts as `role` for `groupId` (or for the market when `groupId` is zero).
    event GroupRoleGranted(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender);
    /// @notice `account` no longer acts as `role` for `groupId`.
    event GroupRoleRevoked(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender);

    /// @notice Registers a balancing group. Administrator only.
    function registerGroup(bytes32 groupId) external;

    /// @notice Grants `role` scoped to `groupId` (zero: market-wide). Administrator only.
    function grantGroupRole(bytes32 role, bytes32 groupId, address account) external;

    /// @notice Revokes `role` scoped to `groupId`. Administrator only.
    function revokeGroupRole(bytes32 role, bytes32 groupId, address account) external;

    /// @notice Whether `account` holds `role` for `groupId` (zero: market-wide).
    function hasGroupRole(bytes32 role, bytes32 groupId, address account) external view returns (bool);

    /// @notice Whether `groupId` is a registered balancing group.
    function isGroupRegistered(bytes32 groupId) external view returns (bool);

    /// @notice How many balancing groups are registered.
    function groupCount() external view returns (uint256);
}
