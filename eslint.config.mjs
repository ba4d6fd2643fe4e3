import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries: a service never imports another service; domain libraries import no
// framework, broker, ORM or telemetry package. Tags live in each project.json.
const frameworkPackages = ['@nestjs/*', 'nats', 'typeorm', 'pg', 'pg-copy-streams', '@opentelemetry/*', 'express'];

// Specs, test helpers and benchmarks may also use the testing library (throwaway databases,
// NATS namespaces, anvil) and import their own project by its package name, as its users do.
// Domain libraries' specs use it only for the one given/when/then over their deciders; event
// libraries' tests stay without it.
const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', '**/bench/**/*.ts'];
const testingAllowedFor = new Set(['type:adapter', 'type:contracts', 'type:domain']);
// Adapters' tests (the role mirror and guards) deploy the RoleRegistry they read.
const testsMayDeploy = new Set(['type:adapter']);

function moduleBoundaries({ forTests }) {
  const depConstraints = [
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: frameworkPackages },
    { sourceTag: 'type:events', onlyDependOnLibsWithTags: ['type:domain', 'type:events'], bannedExternalImports: frameworkPackages },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
    { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', 'type:events', 'type:adapter'] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:events', 'type:adapter', 'type:contracts', 'type:testing'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:events', 'type:adapter', 'type:contracts', 'type:testing'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:events', 'type:adapter', 'type:contracts', 'type:testing'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:meter', onlyDependOnLibsWithTags: ['scope:shared', 'scope:meter'] },
    { sourceTag: 'scope:balancing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:balancing'] },
    { sourceTag: 'scope:capacity', onlyDependOnLibsWithTags: ['scope:shared', 'scope:capacity'] },
    { sourceTag: 'scope:chain', onlyDependOnLibsWithTags: ['scope:shared', 'scope:chain'] },
    // tools/ (local stack, demo, CI) drives the whole market, so it may use every scope's
    // libraries; type:tool still keeps it away from the services' own code.
    { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:shared', 'scope:meter', 'scope:balancing', 'scope:capacity', 'scope:chain'] },
  ].map((constraint) =>
    forTests && testingAllowedFor.has(constraint.sourceTag)
      ? { ...constraint, onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:testing', ...(testsMayDeploy.has(constraint.sourceTag) ? ['type:contracts'] : [])] }
      : constraint,
  );
  // The testing library connects tests to the run's auth-enabled NATS with messaging's client and
  // user table, while messaging's and persistence's own specs use the testing library: a cycle
  // through test files only, the usual one between a test-helper library and what it helps test.
  const ignoredCircularDependencies = [
    ['messaging', 'testing'],
    ['persistence', 'testing'],
    ['messaging', 'persistence'],
  ];
  return ['error', { enforceBuildableLibDependency: false, allowCircularSelfDependency: forTests, allow: [], depConstraints, ignoredCircularDependencies }];
}

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/.stack/**', 'contracts/artifacts/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': moduleBoundaries({ forTests: false }),
    },
  },
  {
    files: testFiles,
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ forTests: true }) },
  },
];
