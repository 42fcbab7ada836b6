/**
 * The `dr` program with its global options and no commands: bin/dr.ts adds every command, the
 * tests add the ones they exercise.
 */
import { Command } from 'commander';

/** `dr` with the global options every command reads (see cli/context.ts). */
export function baseProgram(): Command {
  return new Command('dr')
    .description('dr-stack operator CLI: back up, list, validate and restore DynamoDB backup sets; run drills; render the DR plan')
    .option('--config <file>', 'dr-stack config file', './dr.config.json')
    .option('--region <region>', 'AWS region (default: AWS_REGION / profile)')
    .option('--profile <name>', 'AWS named profile')
    .option('--bucket <name>', 'backup bucket (default: DR_BACKUP_BUCKET)')
    .option('--json', 'machine-readable output on stdout, nothing else')
    .showHelpAfterError();
}
