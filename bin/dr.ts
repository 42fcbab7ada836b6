/**
 * The `dr` operator CLI: backup, list, validate, restore, pitr-restore, drill, plan, doctor.
 * One file per command in cli/; this file only assembles them.
 */
import type { Command } from 'commander';
import { baseProgram } from '../cli/program';
import { registerBackupCommand } from '../cli/backup';
import { registerListCommand } from '../cli/list';
import { registerValidateCommand } from '../cli/validate';
import { registerRestoreCommand } from '../cli/restore';
import { registerPitrRestoreCommand } from '../cli/pitr-restore';
import { registerDrillCommand } from '../cli/drill';
import { registerPlanCommand } from '../cli/plan';
import { registerDoctorCommand } from '../cli/doctor';
import { registerCatalogCommand } from '../cli/catalog';
import { registerRestoreBucketCommand } from '../cli/restore-bucket';
import { settleSdkNodeWarningBeforeActions } from '../cli/support/sdk-warning';

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = baseProgram();
  registerBackupCommand(program);
  registerListCommand(program);
  registerValidateCommand(program);
  registerRestoreCommand(program);
  registerPitrRestoreCommand(program);
  registerDrillCommand(program);
  registerPlanCommand(program);
  registerDoctorCommand(program);
  registerCatalogCommand(program);
  registerRestoreBucketCommand(program);
  // Before any SDK client exists: the SDK's Node warning once, up front, never mid-progress.
  return settleSdkNodeWarningBeforeActions(program);
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e) => {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exitCode = 1;
    });
}
