/**
 * `dr list`'s unfinished restores: every journal in the bucket that is not `verified`, each with
 * the exact command that continues it, the way that command would judge it.
 *
 * A table journal is held against the live table first (lambda/restore/journal/standing.ts, one
 * DescribeTable in the journal's region): a table dropped and created again since is a stale
 * journal (`--resume` would be refused as foreign), a missing table is restored again (nothing to
 * resume), and a journal that could not be checked here says so and why. A bucket restore's
 * journal gets its `dr restore-bucket ... --resume` line.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { resumeArgs } from '../lambda/buckets/restore-bucket';
import {
  describeIdentityText,
  journalKey,
  journalProgress,
  journalStanding,
  listJournals,
  type JournalStanding,
  type RestoreJournalRecord,
} from '../lambda/restore/journal';

/** A word for a POSIX shell: as is when safe, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell command that continues the unfinished bucket restore a journal records, with the
 * global options (`--bucket`, `--region`, ...) given in `context` (`dr list` and Ctrl-C print it).
 */
export function bucketResumeCommand(j: Parameters<typeof resumeArgs>[0], context: readonly string[]): string {
  return `dr restore-bucket ${[...resumeArgs(j), ...context].map(shellWord).join(' ')}`;
}

/**
 * The `dr restore` command for one table journal's target: `resume` continues it (`--resume`),
 * otherwise it restores the same set (or the same point) into that name again. The set is
 * `<tier>/<backupId>` (a chain: `--at` its point), `--tables` its source, then `--into-existing`
 * or the `--suffix` that names the target, and the engine when it is not the write engine.
 * A restore again always creates the table (`--suffix`, `""` for the source's own name): the table
 * is gone, so --into-existing would be refused.
 */
export function tableRestoreCommand(j: RestoreJournalRecord, resume: boolean, context: readonly string[]): string {
  const ref = j.chain ? ['--at', j.chain.at] : [`${j.tier}/${j.backupId}`];
  const suffix = j.target.startsWith(j.source) ? j.target.slice(j.source.length) : undefined;
  const where = resume && j.intoExisting ? ['--into-existing'] : suffix !== undefined ? ['--suffix', suffix] : [];
  const engine = j.engine !== 'write' ? ['--engine', j.engine] : [];
  const args = [...ref, ...(resume ? ['--resume'] : []), '--tables', j.source, ...where, ...engine, '--confirm', ...context];
  return `dr restore ${args.map(shellWord).join(' ')}`;
}

/** The TABLE column of a journal that may still be resumed. */
function tableCell(s: JournalStanding): string {
  return s.kind === 'unchecked' ? 'not checked' : 'checked: same table';
}

/** The line of a journal that names nothing to resume (stale or gone), with what to do. */
function noResumeLine(j: RestoreJournalRecord, s: JournalStanding, bucket: string, context: readonly string[]): string {
  const restore = `${j.chain ? `--at ${j.chain.at}` : `${j.tier}/${j.backupId}`}`;
  if (s.kind === 'stale')
    return (
      `  "${j.target}" (restore of ${restore}): stale: the table was dropped and created again since (the restore started on ${describeIdentityText(j.targetIdentity)}; ` +
      `the table now: ${describeIdentityText(s.live)}), so its items are not this restore's; nothing to resume ("--resume" is refused). ` +
      `dr restore ignores the journal s3://${bucket}/${journalKey(j.target)}; the next restore into "${j.target}" replaces it`
    );
  const region = s.kind === 'gone' ? s.region : '';
  return (
    `  "${j.target}" (restore of ${restore}): the target table no longer exists in ${region}; nothing to resume: restore again:\n` +
    `    ${tableRestoreCommand(j, false, context)}`
  );
}

/**
 * Prints the restore targets whose journal is not `verified` (killed, stopped or failed restores),
 * apart from the sets, never as restored: table journals judged against the live tables (with
 * `dynamodb`, whose region is `region`), then bucket restores. `context` is this listing's global
 * options (`--bucket`, `--region`), appended to every command printed.
 */
export async function printUnfinishedRestores(
  o: {
    readonly s3: S3Client;
    readonly dynamodb: DynamoDBClient;
    readonly bucket: string;
    /** The region `dynamodb` sends to (where journals are checked). */
    readonly region: string | undefined;
    /** `--region` as given (printed in the commands only when it was given). */
    readonly regionOption?: string;
  },
  renderTable: (header: string[], rows: string[][]) => string,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<void> {
  const open = (await listJournals(o.s3, o.bucket)).filter((j) => j.state !== 'verified');
  const context = ['--bucket', o.bucket, ...(o.regionOption ? ['--region', o.regionOption] : [])];
  const tables = await Promise.all(open.filter((j) => j.tier !== 'bucket').map(async (j) => ({ j, s: await journalStanding(o.dynamodb, o.region, j) })));
  const resumable = tables.filter((t) => t.s.kind === 'resumable' || t.s.kind === 'unchecked');
  const ended = tables.filter((t) => t.s.kind === 'stale' || t.s.kind === 'gone');
  if (resumable.length) {
    write(`\nunfinished restores (never verified, not restored tables; continue each with the command under the table, or delete the target):\n`);
    const backup = (j: RestoreJournalRecord) => (j.chain ? `${j.chain.baseSet} + windows, --at ${j.chain.at}` : `${j.tier}/${j.backupId}`);
    const body = resumable.map(({ j, s }) => [j.target, j.source, backup(j), j.state, journalProgress(j), tableCell(s)]);
    write(`${renderTable(['TARGET', 'SOURCE', 'BACKUP', 'STATE', 'PROGRESS', 'TABLE'], body)}\n`);
    for (const { j, s } of resumable) {
      if (s.kind === 'unchecked') write(`  "${j.target}": not checked against the live table: ${s.why}\n`);
      // A data error stops a resume at the same item (decide.ts refuses it): no command that would be refused.
      if (j.failure === 'data')
        write(`  "${j.target}": stopped on a data error, no --resume can pass it: delete the table, then restore a set that "dr validate" passes\n`);
      else write(`  "${j.target}": ${tableRestoreCommand(j, true, context)}\n`);
    }
  }
  if (ended.length) {
    write(`\nrestore journals with nothing to resume (checked against the live tables):\n`);
    for (const { j, s } of ended) write(`${noResumeLine(j, s, o.bucket, context)}\n`);
  }
  const buckets = open.filter((j) => j.tier === 'bucket');
  if (buckets.length) {
    write(`\nunfinished bucket restores (never verified: the bucket is not yet as it was; continue each with the command below it):\n`);
    for (const j of buckets) {
      const dest = j.engine === 'copy' ? `into "${j.target.split('/')[1]}"` : 'in place';
      write(`  "${j.source}" ${dest} to ${j.backupId}${j.prefix ? ` (prefix "${j.prefix}")` : ''}: ${journalProgress(j)}\n`);
      write(`    ${bucketResumeCommand(j, context)}\n`);
    }
  }
}
