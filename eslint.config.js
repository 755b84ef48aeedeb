// Type-aware lint for the TypeScript tree: the rules that catch real faults
// in an event-driven proxy (a floating promise is an unhandled rejection, a
// misused promise a handler that never waits), not matters of taste, which
// Prettier settles.
import reactHooks from 'eslint-plugin-react-hooks';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.fuzz/', 'bench-results/', 'eslint.config.js', 'bin/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Methods of interfaces that may await are async whether or not this one does.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The TUI's view model is plain TypeScript (state, reducer, keys, layout), so it is tested without a
    // terminal and nothing in it depends on how a frame is drawn.
    files: ['src/tui/model/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'react',
                'react/*',
                'ink',
                'ink/*',
                '../components/*',
                '../use-*',
                '../App.js',
                '../once.js',
                '../run-top.js',
              ],
              message: 'src/tui/model/ is pure: React, ink and the components stand on it, not under it.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
