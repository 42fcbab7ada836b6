/**
 * `dr validate`: reads a backup set back and checks it.
 *
 *   dr validate <backupId|latest> [--tables a,b] [--json]
 *   dr validate --chain <table,...> [--json]      (a chain of incremental exports: lambda/incremental/validate-chain.ts)
 *
 * Exit 0 when valid, 1 when not; every bad object is named. Drift against the previous
 * complete set is a warning only.
 */
import { Command } from 'commander';
import { assertBackupBucket, validateBackupSet, ValidationReport } from '../lambda/validate/validate';
import { validateChain, type ChainValidation } from '../lambda/incremental/validate-chain';
import { listCatalog } from '../lambda/store/catalog';
import { action, contextFrom, errorMessage, parseTablesOption, UserError } from './context';
import { fullSetPoints } from './list-ranges';

/** The human rendering of a report. */
export function renderValidation(r: ValidationReport): string {
  const lines = [`backup set ${r.tier}/${r.backupId}: ${r.valid ? 'VALID' : 'INVALID'} (${r.status}, checked in ${(r.durationMs / 1000).toFixed(1)} s)`];
  for (const t of r.tables) lines.push(`  ${t.table}: ${t.items} items in ${t.files} file(s), ${t.storedBytes} bytes read back`);
  for (const p of r.problems) lines.push(`  PROBLEM ${p.object ? `${p.object}: ` : ''}${p.message}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.previousBackupId) lines.push(`  compared with the previous complete set ${r.previousBackupId}`);
  return lines.join('\n');
}

/** Runs a core call, turning its errors (unknown id, bad bucket) into user errors. */
export async function asUserError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(errorMessage(e));
  }
}

/** The human rendering of a chain's validation. */
export function renderChainValidation(r: ChainValidation): string {
  const span = r.windows ? `${r.windows} windows ${r.from}..${r.to}, ${r.changes} changed keys, ${r.bytes} bytes read back` : 'no windows';
  return [
    `chain of ${r.table}: ${r.valid ? 'VALID' : 'INVALID'} (${span})`,
    ...r.problems.map((p) => `  PROBLEM ${p.window ? `window ${p.window}: ` : ''}${p.object ? `${p.object}: ` : ''}${p.message}`),
    ...(r.unreachable
      ? [
          `  not checked: ${r.unreachable.count} older window(s) ending before ${r.unreachable.before}, the oldest full set the chain follows (no restore reaches them; they expire with retention.windowDays)`,
        ]
      : []),
  ].join('\n');
}

/** Registers `dr validate`. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      "read a backup set back and check checksums, counts, DynamoDB JSON and schema; or, with --chain, tables' chains of incremental exports (exit 1 when invalid)",
    )
    .argument('[backupId]', 'backup id (see "dr list"), <tier>/<backupId>, "latest" or <tier>/latest (the newest complete set holding the --tables)')
    .option('--tables <names>', 'only these tables (comma-separated)')
    .option(
      '--chain <tables>',
      "check these tables' chains of incremental export windows instead of a set: contiguity, checksums and counts per window (comma-separated)",
    )
    .action(
      action(async (ref: string | undefined, opts: { tables?: string; chain?: string }, command: Command) => {
        const ctx = contextFrom(command);
        const bucket = ctx.bucket();
        const chains = parseTablesOption(opts.chain);
        if (chains && ref) throw new UserError(`--chain checks the tables' windows, not a set: leave out "${ref}", or validate the set without --chain`);
        if (!chains && !ref) throw new UserError('give the backup set to validate (see "dr list"), or --chain <tables> to check chains of incremental exports');
        if (chains) {
          const reports = await asUserError(async () => {
            await assertBackupBucket(ctx.s3, bucket);
            // Windows older than every full set they could follow are expiring, not damaged: checked from dr list's range start.
            const points = fullSetPoints((await listCatalog({ s3: ctx.s3, bucket })).sets);
            const out: ChainValidation[] = [];
            for (const table of chains) out.push(await validateChain({ s3: ctx.s3, bucket, table, fullSets: points.get(table) }));
            return out;
          });
          if (ctx.json) ctx.printJson(reports);
          else process.stdout.write(`${reports.map(renderChainValidation).join('\n')}\n`);
          if (!reports.every((r) => r.valid && r.windows > 0)) process.exitCode = 1;
          return;
        }
        const tables = parseTablesOption(opts.tables);
        const report = await asUserError(async () => {
          await assertBackupBucket(ctx.s3, bucket);
          return validateBackupSet({ s3: ctx.s3, bucket, ref: ref!, tables });
        });
        if (ctx.json) ctx.printJson(report);
        else process.stdout.write(`${renderValidation(report)}\n`);
        if (!report.valid) process.exitCode = 1;
      }),
    );
}
