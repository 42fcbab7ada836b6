/**
 * `dr plan`: renders the disaster recovery plan from dr.config.json and the last drill report.
 *
 *   dr plan [--out DR-PLAN.md] [--report drill-report.json]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { action, contextFrom, UserError } from './context';
import { readDrillReport } from './drill/report';
import { renderPlan } from './plan/render';

/** Registers `dr plan`. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('render the DR plan (targets vs measured, copies, paging, runbooks, checklist) from the config and the last drill report')
    .option('--out <file>', 'where to write the plan ("-" for stdout)', 'DR-PLAN.md')
    .option('--report <file>', 'drill report to take measured RTO/RPO from', 'drill-report.json')
    .action(
      action(async (opts: { out: string; report: string }, command: Command) => {
        const ctx = contextFrom(command);
        const config = ctx.config();
        let report;
        try {
          report = readDrillReport(path.resolve(opts.report));
        } catch (e) {
          throw new UserError((e as Error).message);
        }
        if (!report) ctx.info(`no drill report at ${opts.report}: measured columns say "not drilled" (run "npm run drill" first)`);
        const text = renderPlan(config, report, ctx.options.config.replace(/^\.\//, ''));
        if (opts.out === '-') {
          process.stdout.write(text);
          return;
        }
        fs.writeFileSync(path.resolve(opts.out), text);
        if (ctx.json) ctx.printJson({ out: path.resolve(opts.out), drillReport: report ? path.resolve(opts.report) : null });
        else ctx.info(`wrote ${opts.out}`);
      }),
    );
}
