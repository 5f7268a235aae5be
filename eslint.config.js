// Lint: TypeScript rules plus the layer rule of DESIGN.md §3, which says what each runtime folder
// may import. tests/repo/layer-rule.test.ts proves the rule fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NODE_BUILTIN_REGEX = `^(?:node:.+|(?:${builtinModules.filter((m) => !m.startsWith('_')).map(escapeRegex).join('|')})(?:/.*)?)$`;

const layer = (name) => ({ regex: `(^|/)${name}(/|$)`, message: `DESIGN.md §3: this layer must not import ${name}.` });
const nodeApis = { regex: NODE_BUILTIN_REGEX, message: 'DESIGN.md §3: this layer is portable and must not use Node APIs.' };
const electronOnlyInMain = { name: 'electron', message: 'DESIGN.md §3: only src-main imports electron.' };

/** The import rule, by folder: what each layer must not reach. */
export const LAYER_RULES = {
  'src-shared': { patterns: [layer('src-node'), layer('src-main'), layer('src-renderer'), nodeApis], paths: [electronOnlyInMain] },
  'src-node': { patterns: [layer('src-main'), layer('src-renderer')], paths: [electronOnlyInMain] },
  'src-main': { patterns: [layer('src-renderer')], paths: [] },
  'src-renderer': { patterns: [layer('src-node'), layer('src-main'), nodeApis], paths: [electronOnlyInMain] },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'playwright-report/**', 'test-results/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name="only"][callee.object.name=/^(it|test|describe)$/]', message: 'A focused test silences the rest of the suite.' },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
  ...Object.entries(LAYER_RULES).map(([folder, rule]) => ({
    files: [`${folder}/**/*.{ts,tsx}`],
    rules: { 'no-restricted-imports': ['error', rule] },
  })),
  // Tests in a portable layer may read fixtures from disk; the shipped files may not.
  {
    files: ['src-shared/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
