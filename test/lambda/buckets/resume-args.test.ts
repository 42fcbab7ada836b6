/**
 * The command `dr list` prints to continue an unfinished bucket restore (resumeArgs in
 * lambda/buckets/restore-bucket.ts, shellWord in cli/list.ts). The whole line is run by
 * test/cli/restore-bucket-cli.test.ts after a killed run.
 */
import { shellWord } from '../../../cli/list';
import { bucketJournalTarget, resumeArgs } from '../../../lambda/buckets/restore-bucket';

const at = '2026-12-03T09:59:00.000Z';

test('in place: the source, the time, --in-place --confirm, --resume', () => {
  expect(resumeArgs({ target: bucketJournalTarget('shop-media'), source: 'shop-media', backupId: at, engine: 'in-place' })).toEqual([
    'shop-media',
    '--at',
    at,
    '--in-place',
    '--confirm',
    '--resume',
  ]);
});

test('into another bucket, under a prefix: --to the destination and the same prefix (its journal is per prefix)', () => {
  const args = resumeArgs({
    target: bucketJournalTarget('shop-restored', 'user uploads/'),
    source: 'shop-media',
    backupId: at,
    engine: 'copy',
    prefix: 'user uploads/',
  });
  expect(args).toEqual(['shop-media', '--at', at, '--to', 'shop-restored', '--prefix', 'user uploads/', '--resume']);
  expect(args.map(shellWord).join(' ')).toBe(`shop-media --at ${at} --to shop-restored --prefix 'user uploads/' --resume`);
});

test('a word with a quote stays one word for the shell', () => {
  expect(shellWord("it's")).toBe(`'it'\\''s'`);
});
