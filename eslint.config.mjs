import js from '@eslint/js';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md): what each folder may import besides itself. Imports point down
 * only; a crossed layer is a design question, not a lint exception. Workflows may also import the *types* of
 * activities and of the metrics sink (the rule below).
 */
const LAYERS = {
  contract: [],
  domain: ['contract'],
  store: ['contract', 'domain'],
  token: ['contract', 'domain'],
  telemetry: ['contract', 'domain'],
  connection: ['contract', 'domain', 'telemetry'],
  activities: ['contract', 'domain', 'store', 'token', 'telemetry'],
  workflows: ['contract', 'domain', 'activities', 'telemetry'],
  'fake-api': ['contract', 'domain'],
  'temporal-server': ['contract', 'domain', 'connection'],
  worker: ['contract', 'domain', 'store', 'token', 'telemetry', 'connection', 'activities'],
  operations: ['contract', 'domain', 'store', 'token', 'telemetry', 'connection'],
  console: ['contract', 'domain', 'store', 'token', 'telemetry', 'connection', 'operations'],
  cli: [
    'contract',
    'domain',
    'store',
    'token',
    'telemetry',
    'connection',
    'operations',
    'fake-api',
    'temporal-server',
    'worker',
    'console',
  ],
};
export const layerZones = Object.entries(LAYERS).map(([layer, allowed]) => ({
  target: `./src/${layer}`,
  from: Object.keys(LAYERS)
    .filter((other) => other !== layer && !allowed.includes(other))
    .map((other) => `./src/${other}`),
  message: `${layer}/ may import only ${allowed.join(', ') || 'itself'} (docs/architecture.md)`,
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'temporal/', 'coverage/', 'bin/', '.clientsync/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // A type crosses a module boundary as `import type`, so no import runs code only for a type.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // A cycle makes load order decide what a module sees.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
  {
    // Workflow code is replayed: no Node built-ins, no I/O, and nothing that loads them. The activities'
    // index pulls in SQLite, the sources' index node:fs: only their types may be imported.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'child_process'],
              message: 'workflow code does no I/O',
            },
            {
              group: [
                '../activities',
                '../activities/*',
                '../telemetry/*',
                '../domain/sources',
                '../domain/sources/*',
                '../domain/request/*',
                '../domain/paths',
              ],
              allowTypeImports: true,
              message: 'workflows may import only the types of activities, metrics and I/O modules',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The console's browser script: plain JavaScript, loaded after uPlot.
    files: ['assets/console/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: { ...globals.browser, uPlot: 'readonly' },
    },
  },
);
