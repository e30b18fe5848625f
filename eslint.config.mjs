// Type-aware lint for a daemon: floating and misused promises are bugs here (STYLE.md (c) 4).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/**', '*.mjs'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Layering (STYLE.md (b)): lower folders never import the CLI, the server or the engine.
    files: ['src/store/**/*.ts', 'src/image/**/*.ts', 'src/oci/**/*.ts', 'src/util/**/*.ts', 'src/errdefs/**/*.ts', 'src/api/**/*.ts', 'src/template/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/cli/**', '**/server/**', '**/engine/**', '**/client/**', '**/cmd/**'] }],
    },
  },
);
