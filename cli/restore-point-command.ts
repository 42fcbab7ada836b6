/**
 * The CLI side of `dr restore --at <time>` (the restore itself: restore-point.ts): reading the
 * time, choosing the tables, printing the plan (without --confirm nothing is written, exit 2) and
 * the windows each table took.
 */
import type { EngineSettings } from '../lambda/restore/restore';
import { assertBackupBucket } from '../lambda/validate/validate';
import type { CommandContext } from './context';
import { parseTablesOption, UserError } from './context';
import { parseTime, renderTable } from './list';
import { latestRestorablePoint, planPointRestore, PointRefusedError, restoreToPoint } from './restore-point';

/** The flags `--at` uses. */
export interface PointCommandOptions {
  readonly at: string;
  readonly tables?: string;
  readonly suffix?: string;
  readonly intoExisting?: boolean;
  readonly resume?: boolean;
  readonly confirm?: boolean;
}

/** Reads `--at`: an ISO time (zone-less: UTC), or `latest` (the last time every table's chain reaches). */
export async function resolveAt(ctx: CommandContext, value: string, tables: readonly string[]): Promise<Date> {
  // Operator times are read one way everywhere (trusted-time): a zone-less one as UTC, and said
  // so; impossible dates (02-30, 24:00) refused, never rolled over.
  if (value !== 'latest') return parseTime('--at', value);
  const bucket = ctx.bucket();
  const point = await latestRestorablePoint(ctx.s3, bucket, tables);
  if (!point) throw new UserError(`--at latest: no complete full set holding ${tables.join(', ')} in s3://${bucket}; run "dr list"`);
  return point;
}

/** `dr restore --at`. */
export async function pointRestoreCommand(ctx: CommandContext, opts: PointCommandOptions, ref: string | undefined, engines: EngineSettings): Promise<void> {
  if (ref) throw new UserError(`--at picks the full set itself (the newest before the time): leave out "${ref}", or restore that set without --at`);
  const tables = parseTablesOption(opts.tables) ?? ctx.config().tables.map((t) => t.name);
  const bucket = ctx.bucket();
  await assertBackupBucket(ctx.s3, bucket);
  const at = await resolveAt(ctx, opts.at, tables);
  const refuse = (e: unknown) => {
    throw e instanceof PointRefusedError ? new UserError(`nothing was written: ${e.message}`) : e;
  };
  const plan = await planPointRestore({ s3: ctx.s3, bucket, tables, at }).catch(refuse);
  const rows = tables.map((t) => {
    const w = plan.windows[t];
    return [t, String(w.length), w[0]?.from.toISOString() ?? '-', w.at(-1)?.to.toISOString() ?? '-'];
  });
  if (!opts.confirm) {
    if (ctx.json) return ctx.printJson({ confirmed: false, plan });
    process.stdout.write(
      `restore of ${tables.length} table(s) as of ${at.toISOString()}: full set ${plan.base.tier}/${plan.base.backupId} (data as of ${plan.base.exportTime.toISOString()}), then:\n`,
    );
    process.stdout.write(`${renderTable(['TABLE', 'WINDOWS', 'FROM', 'TO'], rows)}\n`);
    ctx.info('nothing written: add --confirm to run this restore');
    process.exitCode = 2; // EXIT_NOT_CONFIRMED, as every restore without --confirm
    return;
  }
  const report = await restoreToPoint({
    dynamodb: ctx.dynamodb,
    s3: ctx.s3,
    bucket,
    tables,
    at,
    suffix: opts.suffix,
    intoExisting: opts.intoExisting,
    resume: Boolean(opts.resume),
    engines,
  }).catch(refuse);
  if (ctx.json) return ctx.printJson({ confirmed: true, ...report });
  process.stdout.write(`restored ${tables.length} table(s) as of ${at.toISOString()} from ${plan.base.tier}/${plan.base.backupId} and its chain:\n`);
  process.stdout.write(
    `${renderTable(
      ['SOURCE', 'TARGET', 'WINDOWS', 'PUTS', 'DELETES', 'SKIPPED (AFTER --at)'],
      Object.entries(report.tables).map(([t, r]) => [t, r.target, String(r.windows.length), String(r.puts), String(r.deletes), String(r.skipped)]),
    )}\n`,
  );
}
