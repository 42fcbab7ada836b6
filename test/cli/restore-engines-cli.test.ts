/** `dr restore --help` lists the engines and the engine flags; bad flag values are refused with the flag named. */
import { registerRestoreCommand } from '../../cli/restore';
import { runCli, testProgram } from '../support/run-cli';

test('dr restore --help lists auto, import, bulk and write and the engine flags', () => {
  const restore = testProgram(registerRestoreCommand).commands.find((c) => c.name() === 'restore')!;
  const help = restore.helpInformation();
  expect(help).toMatch(/--engine <engine> +how each table is loaded: auto \| import \| bulk \|\s+write/);
  for (const flag of ['--dry-run', '--resume', '--kms-key <key>', '--max-write-units <n>', '--performance-tier <tier>']) expect(help).toContain(flag);
});

test('an unknown --engine or a bulk rate below 1024 is refused naming the flag, exit 1', async () => {
  const a = await runCli(testProgram(registerRestoreCommand), ['restore', 'latest', '--bucket', 'b', '--engine', 'fast']);
  expect(a.code).toBe(1);
  expect(a.stderr).toMatch(/--engine must be one of auto, import, bulk, write \(got "fast"\)/);
  const b = await runCli(testProgram(registerRestoreCommand), ['restore', 'latest', '--bucket', 'b', '--max-write-units', '100']);
  expect(b.code).toBe(1);
  expect(b.stderr).toMatch(/--max-write-units must be a whole number of at least 1024 \(got "100"\)/);
});

test('--poll-seconds outside 0-300 or not a number is refused naming the flag, exit 1, before any request', async () => {
  for (const value of ['-1', '301', 'often']) {
    const run = await runCli(testProgram(registerRestoreCommand), ['restore', 'latest', '--bucket', 'b', '--poll-seconds', value]);
    expect({ value, code: run.code }).toEqual({ value, code: 1 });
    expect(run.stderr).toContain(`--poll-seconds must be a number from 0 to 300 (got "${value}")`);
  }
});
