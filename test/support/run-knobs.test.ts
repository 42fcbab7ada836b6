/**
 * The CPU knobs jest.config.js sets for the run (docs/development.md "Test speed") reach where
 * they were measured: the worker's V8 flags and the environment of this worker's DynamoDB Local JVM.
 */
import * as fs from 'node:fs';
import { workerPair } from './shared-servers';

it('the workers run with 64 MiB semi-spaces (NODE_OPTIONS from jest.config.js)', () => {
  expect(process.env.NODE_OPTIONS ?? '').toContain('--max-semi-space-size=64');
});

it("this worker's DynamoDB Local JVM was started with the client compiler only and the serial collector", () => {
  const pair = workerPair();
  expect(pair).toBeDefined();
  const environ = `/proc/${pair!.pids.dynamodb}/environ`;
  // Linux exposes a process's environment in /proc; elsewhere the flags are only seen in jest.config.js.
  if (!fs.existsSync(environ)) return;
  const vars = fs.readFileSync(environ, 'utf8').split('\0');
  const tool = vars.find((v) => v.startsWith('JAVA_TOOL_OPTIONS='));
  expect(tool).toEqual(expect.stringContaining('-XX:TieredStopAtLevel=1'));
  expect(tool).toEqual(expect.stringContaining('-XX:+UseSerialGC'));
});
