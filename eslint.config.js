// The lint gate: TypeScript rules, and the layers of src/ (README § Layout) as import rules, so
// a file that reaches across a layer fails `npm run lint` instead of waiting for a review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Stages below the entry points: none of them may import an entry point or a use case. */
const CORE = ['domain', 'compose', 'config', 'articles', 'render', 'audience', 'bounces', 'deliverability', 'delivery', 'transport', 'store', 'webhooks', 'metrics'];

const ENTRY_POINTS = {
  group: ['**/cli/**', '**/http/**', '**/preview/**', '**/inbound/**', '**/service/**', '**/app.js'],
  message: 'a pipeline stage must not import an entry point (cli, http, preview), a use case (service) or the composition root (app.ts): pass what it needs in as an argument',
};
const STORE_ADAPTERS = {
  group: ['**/store/**', '!**/store/store.js'],
  message: 'use the Store port (store/store.ts); only app.ts (and a thread entry that opens its own connection) picks an adapter',
};
const TRANSPORT_ADAPTERS = {
  group: ['**/transport/**', '!**/transport/transport.js'],
  message: 'use the Transport port (transport/transport.ts); only app.ts picks a transport',
};

const restrict = (...patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-output/**', 'bench/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Layers. Each block is one rule of README § Layout; later blocks for the same files add to it.
  {
    files: CORE.map((d) => `src/${d}/**/*.ts`),
    rules: { 'no-restricted-imports': restrict(ENTRY_POINTS, STORE_ADAPTERS, TRANSPORT_ADAPTERS) },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({ group: ['../**'], message: 'domain/ is pure and imports nothing of ours outside domain/' }),
    },
  },
  {
    files: ['src/compose/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({ regex: '^\\.\\./(?!domain/)', message: 'compose/ is pure and imports only domain/' }),
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/http/**/*.ts', 'src/preview/**/*.ts', 'src/inbound/**/*.ts', 'src/service/**/*.ts'],
    rules: { 'no-restricted-imports': restrict(STORE_ADAPTERS, TRANSPORT_ADAPTERS) },
  },
  // Adapters see their own folder; the composition root and a thread entry pick adapters.
  { files: ['src/store/**/*.ts'], rules: { 'no-restricted-imports': restrict(ENTRY_POINTS, TRANSPORT_ADAPTERS) } },
  { files: ['src/transport/**/*.ts'], rules: { 'no-restricted-imports': restrict(ENTRY_POINTS, STORE_ADAPTERS) } },
  {
    // A worker thread's entry is a composition root of its own: it opens its own store connection.
    files: ['src/audience/list-sync-worker.ts'],
    rules: { 'no-restricted-imports': restrict(ENTRY_POINTS, TRANSPORT_ADAPTERS) },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.mjs', '**/*.mjs', 'eslint.config.js'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
