// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Who acts in which market role for which scope, and which balancing groups count when
/// @notice The market operator (the administrator, behind a two-step transfer with a delay) registers
/// and retires balancing groups and grants roles scoped to one group, grid area or plant (the
/// `groupId` argument of the role functions is that scope's key). Market-wide roles (TSO, market
/// operator) are granted for the scope `MARKET` (zero), and only for it. A group has at most one BRP account: the only key
/// that may commit for it. A group counts for the periods from its registration to its retirement;
/// both take effect from the period in progress, which nobody can have committed yet, so they
/// never change what an ended period needs. Groups given at deployment count from the market's
/// opening period. Roles change only through this interface (with its events).
interface IRoleRegistry {
    /// @notice The role is not one of MARKET_OPERATOR, TSO, DSO, MPO, BRP, SUPPLIER, PLANT_OPERATOR.
    error RoleRegistryUnknownRole(bytes32 role);
    /// @notice A market-wide role for a named scope, or a scoped role for the market scope (zero).
    error RoleRegistryWrongScope(bytes32 role, bytes32 scope);
    /// @notice The group is already registered (retired groups are not registered again).
    error RoleRegistryGroupAlreadyRegistered(bytes32 groupId);
    /// @notice The group id is zero (reserved for the market scope).
    error RoleRegistryInvalidGroup(bytes32 groupId);
    /// @notice The group is not registered, or already retired.
    error RoleRegistryGroupNotActive(bytes32 groupId);
    /// @notice The group already has a BRP account; revoke it before granting another.
    error RoleRegistryGroupHasBrp(bytes32 groupId, address brp);
    /// @notice The registry holds at most 65,535 groups over its lifetime (the cascade's bounds rely on it).
    error RoleRegistryTooManyGroups();
    /// @notice Roles other than the administrator's change only through grantGroupRole / revokeGroupRole.
    error RoleRegistryUseGroupFunctions(bytes32 role);

    /// @notice A balancing group joined the market: it counts from `fromPeriod` on; `activeGroups` count then.
    event GroupRegistered(bytes32 indexed groupId, uint64 fromPeriod, uint256 activeGroups);
    /// @notice A balancing group left the market: it counts for periods before `untilPeriod` only.
    event GroupRetired(bytes32 indexed groupId, uint64 untilPeriod, uint256 activeGroups);
    /// @notice `account` acts as `role` for `groupId` (or for the market when `groupId` is zero).
    event GroupRoleGranted(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender);
    /// @notice `account` no longer acts as `role` for `groupId`.
    event GroupRoleRevoked(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender);

    /// @notice Registers a balancing group from the period in progress on. Administrator only.
    function registerGroup(bytes32 groupId) external;

    /// @notice Retires a balancing group from the period in progress on. Administrator only.
    function retireGroup(bytes32 groupId) external;

    /// @notice Grants `role` scoped to `groupId` (zero: market-wide). Administrator only.
    function grantGroupRole(bytes32 role, bytes32 groupId, address account) external;

    /// @notice Revokes `role` scoped to `groupId`. Administrator only.
    function revokeGroupRole(bytes32 role, bytes32 groupId, address account) external;

    /// @notice Whether `account` holds `role` for `groupId` (zero: market-wide).
    function hasGroupRole(bytes32 role, bytes32 groupId, address account) external view returns (bool);

    /// @notice Whether `groupId` was ever registered (retired groups included).
    function isGroupRegistered(bytes32 groupId) external view returns (bool);

    /// @notice What the cascade checks on a commit, in one storage read: the periods the group
    /// counts for, [fromPeriod, untilPeriod) (untilPeriod zero: never registered), and its BRP.
    function groupOf(bytes32 groupId) external view returns (uint48 fromPeriod, uint48 untilPeriod, address brp);

    /// @notice How many groups must commit `periodStart` before it can be finalized.
    function requiredGroups(uint64 periodStart) external view returns (uint256);

    /// @notice What the cascade checks on finalization, in one call: whether `account` is a TSO,
    /// and how many groups `periodStart` needs.
    function finalizerView(address account, uint64 periodStart) external view returns (bool isTso, uint256 required);
}
