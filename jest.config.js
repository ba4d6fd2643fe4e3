// Three kinds of spec, three projects: unit (pure, no infrastructure), integration (real NATS,
// Postgres, anvil) and e2e (the whole market day). TZ=UTC is set by tools/src/ci/test-all.ts
// and the npm scripts; the system itself never reads local time.
process.env.TZ = 'UTC';
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
};
const roots = ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/contracts', '<rootDir>/tools', '<rootDir>/apps'];
// Integration and e2e runs get one auth-enabled nats-server (libs/testing/src/jest, docs/nats-security.md).
const testNats = {
  globalSetup: '<rootDir>/libs/testing/src/jest/nats.global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/nats.global-teardown.ts',
};
const common = { transform, roots, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Jest reads testTimeout only at the root (a project's own is ignored); integration and e2e
  // specs that need longer pass their own timeout to beforeAll/it.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...common, ...testNats, displayName: 'integration', testMatch: ['**/*.int-spec.ts'] },
    { ...common, ...testNats, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
