/**
 * `dr pitr-restore`: every chosen table restored to ONE point in time (DynamoDB PITR).
 *
 *   dr pitr-restore --time ISO --confirm [--tables a,b] [--suffix S] [--json]
 *
 * Tables default to the config's tables. New tables are `<table><suffix>` (default
 * `-restored`); PITR, TTL and deletion protection are put back on them. Without --confirm the
 * windows are checked and the plan printed, nothing is started, and the exit code is 2.
 */
import { Command } from 'commander';
import { DEFAULT_RESTORE_SUFFIX } from '../lambda/restore/restore';
import { pitrRestore, planPitrRestore } from '../lambda/restore/pitr';
import { action, contextFrom, parseTablesOption, UserError } from './context';
import { parseTime, renderTable } from './list';
import { EXIT_NOT_CONFIRMED } from './restore';
import { asUserError } from './validate';

/** Registers `dr pitr-restore`. */
export function registerPitrRestoreCommand(program: Command): void {
  program
    .command('pitr-restore')
    .description('restore tables to one point in time with DynamoDB PITR, into new tables <table><suffix>')
    .requiredOption('--time <iso>', "the recovery point, e.g. 2026-11-23T02:15:00Z (inside every table's PITR window)")
    .option('--confirm', 'really start the restores (without it: print the plan, exit 2)')
    .option('--tables <names>', "comma-separated tables (default: the config's tables)")
    .option('--suffix <suffix>', `suffix of the new tables (default: ${DEFAULT_RESTORE_SUFFIX})`)
    .action(
      action(async (opts: { time: string; confirm?: boolean; tables?: string; suffix?: string }, command: Command) => {
        const ctx = contextFrom(command);
        const time = parseTime('--time', opts.time);
        const tables = parseTablesOption(opts.tables) ?? ctx.config().tables.map((t) => t.name);
        if (tables.length === 0) throw new UserError('--tables is empty: give at least one table name');
        const base = { dynamodb: ctx.dynamodb, tables, time, suffix: opts.suffix };
        if (!opts.confirm) {
          const plan = await asUserError(() => planPitrRestore(base));
          if (ctx.json) ctx.printJson({ confirmed: false, time: time.toISOString(), tables: plan });
          else
            process.stdout.write(
              `PITR restore plan to ${time.toISOString()}:\n${renderTable(
                ['SOURCE', 'TARGET', 'WINDOW'],
                plan.map((p) => [p.source, p.target, `${p.earliest} .. ${p.latest}`]),
              )}\n`,
            );
          ctx.info('nothing started: add --confirm to run this restore');
          process.exitCode = EXIT_NOT_CONFIRMED;
          return;
        }
        const report = await asUserError(() => pitrRestore({ ...base, onStatus: (m) => !ctx.json && ctx.info(m) }));
        if (ctx.json) return ctx.printJson({ confirmed: true, ...report });
        process.stdout.write(
          `restored ${report.tables.length} table(s) to ${report.time}:\n${renderTable(
            ['SOURCE', 'NEW TABLE'],
            report.tables.map((t) => [t.source, t.target]),
          )}\n`,
        );
      }),
    );
}
