/**
 * Jest test sequencer: the suite's long files start first, so the run does not end with one
 * worker busy on a long file while the other sits idle.
 *
 * Jest's own order is longest first by the times of the last run (its cache, in the cache
 * directory); a fresh clone has no such times and Jest falls back to file size, which put
 * test/lib/synth.test.ts (a short file, the longest test) last: 190 s alone at the end of the
 * baseline run. The files below (measured, docs/development.md "Test speed") go first, in this
 * order; every other file follows in Jest's order. A listed file that no longer exists is an
 * error, so the list cannot rot quietly.
 */
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Long files, longest first (paths from the repository root). */
const START_FIRST = [
  'test/lib/synth.test.ts',
  'test/cli/drill.test.ts',
  'test/permissions/drill-aws.test.ts',
  'test/lib/synth-variant.test.ts',
  'test/integration/backup-large.test.ts',
  'test/permissions/restore-bucket.test.ts',
  'test/integration/object-lock-hardened.test.ts',
  'test/faults/restore-resume.test.ts',
  'test/faults/server-loss.test.ts',
];

const ROOT = path.resolve(__dirname, '..', '..');

class LongFilesFirst extends Sequencer {
  sort(tests) {
    const rank = new Map(START_FIRST.map((p, i) => [path.join(ROOT, p), i]));
    for (const p of rank.keys())
      if (!fs.existsSync(p)) throw new Error(`test/support/sequencer.js lists ${path.relative(ROOT, p)}, which does not exist: update START_FIRST`);
    const sorted = super.sort(tests);
    const first = sorted.filter((t) => rank.has(t.path)).sort((a, b) => rank.get(a.path) - rank.get(b.path));
    return [...first, ...sorted.filter((t) => !rank.has(t.path))];
  }
}

module.exports = LongFilesFirst;
