// Lint rules, including the runtime boundaries of ARCHITECTURE.md: `vscode` is imported only by
// the extension host's files, TensorFlow.js only by the trainer, and the webview only imports
// src/common.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const HOST_FILES = ['src/extension.ts', 'src/config.ts', 'src/language/**', 'src/training/**', 'src/views/**', 'test/editor/**', 'bench/editor/**', 'bench/training/**'];
const vscodeOnlyInHost = { name: 'vscode', message: 'Only extension-host files (src/extension.ts, src/language, src/training, src/views, src/config.ts) may import vscode; keep the core pure.' };
const tfjsOnlyInTrainer = { group: ['@tensorflow/*', 'webgpu'], message: 'TensorFlow.js belongs to the trainer process (src/trainer) only.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scratch/**', '.bench/**', '.cache/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost], patterns: [tfjsOnlyInTrainer] }],
    },
  },
  { files: HOST_FILES, rules: { 'no-restricted-imports': ['error', { patterns: [tfjsOnlyInTrainer] }] } },
  { files: ['src/trainer/**', 'test/trainer/**', 'bench/model.bench.ts'], rules: { 'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost] }] } },
  {
    files: ['webview/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost], patterns: [tfjsOnlyInTrainer, { group: ['../src/dataset/*', '../src/trainer/*', 'node:*'], message: 'The webview runs in a browser: import only from src/common.' }] }] },
  },
  { files: ['**/*.mjs', 'bin/*'], languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly' } } },
);
