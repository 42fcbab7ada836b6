// ESLint flat config: typescript-eslint's recommended rules over the TypeScript sources.
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '**/*.js', '**/*.mjs'] }, ...tseslint.configs.recommended, {
  rules: {
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    // CommonJS interop for packages without typings-friendly exports (s3rver in a child script).
    '@typescript-eslint/no-require-imports': 'off',
  },
});
