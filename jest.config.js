// The AWS SDK's Node-version warning (Node < 22) is silenced by its documented switch
// (aws/aws-sdk-js-v3#7983) for the whole test run: set here, before the workers start, it reaches
// every worker and every child process a test spawns. The CLI's own one-line note is tested
// with an explicit env (test/cli/sdk-warning.test.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// CPU knobs for the run, set the same way (they reach the workers, the local servers the global
// setup starts and the children tests spawn; measured in docs/development.md "Test speed"):
// - a larger V8 young generation for the workers: the suite allocates a lot of short-lived SDK
//   objects, and 64 MiB semi-spaces scavenge far less often than the default 16 MiB;
// - DynamoDB Local's JVMs live for a run at most and serve one client each: the client compiler
//   only (no C2 compile threads) and the serial collector (no concurrent G1 threads).
// Both append to what the caller set, so a developer's own flags still apply (a collector the
// caller chose stays: the JVM refuses two).
const setAlready = (have, flag) => (/^-XX:\+Use\w+GC$/.test(flag) ? /-XX:\+Use\w+GC\b/.test(have) : have.includes(flag.split('=')[0]));
const appendFlags = (name, flags) => {
  const have = process.env[name] ?? '';
  const add = flags.filter((f) => !setAlready(have, f));
  if (add.length) process.env[name] = [have, ...add].filter(Boolean).join(' ');
};
appendFlags('NODE_OPTIONS', ['--max-semi-space-size=64']);
appendFlags('JAVA_TOOL_OPTIONS', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking runs once in `tsc --noEmit` (npm test); @swc/jest only strips the types (a
    // fresh clone transforms every file cold: swc is several times cheaper than ts-jest there).
    // Its exports are read-only bindings, like ES modules: replace a module's export with
    // jest.mock(path, factory), not jest.spyOn (docs/development.md "Test speed").
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 120000,
  // Two workers fit two cores. Each worker's suites share one DynamoDB Local + s3rver pair,
  // started before the workers and stopped after them (test/support/shared-servers.ts).
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
  // The long files start first, also in a fresh clone that has no timings of a last run.
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
