/**
 * `dr list`: the backup sets in the backup bucket, newest first.
 *
 *   dr list [--tier daily|weekly|monthly|adhoc] [--before ISO] [--scan] [--json]
 *
 * Without --tier and --before it also shows each table's restorable range (list-ranges.ts): the
 * oldest full set to the furthest point the chain of incremental exports reaches, gaps named.
 *
 * Sets are found through the catalog (one small entry per set; see lambda/store/catalog.ts), so
 * the cost grows with sets, not files. A DAMAGED set (metadata.json or its catalog entry cannot
 * be read, parsed or trusted) is listed with the reason and the fix, and never hides the others.
 *
 * `--before` answers "what was the last good backup before the breach?" (ransomware, a bad
 * deploy): only sets whose data was read strictly before that time (their recovery point,
 * trusted-time.ts) are listed; a time without a zone is read as UTC and said so.
 */
import { Command, Option } from 'commander';
import { BackupSetSummary, damagedSetFix, listCatalog } from '../lambda/store/catalog';
import { TIERS, Tier } from '../lambda/format/backup-set';
import { parseTime as parseIsoTime, recoveryPoint } from '../lambda/format/trusted-time';
import { assertBackupBucket } from '../lambda/validate/validate';
import { action, contextFrom, errorMessage, UserError } from './context';
import { renderRanges, restorableRanges } from './list-ranges';
import { printUnfinishedRestores } from './list-restores';

export { bucketResumeCommand, shellWord } from './list-restores';

/** One row of `dr list` (also the --json shape). */
export interface ListRow {
  readonly backupId: string;
  readonly tier: Tier;
  /** The slot's time (the set's identity). */
  readonly time: string;
  /** When the set's data was read (its recovery point), for a complete set. */
  readonly dataAsOf: string | null;
  readonly status: BackupSetSummary['status'];
  readonly tables: string[];
  readonly records: number | null;
  readonly bytes: number | null;
  /** Why a set failed, is damaged or incomplete. */
  readonly reason?: string;
  /** For a damaged set: the object that cannot be trusted. */
  readonly object?: string;
  /** `catalog` or `scan` (a set written before the catalog existed, or with no entry). */
  readonly foundBy: BackupSetSummary['foundBy'];
}

/** The row of a set. */
export function listRow(s: BackupSetSummary): ListRow {
  return {
    backupId: s.backupId,
    tier: s.tier,
    time: s.startedAt.toISOString(),
    dataAsOf: s.summary ? recoveryPoint(s.summary).toISOString() : null,
    status: s.status,
    tables: s.summary?.tables ?? [],
    records: s.summary?.totalRecords ?? null,
    bytes: s.summary?.totalBytes ?? null,
    ...(s.failure ? { reason: s.failure.reason } : {}),
    ...(s.damage ? { reason: s.damage.reason, object: s.damage.object } : {}),
    ...(s.note ? { reason: s.note } : {}),
    foundBy: s.foundBy,
  };
}

/** Human size. */
export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/**
 * Parses an operator's time option with trusted time's one parser (lambda/format/trusted-time.ts):
 * strict (no 02-30, no 24:00), and a time without a zone is read as UTC, said on stderr, so the
 * same command answers the same on every laptop. The error names the option.
 */
export function parseTime(option: string, v: string, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Date {
  let parsed;
  try {
    parsed = parseIsoTime(option, v);
  } catch (e) {
    throw new UserError(errorMessage(e));
  }
  if (parsed.assumedUtc) say(`${option} ${v} has no zone: read as UTC, ${parsed.time.toISOString()} (add Z or an offset such as +09:00 to say so)`);
  return parsed.time;
}

/** Renders rows as an aligned text table. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Registers `dr list`. */
export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list backup sets (tier, time, tables, records, size, status), newest first')
    .addOption(new Option('--tier <tier>', 'only this tier').choices([...TIERS]))
    .option('--before <iso>', 'only sets whose data was read before this time (the last good backup before a breach); no zone = UTC')
    .option('--scan', 'also list every file to find sets without a catalog entry (runs killed before they wrote one); slow: grows with files')
    .action(
      action(async (opts: { tier?: Tier; before?: string; scan?: boolean }, command: Command) => {
        const ctx = contextFrom(command);
        const before = opts.before ? parseTime('--before', opts.before) : undefined;
        const bucket = ctx.bucket();
        await assertBackupBucket(ctx.s3, bucket).catch((e) => {
          throw new UserError(errorMessage(e));
        });
        const listing = await listCatalog({ s3: ctx.s3, bucket, tier: opts.tier, before, fullScan: opts.scan });
        const rows = listing.sets.map(listRow);
        const region = await ctx.dynamodb.config.region().catch(() => ctx.options.region);
        const restores = { s3: ctx.s3, dynamodb: ctx.dynamodb, bucket, region, regionOption: ctx.options.region };
        if (ctx.json) return ctx.printJson(rows);
        if (rows.length === 0) {
          process.stdout.write(
            `no backup sets${opts.tier ? ` of tier ${opts.tier}` : ''}${before ? ` before ${before.toISOString()}` : ''} in s3://${bucket}\n`,
          );
          return printUnfinishedRestores(restores, renderTable);
        }
        const body = rows.map((r) => [
          r.backupId,
          r.tier,
          r.time,
          r.dataAsOf ?? '-',
          r.status === 'damaged' ? 'DAMAGED' : r.status,
          String(r.tables.length),
          r.records === null ? '-' : String(r.records),
          formatBytes(r.bytes),
        ]);
        process.stdout.write(`${renderTable(['BACKUP ID', 'TIER', 'SLOT', 'DATA AS OF', 'STATUS', 'TABLES', 'RECORDS', 'SIZE'], body)}\n`);
        process.stdout.write(notes(listing.sets, listing.scannedSets, bucket));
        // The ranges belong to the whole bucket: shown when the listing is not narrowed.
        if (!opts.tier && !before) process.stdout.write(renderRanges(await restorableRanges(ctx.s3, bucket, listing.sets), renderTable));
        await printUnfinishedRestores(restores, renderTable);
        if (before) {
          const good = rows.find((r) => r.status === 'complete');
          process.stdout.write(
            good
              ? `\nlast complete set before ${before.toISOString()}: ${good.tier}/${good.backupId} (validate it: dr validate ${good.backupId})\n`
              : `\nno complete set before ${before.toISOString()}\n`,
          );
        }
      }),
    );
}

/** Lines under the table: each damaged set with its reason and fix, and sets found by scanning files. */
export function notes(sets: readonly BackupSetSummary[], scannedSets: number, bucket: string): string {
  const out: string[] = [];
  for (const s of sets.filter((x) => x.status === 'damaged'))
    out.push(
      `DAMAGED ${s.tier}/${s.backupId}: ${s.damage?.object ?? ''}: ${s.damage?.reason ?? 'unknown'}. Skipped by "latest". Fix: ${damagedSetFix(s, bucket)}.`,
    );
  if (scannedSets > 0)
    out.push(
      `${scannedSets} set(s) have no catalog entry (written before the catalog existed, or a run that did not finish) and were found by listing their files: ` +
        'that costs one request per 1,000 files; they leave the scan as they expire.',
    );
  return out.length ? `\n${out.join('\n')}\n` : '';
}
