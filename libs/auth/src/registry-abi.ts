/**
 * The part of RoleRegistry's ABI that role readers and the market operator's tools use,
 * human-readable so that nothing outside the contracts project needs the compiled artifact.
 */
export const ROLE_REGISTRY_ABI = [
  'event GroupRoleGranted(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender)',
  'event GroupRoleRevoked(bytes32 indexed role, bytes32 indexed groupId, address indexed account, address sender)',
  'function grantGroupRole(bytes32 role, bytes32 groupId, address account)',
  'function revokeGroupRole(bytes32 role, bytes32 groupId, address account)',
  'function hasGroupRole(bytes32 role, bytes32 groupId, address account) view returns (bool)',
] as const;
