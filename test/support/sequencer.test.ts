/**
 * The test sequencer (test/support/sequencer.js): the long files it lists start first, in its
 * order, whatever Jest's own order (timings of a last run, else file size) would be.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const LongFilesFirst = require('./sequencer') as new () => { sort(tests: FakeTest[]): FakeTest[] };

interface FakeTest {
  path: string;
  context: { config: { cacheDirectory: string; id: string; cache: boolean }; hasteFS: { getSize(p: string): number } };
}

const ROOT = path.resolve(__dirname, '..', '..');
const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-sequencer-'));
afterAll(() => fs.rmSync(cacheDirectory, { recursive: true, force: true }));

/** Tests as Jest hands them to a sequencer in a fresh clone: no timings, a size per file. */
function tests(sizes: Record<string, number>): FakeTest[] {
  const context = { config: { cacheDirectory, id: 'sequencer-test', cache: false }, hasteFS: { getSize: (p: string) => sizes[path.relative(ROOT, p)] } };
  return Object.keys(sizes).map((p) => ({ path: path.join(ROOT, p), context }));
}

const order = (sorted: FakeTest[]) => sorted.map((t) => path.relative(ROOT, t.path));

test('a fresh clone starts the listed long files first, in the listed order, then the rest largest first', () => {
  const sorted = new LongFilesFirst().sort(
    tests({
      'test/layout.test.ts': 9000,
      'test/lib/synth-variant.test.ts': 10,
      'test/lib/synth.test.ts': 20,
      'test/lib/config.test.ts': 5000,
      'test/cli/drill.test.ts': 30,
    }),
  );
  expect(order(sorted)).toEqual([
    'test/lib/synth.test.ts',
    'test/cli/drill.test.ts',
    'test/lib/synth-variant.test.ts',
    'test/layout.test.ts',
    'test/lib/config.test.ts',
  ]);
});

test('a run of a few files keeps only those, listed ones first', () => {
  const sorted = new LongFilesFirst().sort(tests({ 'test/lib/config.test.ts': 5000, 'test/faults/restore-resume.test.ts': 10 }));
  expect(order(sorted)).toEqual(['test/faults/restore-resume.test.ts', 'test/lib/config.test.ts']);
});
