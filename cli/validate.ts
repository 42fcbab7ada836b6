/**
 * `dr validate`: reads a backup set back and checks it.
 *
 *   dr validate <backupId|latest> [--tables a,b] [--json]
 *
 * Exit 0 when valid, 1 when not; every bad object is named. Drift against the previous
 * complete set is a warning only.
 */
import { Command } from 'commander';
import { assertBackupBucket, validateBackupSet, ValidationReport } from '../lambda/validate/validate';
import { action, contextFrom, errorMessage, parseTablesOption, UserError } from './context';

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

/** Registers `dr validate`. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('read a backup set back and check checksums, counts, DynamoDB JSON and schema (exit 1 when invalid)')
    .argument('<backupId>', 'backup id (see "dr list"), <tier>/<backupId>, "latest" or <tier>/latest (the newest complete set holding the --tables)')
    .option('--tables <names>', 'only these tables (comma-separated)')
    .action(
      action(async (ref: string, opts: { tables?: string }, command: Command) => {
        const ctx = contextFrom(command);
        const bucket = ctx.bucket();
        const tables = parseTablesOption(opts.tables);
        const report = await asUserError(async () => {
          await assertBackupBucket(ctx.s3, bucket);
          return validateBackupSet({ s3: ctx.s3, bucket, ref, tables });
        });
        if (ctx.json) ctx.printJson(report);
        else process.stdout.write(`${renderValidation(report)}\n`);
        if (!report.valid) process.exitCode = 1;
      }),
    );
}
