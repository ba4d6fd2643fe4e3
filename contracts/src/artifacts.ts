import { artifactOf } from './compile';

/** Compiled on load (solc-js, about a second), so ABI and bytecode always match the sources. */
export const RoleRegistryArtifact = artifactOf('RoleRegistry');
export const SettlementCascadeArtifact = artifactOf('SettlementCascade');
