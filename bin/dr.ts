/**
 * The `dr` operator CLI: backup, list, validate, restore, pitr-restore, drill, plan.
 * One file per command in cli/; this file only assembles them.
 */
import { Command } from 'commander';
import { registerBackupCommand } from '../cli/backup';
import { registerListCommand } from '../cli/list';
import { registerValidateCommand } from '../cli/validate';
import { registerRestoreCommand } from '../cli/restore';
import { registerPitrRestoreCommand } from '../cli/pitr-restore';
import { registerDrillCommand } from '../cli/drill';
import { registerPlanCommand } from '../cli/plan';

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('dr')
    .description('dr-stack operator CLI: back up, list, validate and restore DynamoDB backup sets; run drills; render the DR plan')
    .option('--config <file>', 'dr-stack config file', './dr.config.json')
    .option('--region <region>', 'AWS region (default: AWS_REGION / profile)')
    .option('--profile <name>', 'AWS named profile')
    .option('--bucket <name>', 'backup bucket (default: DR_BACKUP_BUCKET)')
    .option('--json', 'machine-readable output on stdout, nothing else')
    .showHelpAfterError();
  registerBackupCommand(program);
  registerListCommand(program);
  registerValidateCommand(program);
  registerRestoreCommand(program);
  registerPitrRestoreCommand(program);
  registerDrillCommand(program);
  registerPlanCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e) => {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exitCode = 1;
    });
}
