/** The run's temporary directory (test/support/run-temp-dir.ts): nothing a test run writes to os.tmpdir() outlives the run. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRunTempDir, memoryBackedTmp, removeRunTempDir } from './run-temp-dir';

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

describe('memoryBackedTmp: the run goes to /dev/shm only when it is writable and has room', () => {
  const saved = process.env.DR_TEST_TMP_ON_DISK;
  afterEach(() => {
    if (saved === undefined) delete process.env.DR_TEST_TMP_ON_DISK;
    else process.env.DR_TEST_TMP_ON_DISK = saved;
  });
  it('a writable directory with room is used', () => {
    delete process.env.DR_TEST_TMP_ON_DISK;
    expect(memoryBackedTmp(os.tmpdir(), 1)).toBe(os.tmpdir());
  });
  it('too little room (a container default of 64 MiB against 2 GiB asked) is not used', () => {
    delete process.env.DR_TEST_TMP_ON_DISK;
    expect(memoryBackedTmp(os.tmpdir(), Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
  it('a missing directory is not used, and DR_TEST_TMP_ON_DISK=1 keeps the run on disk', () => {
    delete process.env.DR_TEST_TMP_ON_DISK;
    expect(memoryBackedTmp(path.join(os.tmpdir(), 'no-such-dir'), 1)).toBeUndefined();
    process.env.DR_TEST_TMP_ON_DISK = '1';
    expect(memoryBackedTmp(os.tmpdir(), 1)).toBeUndefined();
  });
});
