/**
 * `dr restore`: restores a backup set into DynamoDB.
 *
 *   dr restore <backupId|latest> --confirm [--tables a,b] [--suffix S | --into-existing] [--resume] [--parallel-tables N]
 *              [--engine auto|import|bulk|write] [--dry-run] [--kms-key K] [--json]
 *   dr restore --from-export s3://bucket/prefix --target <table> --confirm
 *   dr restore --at <time|latest> --confirm [--tables a,b] [--suffix S | --into-existing] [--resume]   (full set + chain: restore-point.ts)
 *
 * Validates first and refuses an invalid or incomplete set. By default new tables
 * `<table><suffix>` (suffix `-restored`) are created from the saved schema; --into-existing
 * writes into the original tables, which must exist and be EMPTY. --from-export loads a bare
 * AWS native export folder (no metadata.json, no saved schema) into an existing empty table.
 * Tables restore --parallel-tables at a time (default 3), the largest first.
 * A target is "unfinished" (restores/<target>.json in the bucket, a tag where AWS has tags) until
 * it is verified; --resume continues an unfinished restore of the same set (a killed restore).
 * Without --confirm the plan is printed, nothing is written, and the exit code is 2.
 * --engine picks how each table is loaded (auto: DynamoDB import / bulk put above
 * restore.importThresholdBytes, BatchWriteItem below it and on a local endpoint); --dry-run
 * prints each table's engine, S3 prefix, exact request and estimated duration. Ctrl-C during an
 * import / bulk put asks DynamoDB to cancel (bulk put) or stops following (import: no API
 * cancels it) and says what state the target is in; --resume follows the same operation (same
 * ClientToken recorded in the journal) or, for the write engine, writes the data files not done.
 */
import { Command } from 'commander';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import {
  DEFAULT_PARALLEL_TABLES,
  DEFAULT_RESTORE_SUFFIX,
  ENGINE_CHOICES,
  planRestore,
  RestorePlanTable,
  restoreBackupSet,
  restoreFromExport,
  RestoreProgress,
} from '../lambda/restore/restore';
import { BULK_IAM_CAVEAT } from '../lambda/restore/engines/select';
import { dryRunRestore, renderDryRun } from '../lambda/restore/engines/dry-run';
import { assertBackupBucket } from '../lambda/validate/validate';
import { action, CommandContext, contextFrom, parseTablesOption, UserError } from './context';
import { renderTable } from './list';
import { asUserError } from './validate';
import { pointRestoreCommand } from './restore-point-command';
import { engineSettings } from './restore-engines';
import { journalKey } from '../lambda/restore/journal';

/** Exit code when --confirm is missing (the plan was printed, nothing written). */
export const EXIT_NOT_CONFIRMED = 2;

/** Options of `dr restore`. */
interface RestoreCommandOptions {
  readonly confirm?: boolean;
  readonly tables?: string;
  readonly suffix?: string;
  readonly intoExisting?: boolean;
  readonly fromExport?: string;
  readonly target?: string;
  readonly concurrency?: string;
  readonly parallelTables?: string;
  readonly engine?: string;
  readonly dryRun?: boolean;
  readonly resume?: boolean;
  readonly kmsKey?: string;
  readonly maxWriteUnits?: string;
  readonly performanceTier?: string;
  readonly pollSeconds?: string;
  readonly at?: string;
}

/** What {@link restoreProgress} returns. */
interface ProgressSink {
  readonly onProgress: (p: RestoreProgress) => void;
  readonly stop: () => void;
}

/**
 * Progress: on a terminal one bar per running table (items, items/s, ETA; tables restored at once
 * each have theirs), otherwise a line per table every 5 s plus its start and end, nothing with --json.
 */
export function restoreProgress(ctx: CommandContext): ProgressSink {
  if (ctx.json) return { onProgress: () => undefined, stop: () => undefined };
  return ctx.interactive ? barProgress() : lineProgress(ctx);
}

/** items/s of a table since its first batch (not since CreateTable). */
function rateTracker(): (p: RestoreProgress) => number {
  const started = new Map<string, number>();
  return (p) => {
    if (p.phase === 'write' && !started.has(p.target)) started.set(p.target, Date.now());
    return p.items / Math.max(0.001, (Date.now() - (started.get(p.target) ?? Date.now())) / 1000);
  };
}

function barProgress(): ProgressSink {
  const rate = rateTracker();
  const bars = new Map<string, SingleBar>();
  let multi: MultiBar | undefined;
  return {
    onProgress: (p) => {
      multi ??= new MultiBar(
        { format: ' {target} {bar} {value}/{total} items | {rate} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 50 },
        Presets.shades_classic,
      );
      let bar = bars.get(p.target);
      if (!bar) bars.set(p.target, (bar = multi.create(p.total, 0, { target: p.target, rate: 0 })));
      bar.update(p.items, { target: p.phase === 'done' ? `${p.target} (verified)` : p.target, rate: operationDetail(p) ?? `${rate(p).toFixed(0)} items/s` });
    },
    stop: () => multi?.stop(),
  };
}

/** Import / bulk put progress as DescribeImport / DescribeBulkOperation report it. */
export function operationDetail(p: RestoreProgress): string | undefined {
  const op = p.operation;
  if (!op) return undefined;
  return `${op.engine} ${op.status}, ${(op.processedBytes / 1024 / 1024).toFixed(1)} MiB processed, ${op.errorCount} errors`;
}

function lineProgress(ctx: CommandContext): ProgressSink {
  const rate = rateTracker();
  const last = new Map<string, number>();
  return {
    onProgress: (p) => {
      if (p.phase === 'create') return ctx.info(`${p.target}: started (${p.total} items)`);
      if (p.phase === 'done') return ctx.info(`${p.target}: restored, ${p.items} items verified`);
      // Until 'done' the target is unfinished (its journal says so); the lines never call it restored.
      const r = rate(p);
      const now = Date.now();
      if (now - (last.get(p.target) ?? 0) < 5000 && p.items < p.total) return;
      last.set(p.target, now);
      const eta = r > 0 ? Math.ceil((p.total - p.items) / r) : 0;
      const detail = operationDetail(p);
      ctx.info(`${p.target}: ${p.items}/${p.total} items, ${detail ?? `${r.toFixed(0)} items/s`}, ETA ${eta} s`);
    },
    stop: () => undefined,
  };
}

/** Splits an `s3://bucket/prefix` URL. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new UserError(`--from-export must be an s3:// URL such as s3://my-bucket/exports/orders (got "${url}")`);
  return { bucket: m[1], prefix: m[2].replace(/\/+$/, '') };
}

async function fromExport(ctx: CommandContext, opts: RestoreCommandOptions): Promise<void> {
  if (!opts.target)
    throw new UserError("--from-export needs --target <table>: an existing, empty table with the source's keys (a native export carries no schema)");
  const { bucket, prefix } = parseS3Url(opts.fromExport!);
  const progress = restoreProgress(ctx);
  const report = await asUserError(() =>
    restoreFromExport({
      dynamodb: ctx.dynamodb,
      s3: ctx.s3,
      bucket,
      prefix,
      target: opts.target!,
      write: Boolean(opts.confirm),
      concurrency: concurrency(opts),
      onProgress: progress.onProgress,
    }),
  ).finally(() => progress.stop());
  if (ctx.json) ctx.printJson(report);
  else
    ctx.info(
      report.written
        ? `loaded ${report.verifiedItems} items (verified) from s3://${bucket}/${report.exportFolder} into "${report.target}"`
        : `would load ${report.items} items from s3://${bucket}/${report.exportFolder} (exported ${report.exportTime}) into "${report.target}" (empty: yes)`,
    );
  if (!opts.confirm) notConfirmed(ctx);
}

function concurrency(opts: RestoreCommandOptions): number | undefined {
  if (opts.concurrency === undefined) return undefined;
  const n = Number(opts.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`--concurrency must be a whole number from 1 to 64 (got "${opts.concurrency}")`);
  return n;
}

/** `--parallel-tables`, checked here so the message names the flag. */
export function parseParallelTables(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1)
    throw new UserError(
      `--parallel-tables must be a whole number of 1 or more (got "${value}"): it is how many tables restore at once; use 1 for one after another, or leave it out for ${DEFAULT_PARALLEL_TABLES}`,
    );
  return n;
}

/**
 * Ctrl-C during a restore: the first asks DynamoDB to cancel the bulk puts (imports cannot be
 * cancelled) and lets the restore report what state each target is in; a second one exits.
 */
function cancelOnCtrlC(ctx: CommandContext): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    ctx.info('Ctrl-C: asking DynamoDB to cancel the running bulk put(s); imports cannot be cancelled and keep running (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/**
 * Ctrl-C during a write-engine restore: what was written stays (every file done is in the target's
 * journal, which stays unfinished and resumable, as after a kill), one line says which targets and
 * journals are left and the exact command that resumes, and the exit code is 130 (128 + SIGINT).
 */
function stopOnCtrlC(
  ctx: CommandContext,
  bucket: string,
  plan: { tier: string; backupId: string; tables: readonly RestorePlanTable[] },
  intoExisting?: boolean,
) {
  const t = plan.tables;
  const first = t[0];
  const suffix = !intoExisting && first && first.target.startsWith(first.source) ? first.target.slice(first.source.length) : undefined;
  const flags = intoExisting ? ' --into-existing' : suffix !== undefined && suffix !== DEFAULT_RESTORE_SUFFIX ? ` --suffix ${JSON.stringify(suffix)}` : '';
  const onSigint = () => {
    const left = t.map((x) => `"${x.target}" (journal s3://${bucket}/${journalKey(x.target)})`).join(', ');
    ctx.info(
      `Ctrl-C: restore stopped; ${left} unfinished (never verified, not restored); resume with: dr restore ${plan.tier}/${plan.backupId} --resume --tables ${t.map((x) => x.source).join(',')}${flags} --confirm`,
    );
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  return { signal: undefined, dispose: () => process.off('SIGINT', onSigint) };
}

/** The plan's ACTION column: `create`, `into-existing`, or what --resume continues. */
function planAction(t: RestorePlanTable): string {
  if (!t.resume) return t.action;
  if (t.resume.import) return t.resume.import.status === 'COMPLETED' ? 'verify the completed import' : 'follow the running import';
  if (t.engine !== 'write') return `resume unfinished (same ${t.engine} operation)`;
  return t.resume.parts
    ? `resume unfinished (${t.resume.partsDone}/${t.resume.parts} files, ${t.resume.itemsDone} items done)`
    : 'resume unfinished (rewrite all)';
}

function notConfirmed(ctx: CommandContext): void {
  ctx.info('nothing written: add --confirm to run this restore');
  process.exitCode = EXIT_NOT_CONFIRMED;
}

/** Registers `dr restore`. */
export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description(
      'restore a backup set into DynamoDB (cheap checks first, each data file checked as it is written; a target is unfinished until verified; new tables <table><suffix> unless --into-existing)',
    )
    .argument('[backupId]', 'backup id (see "dr list"), <tier>/<backupId>, "latest" or <tier>/latest (the newest complete set holding the --tables)')
    .option('--confirm', 'really write (without it: print the plan, exit 2)')
    .option('--tables <names>', 'only these tables (comma-separated)')
    .option('--suffix <suffix>', `suffix of the new tables (default: ${DEFAULT_RESTORE_SUFFIX})`)
    .option('--into-existing', 'write into the original tables, which must exist and be empty')
    .option(
      '--resume',
      'continue an unfinished restore of this set (killed or stopped): write: skip the data files done, write the rest; import / bulk: the same ClientToken finds the operation again; then verify',
    )
    .option('--from-export <s3url>', 'load a bare AWS native export folder (no metadata.json) instead of a backup set')
    .option('--target <table>', 'with --from-export: the existing, empty table to load')
    .option('--concurrency <n>', 'BatchWriteItem calls in flight per table (default 16)')
    .option('--parallel-tables <n>', `tables restored at once, largest first (default ${DEFAULT_PARALLEL_TABLES}; 1 = one after another)`)
    .option(
      '--engine <engine>',
      `how each table is loaded: ${ENGINE_CHOICES.join(' | ')}. import = DynamoDB ImportTable (new table, no write capacity used); bulk = DynamoDB StartBulkPutItems (existing table, with --into-existing); write = BatchWriteItem from here; auto (default) = import / bulk above restore.importThresholdBytes (default 1 GiB), write below it and on a local endpoint`,
    )
    .option('--dry-run', 'print per table the engine, items, bytes, S3 prefix, the exact request and a duration estimate; send nothing that writes')
    .option('--kms-key <key>', 'KMS key for tables created by import (and the bulk put error report); default: the recovery key in the recovery region')
    .option('--max-write-units <n>', 'bulk put rate cap, write request units per second (at least 1024; default 1024)')
    .option('--performance-tier <tier>', 'bulk put tier: STANDARD (default) or ACCELERATED')
    .option('--poll-seconds <n>', 'how often to ask DynamoDB how an import / bulk put is going (default 10)')
    .option(
      '--at <time>',
      'every table as of one instant (ISO 8601 with Z or an offset, or "latest"): the newest full set before it, then its chain of incremental export windows',
    )
    .action(
      action(async (ref: string | undefined, opts: RestoreCommandOptions, command: Command) => {
        const ctx = contextFrom(command);
        if (opts.fromExport) return fromExport(ctx, opts);
        if (opts.intoExisting && opts.suffix !== undefined) throw new UserError('--suffix and --into-existing exclude each other: choose one');
        if (opts.at !== undefined) return pointRestoreCommand(ctx, { ...opts, at: opts.at }, ref, engineSettings(ctx, opts));
        if (!ref) throw new UserError('which backup set? pass a backup id from "dr list", or "latest" (or --at <time>, or --from-export s3://bucket/prefix)');
        const bucket = ctx.bucket();
        const tables = parseTablesOption(opts.tables);
        const base = {
          dynamodb: ctx.dynamodb,
          s3: ctx.s3,
          bucket,
          ref,
          tables,
          suffix: opts.suffix,
          intoExisting: opts.intoExisting,
          concurrency: concurrency(opts),
          parallelTables: parseParallelTables(opts.parallelTables),
          engines: engineSettings(ctx, opts),
          resume: Boolean(opts.resume),
        };
        if (base.engines.engine === 'bulk') ctx.info(`--engine bulk: ${BULK_IAM_CAVEAT}`);
        if (opts.dryRun) {
          const dry = await asUserError(async () => {
            await assertBackupBucket(ctx.s3, bucket);
            return dryRunRestore(base);
          });
          if (ctx.json) return ctx.printJson({ dryRun: true, ...dry });
          process.stdout.write(
            `dry run of backup set ${dry.plan.tier}/${dry.plan.backupId} (data as of ${dry.plan.exportTime}); nothing sent that writes:\n\n`,
          );
          process.stdout.write(renderDryRun(dry.tables));
          return;
        }
        const plan = await asUserError(async () => {
          await assertBackupBucket(ctx.s3, bucket);
          return planRestore(base);
        });
        if (!opts.confirm) {
          if (ctx.json) ctx.printJson({ confirmed: false, plan });
          else {
            process.stdout.write(`restore plan for backup set ${plan.tier}/${plan.backupId} (data as of ${plan.exportTime}):\n`);
            process.stdout.write(
              `${renderTable(
                ['SOURCE', 'TARGET', 'ITEMS', 'ACTION', 'ENGINE'],
                plan.tables.map((t) => [t.source, t.target, String(t.items), planAction(t), `${t.engine} (${t.engineReason})`]),
              )}\n`,
            );
          }
          return notConfirmed(ctx);
        }
        const parallel = Math.min(base.parallelTables ?? DEFAULT_PARALLEL_TABLES, plan.tables.length);
        if (!ctx.json)
          ctx.info(
            `checking backup set ${plan.tier}/${plan.backupId}, then restoring ${plan.tables.length} table(s), ${parallel} at a time (each data file checked as it is written)`,
          );
        const progress = restoreProgress(ctx);
        const ctrlC = plan.tables.some((t) => t.engine !== 'write') ? cancelOnCtrlC(ctx) : stopOnCtrlC(ctx, bucket, plan, opts.intoExisting);
        const engines = { ...base.engines, signal: ctrlC?.signal };
        const report = await asUserError(() => restoreBackupSet({ ...base, engines, onProgress: progress.onProgress })).finally(() => {
          progress.stop();
          ctrlC?.dispose();
        });
        if (ctx.json) return ctx.printJson({ confirmed: true, ...report });
        for (const w of report.warnings) ctx.info(`warning: ${w}`);
        const sec = (ms: number) => (ms / 1000).toFixed(1);
        process.stdout.write(
          `restored backup set ${report.tier}/${report.backupId} (data as of ${report.exportTime}) in ${sec(report.durationMs)} s (validation ${sec(report.validateMs)} s):\n`,
        );
        process.stdout.write(
          `${renderTable(
            ['SOURCE', 'TARGET', 'ENGINE', 'ITEMS (VERIFIED)', 'CREATE S', 'LOAD S', 'VERIFY S', 'TOTAL S'],
            report.tables.map((t) => [
              t.source,
              t.target,
              t.engine,
              String(t.verifiedItems),
              sec(t.createMs),
              sec(t.writeMs),
              sec(t.verifyMs),
              sec(t.durationMs),
            ]),
          )}\n`,
        );
      }),
    );
}
