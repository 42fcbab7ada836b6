/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking runs once in `tsc --noEmit` (npm test); ts-jest only transpiles here.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  testTimeout: 120000,
  // Integration suites start their own DynamoDB Local and s3rver; two workers fit two cores.
  maxWorkers: 2,
};
