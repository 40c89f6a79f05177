// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders a layer must not reach into: keeps `consent <- dialogs <- bot`, `consent <- storage <- bot`. */
const boundary = (/** @type {string[]} */ patterns, /** @type {string} */ why) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message: why }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'deployment/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['consent/**/*.ts'],
    rules: boundary(
      [
        '**/dialogs/**',
        '**/storage/**',
        '**/bot/**',
        'botbuilder*',
        'mongodb',
        'restify',
        'i18next',
        'xstate',
        'better-sqlite3',
        'zod',
      ],
      'consent/ is the pure domain: it imports nothing outside consent/.',
    ),
  },
  {
    files: ['dialogs/**/*.ts'],
    rules: boundary(
      [
        '**/storage/**',
        '**/bot/**',
        'botbuilder*',
        'mongodb',
        'restify',
        'i18next',
        'better-sqlite3',
      ],
      'dialogs/ holds statecharts: xstate and consent/ only, no I/O, no text.',
    ),
  },
  {
    files: ['storage/**/*.ts'],
    rules: boundary(
      ['**/dialogs/**', '**/bot/**', 'restify', 'i18next', 'xstate'],
      'storage/ implements ports of consent/; it knows nothing of conversations or HTTP.',
    ),
  },
  {
    files: ['bot/email/**/*.ts'],
    rules: boundary(
      ['**/chat/**'],
      'bot/email/ is used by the chat, never the other way round: shared rules go to consent/.',
    ),
  },
  {
    // Tests may cross layers: a dialogs test loads the real catalogue through bot/.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts'],
    rules: {
      'no-console': 'off',
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Browser code, type-checked through console/tsconfig.json (DOM types), which knows its globals.
    files: ['console/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
);
