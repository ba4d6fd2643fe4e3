import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries: a service never imports another service; domain libraries import no
// framework, broker, ORM or telemetry package. Tags live in each project.json.
const frameworkPackages = ['@nestjs/*', 'nats', 'typeorm', 'pg', 'pg-copy-streams', '@opentelemetry/*', 'express'];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'contracts/artifacts/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
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
          ],
        },
      ],
    },
  },
];
