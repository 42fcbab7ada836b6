/** The run's temporary directory (test/support/run-temp-dir.ts): nothing a test run writes to os.tmpdir() outlives the run. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRunTempDir, removeRunTempDir } from './run-temp-dir';

it("this run's workers write their temporary files inside the run's directory (jest.config.js global setup)", () => {
  expect(path.basename(os.tmpdir())).toMatch(/^dr-test-run-/);
});

it('the teardown removes the directory with what was left in it and puts TMPDIR back', () => {
  const before = process.env.TMPDIR;
  const dir = createRunTempDir();
  try {
    // (Jest gives a test file its own process.env, which os.tmpdir() does not read: the variable is the check here.)
    expect(process.env.TMPDIR).toBe(dir);
    fs.mkdirSync(path.join(fs.mkdtempSync(path.join(dir, 'cdk.out')), 'asset.x'));
  } finally {
    removeRunTempDir();
  }
  expect(fs.existsSync(dir)).toBe(false);
  expect(process.env.TMPDIR).toBe(before);
});
