/**
 * `dr restore-bucket <bucket> --at <time>`: a versioned data bucket (or a prefix) back to its
 * state at a time, in place or into another empty bucket; resumable and verified
 * (lambda/buckets/restore-bucket.ts; docs/bucket-recovery.md).
 *
 *   dr restore-bucket shop-media --at 2026-12-03T09:59:00Z --in-place --confirm
 *   dr restore-bucket shop-media --at 2026-12-03T09:59:00Z --to shop-media-restored
 *   dr restore-bucket shop-media --at ... --from-replica --to shop-media-restored --region <recovery region>
 *
 * Exit codes: 0 restored and verified (or a dry run), 1 refused or failed, 2 in place without
 * --confirm (nothing written, the plan printed), 130 stopped by Ctrl-C (one line says what is
 * left and the command that resumes).
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { dataReplicaBucketName } from '../lib/config-names';
import { bucketJournalTarget, restoreBucket, type RestoreBucketReport } from '../lambda/buckets/restore-bucket';
import { journalKey } from '../lambda/restore/journal';
import { countPlan } from '../lambda/buckets/plan';
import { readHorizon } from '../lambda/buckets/preflight';
import { BucketRestoreRefusedError, BucketVerifyError } from '../lambda/buckets/types';
import { action, contextFrom, UserError, type CommandContext } from './context';
import { bucketResumeCommand, formatBytes } from './list';
import { parseTime, TimeFormatError } from '../lambda/format/trusted-time';

interface Options {
  at: string;
  prefix?: string;
  to?: string;
  inPlace?: boolean;
  fromReplica?: boolean;
  dryRun?: boolean;
  confirm?: boolean;
  resume?: boolean;
  concurrency?: string;
  kmsKey?: string;
}

/**
 * `--at`: an ISO time, read by the shared strict parser (lambda/format/trusted-time.ts). Without
 * a zone (`2026-12-03T09:59`) it is read as UTC, and the command says so, since the operator's
 * clock and the bucket's may not agree.
 */
export function parseAt(v: string): { at: Date; note?: string } {
  try {
    const { time, assumedUtc } = parseTime('--at', v, { zone: 'utc' });
    return { at: time, note: assumedUtc ? `--at ${v} has no time zone: read as UTC, ${time.toISOString()}` : undefined };
  } catch (e) {
    if (e instanceof TimeFormatError) throw new UserError(e.message);
    throw e;
  }
}

function summary(r: RestoreBucketReport): string {
  const c = r.counts;
  const lines = [
    `${r.dryRun ? 'plan for' : 'restored'} "${r.bucket}"${r.mode === 'copy' ? ` into "${r.destination}"` : ' in place'} to ${r.at}:`,
    `  ${c.restore} objects ${r.dryRun ? 'to restore' : 'restored'} (${formatBytes(r.bytes)}), ${c.delete} ${r.dryRun ? 'to delete' : 'deleted'} (created after the time), ${c.untouched} untouched, ${c.unrestorable} unrestorable`,
  ];
  if (r.firstKeys)
    for (const [kind, keys] of Object.entries(r.firstKeys)) if (keys.length) lines.push(`  first ${kind}: ${keys.map((k) => `"${k}"`).join(', ')}`);
  for (const u of r.unrestorable.slice(0, 10)) lines.push(`  UNRESTORABLE "${u.key}": ${u.reason}`);
  if (c.unrestorable > 10) lines.push(`  ... and ${c.unrestorable - 10} more unrestorable keys (--json lists up to 100)`);
  if (r.verified) lines.push(`  verified: ${r.verified.checked} keys match their size and checksum at the time`);
  if (!r.dryRun) lines.push(`  ${r.seconds.toFixed(1)} s, ${r.objectsPerSecond.toFixed(0)} objects/s, run ${r.runs}`);
  return lines.join('\n');
}

/** A progress bar over the whole plan: its total comes from a counting pass that runs beside the copy. */
function progress(ctx: CommandContext, source: string, at: Date, inPlace: boolean, prefix?: string) {
  if (!ctx.interactive) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: 'restore-bucket [{bar}] {value}/{total} objects | {bytes} | ETA {eta_formatted}', hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(0, 0, { bytes: formatBytes(0) });
  void readHorizon(ctx.s3, source, prefix)
    .then((horizon) => countPlan(ctx.s3, source, { at, now: new Date(), inPlace, horizon }, { prefix, sample: 0 }))
    .then((p) => bar.setTotal(p.counts.restore + p.counts.delete + p.counts.untouched + p.counts.unrestorable))
    .catch(() => undefined);
  return {
    update: (objects: number, bytes: number) => bar.update(objects, { bytes: formatBytes(bytes) }),
    stop: () => bar.stop(),
  };
}

/**
 * Ctrl-C: what was copied stays, the journal stays unfinished and resumable (as after a kill: a
 * key copied by the stopped run is recognised, never copied twice), and one line says where the
 * journal is and the exact command that continues; exit 130 (128 + SIGINT). Before the first
 * write nothing is left to resume, and the line says so.
 */
function stopOnCtrlC(ctx: CommandContext, source: string, at: Date, o: Options, stopBar: () => void) {
  const destination = o.to ?? source;
  const target = bucketJournalTarget(destination, o.prefix);
  const where = o.to ? `the copy of "${source}" into "${o.to}"` : `the in-place restore of "${source}"`;
  const context = [
    ...(o.kmsKey ? ['--kms-key', o.kmsKey] : []),
    ...(o.concurrency ? ['--concurrency', o.concurrency] : []),
    '--bucket',
    ctx.bucket(),
    ...(ctx.options.region ? ['--region', ctx.options.region] : []),
    ...(ctx.options.profile ? ['--profile', ctx.options.profile] : []),
  ];
  const resume = bucketResumeCommand({ target, source, backupId: at.toISOString(), engine: o.to ? 'copy' : 'in-place', prefix: o.prefix }, context);
  let writing = false;
  const onSigint = () => {
    stopBar();
    ctx.info(
      writing
        ? `Ctrl-C: restore-bucket stopped; ${where}${o.prefix ? ` (prefix "${o.prefix}")` : ''} to ${at.toISOString()} is unfinished (never verified, "${destination}" is not yet as it was; journal s3://${ctx.bucket()}/${journalKey(target)}); resume with: ${resume}`
        : `Ctrl-C: restore-bucket stopped before its first write; "${destination}" is unchanged and there is nothing to resume`,
    );
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  return { firstWrite: () => (writing = true), dispose: () => process.off('SIGINT', onSigint) };
}

async function run(bucketArg: string, o: Options, command: Command): Promise<void> {
  const ctx = contextFrom(command);
  if (o.to && o.inPlace)
    throw new UserError('--to and --in-place exclude each other: copy into another bucket with --to, or rewrite the bucket itself with --in-place');
  if (!o.to && !o.inPlace) throw new UserError('say where the state goes: --to <empty bucket> (a copy), or --in-place --confirm (rewrite the bucket itself)');
  const { at, note } = parseAt(o.at);
  if (note) ctx.info(note);
  const source = o.fromReplica ? dataReplicaBucketName(ctx.config(), bucketArg) : bucketArg;
  if (o.fromReplica) ctx.info(`--from-replica: reading versions from "${source}" (the recovery region's replica of "${bucketArg}")`);
  const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1))
    throw new UserError(`--concurrency must be a whole number of 1 or more (got "${o.concurrency}")`);
  const bar = o.dryRun ? undefined : progress(ctx, source, at, !o.to, o.prefix);
  // Progress lines for scripts and the tests that stop a run at a known point (no terminal, no --json).
  let lastLine = 0;
  const ctrlC = stopOnCtrlC(ctx, source, at, o, () => bar?.stop());
  const report = await restoreBucket({
    s3: ctx.s3,
    bucket: source,
    at,
    prefix: o.prefix,
    to: o.to,
    confirm: o.confirm,
    dryRun: o.dryRun,
    resume: o.resume,
    journalBucket: ctx.bucket(),
    concurrency,
    kmsKeyId: o.kmsKey,
    onFirstWrite: ctrlC.firstWrite,
    onProgress: ({ objects, bytes }) => {
      bar?.update(objects, bytes);
      if (!ctx.interactive && !ctx.json && objects - lastLine >= 100) {
        lastLine = objects;
        ctx.info(`progress: ${objects} objects, ${formatBytes(bytes)}`);
      }
    },
  })
    .catch((e: unknown) => {
      if (e instanceof BucketRestoreRefusedError) throw new UserError(e.message, /needs --confirm/.test(e.message) ? 2 : 1);
      if (e instanceof BucketVerifyError) throw new UserError(e.message);
      throw e;
    })
    .finally(() => {
      ctrlC.dispose();
      bar?.stop();
    });
  if (ctx.json) ctx.printJson(report);
  else process.stdout.write(`${summary(report)}\n`);
}

/** Registers `dr restore-bucket`. */
export function registerRestoreBucketCommand(program: Command): void {
  program
    .command('restore-bucket <bucket>')
    .description(
      'bring a versioned S3 bucket (or a prefix) back to its state at a time: into an empty bucket (--to) or in place (--in-place --confirm); verified, resumable',
    )
    .requiredOption('--at <time>', "the state to bring back, ISO (2026-12-03T09:59:00Z; no zone = UTC); within the bucket's noncurrent-version window")
    .option('--prefix <prefix>', 'only keys under this prefix')
    .option('--to <bucket>', 'copy the state into this bucket, which must be empty')
    .option('--in-place', 'make the versions of the time the newest again, delete keys created since (needs --confirm)')
    .option('--from-replica', "read the versions from the recovery region's replica of <bucket> (pass --region <recovery region>)")
    .option('--dry-run', 'print counts, bytes and the first keys of each action; write nothing')
    .option('--confirm', 'really write in place')
    .option('--resume', 'continue an unfinished restore of the same bucket and time (from its journal in the backup bucket)')
    .option('--concurrency <n>', 'copies in flight (default 32)')
    .option('--kms-key <key>', "SSE-KMS key for the copies (default: the destination bucket's default key)")
    .action(action((bucket: string, opts: Options, command: Command) => run(bucket, opts, command)));
}
