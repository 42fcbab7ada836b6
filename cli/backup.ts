/**
 * `dr backup`: one backup set now, with the same engine as the scheduled Lambda.
 *
 *   dr backup [--tables a,b] [--tier adhoc] [--engine auto|scan|export] [--segments N]
 *
 * Tables default to the config's tables. Progress goes to stderr (a bar per table on a
 * terminal, plain lines otherwise); with --json stdout gets the set's metadata.json only.
 */
import { Command, Option } from 'commander';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { EngineChoice, startBackup } from '../lambda/backup/backup';
import { TIERS, Tier } from '../lambda/format/backup-set';
import { action, CommandContext, contextFrom, parseTablesOption, UserError } from './context';

/** Options of `dr backup`. */
interface BackupCommandOptions {
  readonly tables?: string;
  readonly tier: Tier;
  readonly engine?: EngineChoice;
  readonly segments?: string;
}

/** Progress reporter: bars on a terminal, a line every few seconds per table otherwise. */
function progressReporter(ctx: CommandContext): { onProgress: (p: { table: string; items: number; bytes: number }) => void; stop: () => void } {
  if (ctx.json) return { onProgress: () => undefined, stop: () => undefined };
  if (ctx.interactive) {
    const multi = new MultiBar(
      { format: ' {table} | {items} items | {mb} MB', hideCursor: true, clearOnComplete: false, stream: process.stderr },
      Presets.shades_classic,
    );
    const bars = new Map<string, SingleBar>();
    return {
      onProgress: (p) => {
        const payload = { table: p.table.padEnd(24), items: p.items, mb: (p.bytes / 1048576).toFixed(1) };
        const bar = bars.get(p.table) ?? multi.create(0, 0, payload);
        bars.set(p.table, bar);
        bar.update(0, payload);
      },
      stop: () => multi.stop(),
    };
  }
  const last = new Map<string, number>();
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - (last.get(p.table) ?? 0) < 5000) return;
      last.set(p.table, now);
      ctx.info(`${p.table}: ${p.items} items, ${(p.bytes / 1048576).toFixed(1)} MB`);
    },
    stop: () => undefined,
  };
}

/** Parses --segments; undefined for automatic. */
function parseSegments(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1000000) throw new UserError(`--segments must be a whole number from 0 (automatic) to 1000000 (got "${v}")`);
  return n === 0 ? undefined : n;
}

/** Registers `dr backup`. */
export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('back up DynamoDB tables now into a new backup set (DynamoDB export format)')
    .option('--tables <names>', "comma-separated table names (default: the config's tables)")
    .addOption(new Option('--tier <tier>', 'tier of the set').choices([...TIERS]).default('adhoc'))
    .addOption(
      new Option('--engine <engine>', 'scan, native export, or auto (export for big tables with PITR on) (default: config backup.engine)').choices([
        'auto',
        'scan',
        'export',
      ]),
    )
    .option('--segments <n>', 'parallel Scan segments (0 = automatic: 8 to 16)')
    .action(
      action(async (opts: BackupCommandOptions, command: Command) => {
        const ctx = contextFrom(command);
        const config = opts.tables ? undefined : ctx.config();
        const tables = parseTablesOption(opts.tables) ?? config!.tables.map((t) => t.name);
        if (tables.length === 0) throw new UserError('--tables is empty: give at least one table name, e.g. --tables orders,inventory');
        const engine = opts.engine ?? config?.backup.engine ?? 'auto';
        const segments = parseSegments(opts.segments) ?? (config?.backup.scanSegments || undefined);
        const progress = progressReporter(ctx);
        if (!ctx.json) ctx.info(`backing up ${tables.length} table(s) to s3://${ctx.bucket()} (tier ${opts.tier}, engine ${engine})`);
        let result;
        try {
          result = await startBackup({
            dynamodb: ctx.dynamodb,
            s3: ctx.s3,
            bucket: ctx.bucket(),
            tables,
            tier: opts.tier,
            engine,
            segments,
            maxFileBytes: config?.backup.maxFileBytes,
            exportThresholdBytes: config?.backup.exportThresholdBytes,
            region: ctx.options.region,
            onProgress: progress.onProgress,
          });
        } finally {
          progress.stop();
        }
        if (result.status === 'pending') {
          if (ctx.json) ctx.printJson({ status: 'pending', ...result.pending });
          else
            ctx.info(
              `native exports started for ${result.pending.exports.map((e) => e.table).join(', ')}; set ${result.pending.tier}/${result.pending.backupId} completes when the export-finalizer sees them finish (check with "dr list")`,
            );
          return;
        }
        const m = result.metadata;
        if (ctx.json) {
          ctx.printJson(m);
          return;
        }
        if (result.reused) ctx.info(`set ${m.tier}/${m.backupId} was already complete; nothing written`);
        for (const t of m.tables) ctx.info(`  ${t}: ${m.recordCounts[t]} items, ${m.bytes[t]} bytes, ${m.tableDetails[t].files.length} file(s)`);
        ctx.info(
          `backup set ${m.tier}/${m.backupId} complete: ${m.totalRecords} items in ${(m.durationMs / 1000).toFixed(1)} s (s3://${m.source.bucket}/backups/${m.tier}/${m.backupId}/)`,
        );
      }),
    );
}
