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

/**
 * The second axis, inside src-node (DESIGN.md §3): folders by role. A relative import whose first
 * step past the `../`s is one of these folders leaves the importer's role for that one; the
 * kernel reaches none, the contributor no service, a service neither the contributor nor another
 * service, control only the kernel; recipes compose roles; cli and tools compose anything.
 */
const roleFolder = (name) => ({ regex: `^(\\.\\./)+${name}(/|$)`, message: `DESIGN.md §3 (roles): this folder must not import src-node/${name}.` });
const otherService = (own) => ({
  regex: `^(\\.\\./)+(services/)?(?!${own}(/|$))(orchestrator|directory|authority)(/|$)`,
  message: 'DESIGN.md §3 (roles): a service never imports another service; a recipe connects them.',
});
const COMPOSERS = ['cli', 'tools', 'recipes'];
export const ROLE_RULES = {
  'src-node/kernel': ['contributor', 'services', 'control', ...COMPOSERS].map(roleFolder),
  'src-node/contributor': ['services', 'control', ...COMPOSERS].map(roleFolder),
  'src-node/control': ['contributor', 'services', ...COMPOSERS].map(roleFolder),
  'src-node/services/orchestrator': [...['contributor', 'control', ...COMPOSERS].map(roleFolder), otherService('orchestrator')],
  'src-node/services/directory': [...['contributor', 'control', ...COMPOSERS].map(roleFolder), otherService('directory')],
  'src-node/services/authority': [...['contributor', 'control', ...COMPOSERS].map(roleFolder), otherService('authority')],
  'src-node/recipes': ['cli', 'tools'].map(roleFolder),
};

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
  // Role folders inside src-node: the runtime layer's patterns plus the role's (a later block
  // replaces the rule's options, so each carries both). Tests are composition roots, like the CLI:
  // they may put a component beside the roles it talks to.
  ...Object.entries(ROLE_RULES).map(([folder, patterns]) => ({
    files: [`${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { ...LAYER_RULES['src-node'], patterns: [...LAYER_RULES['src-node'].patterns, ...patterns] }] },
  })),
  // Tests in a portable layer may read fixtures from disk; the shipped files may not.
  {
    files: ['src-shared/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
