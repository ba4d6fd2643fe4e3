/** Built by `npm run contracts:build` (solc-js at build time): loading them compiles nothing. */
export { RoleRegistryArtifact, SettlementCascadeArtifact, SOURCES_DIGEST } from './artifacts.generated';
