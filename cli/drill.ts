/**
 * `dr drill`: the disaster recovery drill.
 *
 *   dr drill --local [--items N] [--out DIR]
 *   dr drill --bucket <app>-drill-<a> --replica-bucket <app>-drill-<b> [--items N] [--out DIR]
 *
 * --local starts DynamoDB Local and s3rver, seeds the shop dataset, backs it up through the
 * scheduled backup handler, and runs the scenarios (table deleted, bad deploy, ransomware,
 * region lost, region lost mid-day on a simulated clock, uploads encrypted), each verified item
 * by item; --scenario <id...> runs some of them. Without --local the same scenarios run in the
 * recovery region of the config against scratch tables `<app>-drill-<time>-<table>` (deleted
 * afterwards) and two scratch buckets `<app>-drill-*` the operator names (what
 * `<app>-dr-operator-drill` grants). Exit code 1 when any scenario fails.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { action, contextFrom, UserError } from './context';
import { awsEnvironment } from './drill/environment';
import { DEFAULT_DRILL_ITEMS, runDrill, runLocalDrill, stderrLog } from './drill/run';
import { formatDuration, SCENARIO_IDS, type DrillReport, type ScenarioId } from './drill/report';

/** Options of `dr drill`. */
export interface DrillCommandOptions {
  readonly local?: boolean;
  readonly items?: string;
  readonly out?: string;
  readonly replicaBucket?: string;
  readonly scenario?: string[];
}

/** Parses --scenario (repeatable, or comma-separated): known scenario ids, in drill order. */
export function parseScenarios(v: string[] | undefined): ScenarioId[] | undefined {
  if (!v?.length) return undefined;
  const asked = v.flatMap((s) => s.split(',')).map((s) => s.trim());
  const unknown = asked.filter((s) => !(SCENARIO_IDS as readonly string[]).includes(s));
  if (unknown.length) throw new UserError(`--scenario ${unknown.join(', ')} is not a drill scenario: give one of ${SCENARIO_IDS.join(', ')}`);
  return SCENARIO_IDS.filter((id) => asked.includes(id));
}

/** Parses --items: a whole number of at least 100. */
export function parseItems(v: string | undefined): number {
  if (v === undefined) return DEFAULT_DRILL_ITEMS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100 || n > 10_000_000) throw new UserError(`--items must be a whole number from 100 to 10000000 (got "${v}")`);
  return n;
}

/** One line per scenario, for the terminal. */
export function summaryLines(r: DrillReport): string[] {
  const width = Math.max(34, ...r.scenarios.map((s) => s.title.length));
  return [
    `drill ${r.passed ? 'PASSED' : 'FAILED'} in ${formatDuration(r.durationMs)} (${r.dataset.totalItems} items)`,
    ...r.scenarios.map(
      (s) =>
        `  ${s.passed ? 'pass' : 'FAIL'}  ${s.title.padEnd(width)} RTO ${formatDuration(s.rtoMs).padStart(8)}  RPO ${formatDuration(s.rpoMs).padStart(8)}  ${String(s.items).padStart(7)} items  ${String(s.itemsPerSecond).padStart(6)} items/s${s.error ? `  (${s.error.split('\n')[0]})` : ''}`,
    ),
  ];
}

/** Registers `dr drill`. */
export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description('run the DR drill: seed, back up, break things six ways, recover, verify item by item; writes drill-report.json/.md')
    .option('--local', 'run against DynamoDB Local and s3rver started here (no AWS account needed)')
    .option('--items <n>', `approximate items over all tables (default ${DEFAULT_DRILL_ITEMS})`)
    .option('--out <dir>', 'folder for drill-report.json and drill-report.md (default: current folder)')
    .option('--scenario <id...>', `run only these scenarios (${SCENARIO_IDS.join(', ')}); default: all`)
    .option('--replica-bucket <name>', 'without --local: scratch bucket standing in for the replica (with --bucket, the scratch backup bucket)')
    .action(
      action(async (opts: DrillCommandOptions, command: Command) => {
        const ctx = contextFrom(command);
        const items = parseItems(opts.items);
        const scenarios = parseScenarios(opts.scenario);
        const outDir = path.resolve(opts.out ?? '.');
        const config = ctx.config();
        const log = stderrLog();
        let report: DrillReport;
        if (opts.local) {
          report = await runLocalDrill({ config, items, outDir, log, scenarios });
        } else {
          if (!ctx.options.bucket || !opts.replicaBucket) {
            throw new UserError(
              `dr drill without --local runs in the recovery region (${config.recovery.region}) and needs two scratch buckets there: --bucket ${config.appName}-drill-<a> --replica-bucket ${config.appName}-drill-<b> (never the object-locked backup buckets); or run "dr drill --local"`,
            );
          }
          const env = awsEnvironment({ config, bucket: ctx.options.bucket, replicaBucket: opts.replicaBucket, profile: ctx.options.profile });
          report = await runDrill({ config, env, items, outDir, log, scenarios });
        }
        if (ctx.json) ctx.printJson(report);
        else process.stdout.write(`${summaryLines(report).join('\n')}\n`);
        if (!report.passed) process.exitCode = 1;
      }),
    );
}
