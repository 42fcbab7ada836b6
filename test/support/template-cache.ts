/**
 * Synthesized templates shared by the test files of one run: the first file that needs the
 * templates of a config synthesizes them and writes them as JSON into the run's temporary
 * directory (test/support/run-temp-dir.ts); the files after it, in either worker, read the file
 * instead of loading aws-cdk-lib and synthesizing again (about 3 s a file on two busy cores).
 *
 * Safe because the run's directory is new for every run: sources cannot change under a cache
 * entry. Outside a run's directory (a script, a REPL) nothing is cached.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DrConfig } from '../../lib/config';
import { exampleConfig } from '../lib/config-fixture';

/** The cache directory of this run, or undefined outside a Jest run of this repository. */
function cacheDir(): string | undefined {
  const tmp = os.tmpdir();
  return path.basename(tmp).startsWith('dr-test-run-') ? path.join(tmp, 'dr-test-templates') : undefined;
}

/**
 * The JSON value `make()` returns for `key` (any JSON: a config), made once per run and read back
 * from the cache after that. Every call returns a fresh copy: callers may edit it.
 */
export function cachedJson<T>(kind: string, key: unknown, make: () => T): T {
  const dir = cacheDir();
  if (!dir) return make();
  const file = path.join(dir, `${kind}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16)}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  const value = make();
  const text = JSON.stringify(value);
  fs.mkdirSync(dir, { recursive: true });
  // Written whole, then renamed: the other worker never reads half a file.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
  return JSON.parse(text) as T;
}

/** One synthesized stack: its CloudFormation name, region and template (JSON). */
export interface SynthesizedStack {
  readonly name: string;
  readonly region: string;
  readonly template: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Both stacks of `config` (default: the example config) as test/lib/app-fixture.ts's `build()`
 * synthesizes them (account 123456789012), once per run and config.
 */
export function synthesizedStacks(config: DrConfig = exampleConfig()): { production: SynthesizedStack; recovery: SynthesizedStack } {
  return cachedJson('stacks', config, () => {
    // Loaded only on a miss: a file that reads the cache never loads aws-cdk-lib for it.
    const { build } = require('../lib/app-fixture') as typeof import('../lib/app-fixture');
    const built = build(config);
    const { production, recovery } = built.stacks;
    return {
      production: { name: production.stackName, region: production.region, template: built.production.toJSON() },
      recovery: { name: recovery.stackName, region: recovery.region, template: built.recovery.toJSON() },
    };
  });
}
