// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders a layer must not reach into: keeps `consent <- dialogs <- bot`, `consent <- storage <- bot`. */
const boundary = (/** @type {string[]} */ patterns, /** @type {string} */ why) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message: why }] }],
});

/**
 * The feature folders of bot/ and the folders each may import, in layers: a folder imports only
 * folders listed before it, so the arrows between folders can never close a circle. bot/app.ts
 * and bot/main.ts, above them all, wire them together. A new folder must be added here.
 */
const BOT_FOLDERS = {
  platform: [],
  http: ['platform'],
  proof: ['platform', 'http'],
  email: ['platform', 'http', 'proof'],
  subjects: ['platform', 'http', 'proof'],
  compliance: ['platform', 'http', 'proof'],
  chat: ['platform', 'http', 'proof', 'email'],
  agents: ['platform', 'http', 'proof', 'chat'],
};

function botFolderBoundaries() {
  const folders = Object.keys(BOT_FOLDERS);
  return Object.entries(BOT_FOLDERS).map(([folder, allowed]) => {
    const banned = folders.filter((other) => other !== folder && !allowed.includes(other));
    const may = allowed.length > 0 ? allowed.join(', ') : 'no other folder of bot/';
    return {
      files: [`bot/${folder}/**/*.ts`],
      rules: boundary(
        banned.flatMap((other) => [`../${other}/*`, `**/${other}/*`, `**/${other}/**`]),
        `bot/${folder}/ may import ${may} (eslint.config.js, BOT_FOLDERS): a shared rule goes ` +
          'to consent/ or to a lower folder.',
      ),
    };
  });
}

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
  ...botFolderBoundaries(),
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
