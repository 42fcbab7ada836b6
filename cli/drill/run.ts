/**
 * The drill, as plain functions (the `dr drill` command and the tests call these):
 * create the config's tables, seed the shop dataset, back up through the scheduled backup
 * handler, run the scenarios, write the report.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DrConfig } from '../../lib/config';
import { replicaKeyAlias, targetsFor, worstCaseRpoMinutes } from '../../lib/config';
import { resolveBackupSet } from '../../lambda/store/catalog';
import type { EngineSettings } from '../../lambda/restore/engines/engine-types';
import { writeItems } from '../../lambda/restore/restore';
import { DrillEnvironment, createConfigTable, localEnvironment, LocalEnvironmentOptions } from './environment';
import { SHOP_TABLES, ShopTable, countShop, generateShop } from './dataset';
import { DrillReport, SCENARIO_IDS, ScenarioId, ScenarioResult, writeDrillReport } from './report';
import { DrillFaults, DrillTable, SCENARIOS, ScenarioContext } from './scenarios';
import { uploadsEncrypted } from './uploads-scenario';
import { regionLostMidday } from './midday-scenario';
import { TableSnapshot, hashItem, itemKey } from './verify';
import { createSlotTable } from '../../lambda/backup/slot';

/** Default dataset size: about this many items over all tables (the drill takes about a minute here). */
export const DEFAULT_DRILL_ITEMS = 20000;
/** Seed of the dataset generator. */
export const DRILL_SEED = 20261123;

/** Options of {@link runDrill}. */
export interface DrillOptions {
  readonly config: DrConfig;
  readonly env: DrillEnvironment;
  /** @default DEFAULT_DRILL_ITEMS */
  readonly items?: number;
  /** Where drill-report.json/.md go. @default - not written */
  readonly outDir?: string;
  /** @default - every scenario */
  readonly scenarios?: ScenarioId[];
  readonly faults?: DrillFaults;
  /** Progress lines. @default - to stderr */
  readonly log?: (line: string) => void;
}

/** Options of {@link runLocalDrill}. */
export interface LocalDrillOptions extends Omit<DrillOptions, 'env'>, LocalEnvironmentOptions {}

/** The drill against local servers; stops servers it started, whatever happens. */
export async function runLocalDrill(opts: LocalDrillOptions): Promise<DrillReport> {
  const log = opts.log ?? stderrLog();
  log('starting DynamoDB Local and s3rver');
  // Ctrl-C while the servers start: wait for them, then stop them (killing node now would orphan them).
  let interrupted = false;
  const early = () => {
    interrupted = true;
    log('interrupted: stopping the servers once they are up');
  };
  process.once('SIGINT', early);
  let env: DrillEnvironment;
  try {
    env = await localEnvironment(opts);
  } finally {
    process.removeListener('SIGINT', early);
  }
  if (interrupted) {
    await env.cleanup();
    process.exit(130);
  }
  return runDrill({ ...opts, env, log });
}

/** A progress logger with elapsed time. */
export function stderrLog(): (line: string) => void {
  const t0 = Date.now();
  return (line) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
}

/** Tables of the config the drill can seed (the shop's); throws when there are none. */
export function drillTables(config: DrConfig, prefix: string): DrillTable[] {
  const usable = config.tables.filter((t) => (SHOP_TABLES as readonly string[]).includes(t.name) && t.partitionKey);
  if (usable.length === 0) {
    throw new Error(
      `the drill seeds the example shop tables (${SHOP_TABLES.join(', ')}) and the config lists none of them: run it with the repository's dr.config.json (--config dr.config.json)`,
    );
  }
  return usable.map((t) => ({ source: t.name, name: `${prefix}${t.name}`, keyNames: [t.partitionKey!.name, ...(t.sortKey ? [t.sortKey.name] : [])] }));
}

/** Runs the drill in an environment; always cleans the environment up. */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const log = opts.log ?? stderrLog();
  const { env, config } = opts;
  const startedAt = new Date();
  const onSigint = () => {
    // cleanup() waits for a recovery DynamoDB still starting: exiting at once would orphan it.
    log(env.mode === 'local' ? 'interrupted: stopping the local servers' : `interrupted: deleting scratch tables ${env.tablePrefix}*`);
    void env.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    const tables = drillTables(config, env.tablePrefix);
    const skipped = config.tables.filter((t) => !tables.some((d) => d.source === t.name)).map((t) => t.name);
    if (skipped.length) log(`not seeded (no generator): ${skipped.join(', ')}`);
    log(`creating ${tables.length} tables and seeding the shop dataset`);
    for (const t of tables)
      await createConfigTable(
        env.dynamodb,
        config.tables.find((c) => c.name === t.source)!,
        t.name,
      );
    // The backup handler claims each backup's slot in this table first, as on AWS.
    await createSlotTable(env.dynamodb, env.handlerEnv.STATE_TABLE);
    // Scenario 5 simulates a day over the local stand-in for incremental exports: local only.
    const scenarios = opts.scenarios ?? SCENARIO_IDS.filter((id) => env.mode === 'local' || id !== 'region-lost-midday');
    // The recovery region's DynamoDB starts while the primary is seeded; its errors surface in the scenario.
    if (scenarios.includes('region-lost') || scenarios.includes('region-lost-midday')) env.recovery().catch(() => undefined);
    const requested = opts.items ?? DEFAULT_DRILL_ITEMS;
    const { expected, perTable, total } = await seed(env, tables, requested, log);

    const backup = (names = tables.map((t) => t.name)) => backupThroughHandler(env, config.appName, names);
    log('backup through the scheduled backup handler (tier daily, scan engine)');
    const first = await backup();
    log(`  set ${first.ref}: ${first.items} items in ${first.durationMs} ms`);

    const ctx: ScenarioContext = {
      appName: config.appName,
      env,
      engines: await drillEngines(env, config, first.ref),
      recoveryKmsKeyId: replicaKeyAlias(config),
      tables,
      expected,
      goodRef: first.ref,
      faults: opts.faults ?? {},
      backup,
      items: requested,
      config,
      step: log,
      badDeployTable: tables.find((t) => t.source === 'products') ?? tables[0],
    };
    const results: ScenarioResult[] = [];
    const all = { ...SCENARIOS, 'region-lost-midday': regionLostMidday, 'uploads-encrypted': uploadsEncrypted };
    for (const id of scenarios) results.push(await all[id](ctx));

    const finishedAt = new Date();
    const report: DrillReport = {
      formatVersion: 1,
      mode: env.mode,
      appName: config.appName,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      passed: results.length > 0 && results.every((r) => r.passed),
      dataset: { seed: DRILL_SEED, requestedItems: requested, totalItems: total, perTable },
      backup: { backupId: first.ref, durationMs: first.durationMs, items: first.items, metrics: first.metrics },
      engineNote: `auto, tables above ${ctx.engines.importThresholdBytes} bytes by import (new) or bulk put (existing), the rest by BatchWriteItem; ${env.engineNote}`,
      scenarios: results,
      targets: Object.fromEntries(tables.map((t) => [t.source, targetsFor(config, t.source)])),
      worstCaseRpoMinutes: Object.fromEntries(config.tables.map((t) => [t.name, worstCaseRpoMinutes(config, t)])),
    };
    if (opts.outDir) {
      const files = writeDrillReport(report, opts.outDir);
      log(`report: ${files.json}, ${files.markdown}`);
    }
    return report;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await env.cleanup();
  }
}

/**
 * The drill's engine settings. Locally the threshold is the median table size of the good set,
 * so `auto` sends the larger half through import / bulk put (the stand-in) and the rest through
 * BatchWriteItem: both paths and the choice between them run in every drill. On AWS the config's
 * restore.importThresholdBytes applies.
 */
async function drillEngines(env: DrillEnvironment, config: DrConfig, ref: string): Promise<EngineSettings> {
  if (env.mode !== 'local') return { ...env.engines, importThresholdBytes: config.restore.importThresholdBytes };
  const set = await resolveBackupSet({ s3: env.s3, bucket: env.bucket, ref });
  const sizes = Object.values(set.metadata!.tableDetails)
    .map((t) => t.bytes)
    .sort((a, b) => a - b);
  return { ...env.engines, importThresholdBytes: sizes[Math.floor((sizes.length - 1) / 2)] };
}

async function seed(env: DrillEnvironment, tables: DrillTable[], items: number, log: (l: string) => void) {
  const data = generateShop(items, DRILL_SEED);
  const total = countShop(data);
  const expected = new Map<string, TableSnapshot>();
  const perTable: Record<string, number> = {};
  let done = 0;
  for (const t of tables) {
    const rows = data[t.source as ShopTable];
    const snap: TableSnapshot = new Map();
    const marshalled = rows.map((r) => marshall(r, { removeUndefinedValues: true }));
    for (const m of marshalled) snap.set(itemKey(m, t.keyNames), hashItem(m));
    await writeItems(
      env.dynamodb,
      t.name,
      (async function* () {
        yield* marshalled;
      })(),
    );
    expected.set(t.name, snap);
    perTable[t.source] = rows.length;
    done += rows.length;
    log(`  seeded ${t.name}: ${rows.length} items (${done}/${total})`);
  }
  return { expected, perTable, total: tables.reduce((n, t) => n + perTable[t.source], 0) };
}

/** Result of one backup through the handler. */
export interface HandlerBackup {
  readonly ref: string;
  readonly items: number;
  readonly durationMs: number;
  /** Metric names the handler emitted (EMF on stdout, captured). */
  readonly metrics: string[];
}

/**
 * Runs a backup through `lambda/handlers/backup.ts`, exactly as the schedule does, with the
 * Lambda's environment variables set in process.env. The handler's EMF lines are captured (not
 * printed) and their metric names returned.
 */
export async function backupThroughHandler(env: DrillEnvironment, appName: string, tables: string[]): Promise<HandlerBackup> {
  Object.assign(process.env, env.handlerEnv, { APP_NAME: appName, BACKUP_BUCKET: env.bucket, TABLES: tables.join(',') });
  // Imported here: the handler creates its SDK clients from process.env when loaded.
  const { handler } = await import('../../lambda/handlers/backup');
  const metrics = new Set<string>();
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ..._rest: unknown[]) => {
    for (const line of String(chunk).split('\n')) {
      try {
        const emf = JSON.parse(line) as { _aws?: { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } };
        emf._aws?.CloudWatchMetrics?.forEach((d) => d.Metrics?.forEach((m) => metrics.add(m.Name)));
      } catch {
        // Not JSON: not a metric line.
      }
    }
    return true;
  }) as typeof process.stdout.write;
  const t0 = Date.now();
  try {
    const res = await handler({ tier: 'daily' });
    if (res.status !== 'complete') throw new Error(`backup ${res.backupId} is ${res.status}: the drill needs the scan engine (ENGINE=scan)`);
    // Sets are minted per millisecond: keep the next backup in another one.
    await new Promise((r) => setTimeout(r, 5));
    return { ref: `${res.tier}/${res.backupId}`, items: res.totalRecords ?? 0, durationMs: Date.now() - t0, metrics: [...metrics].sort() };
  } finally {
    process.stdout.write = write;
  }
}
