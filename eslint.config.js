import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      // Node's globals, for the plain .js/.mjs files (TypeScript files get them from @types/node).
      globals: Object.fromEntries(
        ['process', 'console', 'URL', 'URLSearchParams', 'fetch', 'AbortController', 'Buffer', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map((name) => [name, 'readonly']),
      ),
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-console': ['error'],
    },
  },
  {
    // CommonJS files: the executable, the bench's and the tests' preloads.
    files: ['**/*.cjs'],
    languageOptions: {sourceType: 'commonjs', globals: {require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly'}},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    // Only the CLI adapters, the sandbox, examples and benchmarks may print.
    files: ['src/commands/**', 'src/cli/**', 'test/**', 'bin/**', 'bench/**', 'examples/**'],
    rules: {'no-console': 'off'},
  },
  {
    // The library must never load the CLI framework.
    files: ['src/**/*.ts'],
    ignores: ['src/commands/**', 'src/cli/**'],
    rules: {'no-restricted-imports': ['error', {patterns: [{group: ['@oclif/*'], message: 'src/ is the library: only src/commands and src/cli may use oclif.'}]}]},
  },
)
