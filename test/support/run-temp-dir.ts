/**
 * One temporary directory per test run: `jest.config.js`'s global setup creates it and points
 * TMPDIR at it before the workers start, so every `os.tmpdir()` of the run (CDK's `cdk.out*` of an
 * App without an outdir, the tests' `mkdtemp`s, s3rver and RGW data, the children tests spawn)
 * lands inside it; the global teardown removes it after the servers have stopped. A test that
 * forgets its clean-up no longer leaves a directory in /tmp per run; a run killed midway leaves one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Kept on globalThis: Jest loads the setup and the teardown modules separately, in the same process. */
const holder = globalThis as { __drRunTempDir?: { dir: string; savedTmpdir: string | undefined } };

/** Free space a memory-backed directory must have to hold a run (s3rver's objects, cdk.out, the large backup test). */
const MIN_MEMORY_TMP_BYTES = 2 * 1024 ** 3;

/**
 * /dev/shm when it is writable and has room for a run (a tmpfs on Linux: the run's s3rver data and
 * `cdk.out`s are written and deleted many times, cheaper in memory than on a journaling disk),
 * else undefined (os.tmpdir()). A container's default /dev/shm (64 MiB) is too small and is not used.
 * DR_TEST_TMP_ON_DISK=1 keeps the run on disk.
 */
export function memoryBackedTmp(dir = '/dev/shm', minBytes = MIN_MEMORY_TMP_BYTES): string | undefined {
  if (process.env.DR_TEST_TMP_ON_DISK === '1') return undefined;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize >= minBytes ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the run's directory under the current temporary directory and points TMPDIR at it. */
export function createRunTempDir(): string {
  const savedTmpdir = process.env.TMPDIR;
  const dir = fs.mkdtempSync(path.join(memoryBackedTmp() ?? os.tmpdir(), 'dr-test-run-'));
  process.env.TMPDIR = dir;
  holder.__drRunTempDir = { dir, savedTmpdir };
  return dir;
}

/** The run's directory while it exists (between {@link createRunTempDir} and {@link removeRunTempDir}). */
export function runTempDir(): string | undefined {
  return holder.__drRunTempDir?.dir;
}

/** Puts TMPDIR back and removes the run's directory with everything in it. */
export function removeRunTempDir(): void {
  const run = holder.__drRunTempDir;
  if (!run) return;
  holder.__drRunTempDir = undefined;
  if (run.savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = run.savedTmpdir;
  fs.rmSync(run.dir, { recursive: true, force: true });
}
