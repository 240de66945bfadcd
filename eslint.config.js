import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Layering: a folder may import only from the folders listed for it (docs/architecture.md). */
const layers = {
  core: [],
  config: ['core'],
  router: ['core', 'config'],
  upstream: ['core', 'config'],
  plugins: ['core', 'config'],
  tls: ['core', 'config'],
  metrics: ['core'],
  acme: ['core', 'config', 'tls'],
  tracing: ['core'],
  runtime: ['core', 'config', 'router', 'upstream', 'plugins', 'tls'],
  proxy: [
    'core',
    'config',
    'router',
    'upstream',
    'plugins',
    'tls',
    'metrics',
    'acme',
    'tracing',
    'runtime',
  ],
  control: ['core', 'config', 'router', 'upstream', 'plugins', 'tls', 'metrics', 'acme', 'runtime'],
  admin: ['core', 'config', 'plugins', 'metrics', 'control'],
  cluster: [
    'core',
    'config',
    'upstream',
    'metrics',
    'acme',
    'runtime',
    'proxy',
    'control',
    'admin',
  ],
}
const all = Object.keys(layers)

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-sea/',
      '.build/',
      'coverage/',
      'node_modules/',
      'src/admin/ui/',
      'bin/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': ['error', { ignoreRestArgs: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      complexity: ['warn', 20],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  ...Object.entries(layers).map(([folder, allowed]) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: all
            .filter((other) => other !== folder && !allowed.includes(other))
            .map((other) => ({
              group: [`**/${other}/*`],
              message: `src/${folder} must not import src/${other} (see docs/architecture.md).`,
            })),
        },
      ],
    },
  })),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
      'max-lines': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
)
