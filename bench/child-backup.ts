/**
 * Child process of the benchmark: runs ONE backup-like job and prints a JSON result line
 * (duration, items, peak RSS) as its last stdout line. Running each job in its own process makes
 * the peak RSS that job's own.
 *
 * Usage: node --import tsx bench/child-backup.ts '{"mode":"engine","table":"t","bucket":"b","segments":8}'
 * Modes: engine (runBackup, scan engine), naive (bench/naive-exporter.ts), ceiling (raw parallel
 * Scan), restore and validate (used for profiling), baseline (loads the same modules and does nothing: the RSS floor).
 */
import { runBackup } from '../lambda/backup/backup';
import { createDynamoDbClient, createS3Client } from '../lambda/shared/clients';
import { rawParallelScan } from './ceilings';
import { ChildResult } from './harness';
import { naiveExport } from './naive-exporter';

interface ChildArgs {
  readonly mode: 'engine' | 'naive' | 'ceiling' | 'baseline' | 'restore' | 'validate';
  readonly table: string;
  readonly bucket: string;
  readonly segments: number;
  /** restore mode only */
  readonly backupId?: string;
  readonly suffix?: string;
  readonly concurrency?: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
  const dynamodb = createDynamoDbClient();
  const s3 = createS3Client();
  const started = performance.now();
  let extra: Partial<ChildResult> = {};
  let items = 0;
  switch (args.mode) {
    case 'engine': {
      const meta = await runBackup({ dynamodb, s3, bucket: args.bucket, tables: [args.table], tier: 'adhoc', engine: 'scan', segments: args.segments });
      items = meta.totalRecords;
      const rec = meta.tableDetails[args.table];
      extra = { backupId: meta.backupId, storedBytes: rec?.storedBytes, bytes: rec?.bytes };
      break;
    }
    case 'naive': {
      const r = await naiveExport({ dynamodb, s3, table: args.table, bucket: args.bucket, key: `naive/${args.table}/${Date.now()}.json` });
      items = r.items;
      extra = { bytes: r.bytes };
      break;
    }
    case 'ceiling':
      items = (await rawParallelScan(dynamodb, args.table, args.segments)).items;
      break;
    case 'restore': {
      // Loaded on demand: the other modes must not pay for (or depend on) the restore module.
      const { restoreBackupSet } = await import('../lambda/restore/restore');
      const report = await restoreBackupSet({
        dynamodb,
        s3,
        bucket: args.bucket,
        ref: args.backupId!,
        tables: [args.table],
        suffix: args.suffix,
        concurrency: args.concurrency,
      });
      items = report.tables.reduce((a, t) => a + t.items, 0);
      break;
    }
    case 'validate': {
      const { validateBackupSet } = await import('../lambda/validate/validate');
      const report = await validateBackupSet({ s3, bucket: args.bucket, ref: args.backupId! });
      if (!report.valid) throw new Error(`set ${args.backupId} is not valid: ${JSON.stringify(report.problems)}`);
      items = report.tables.reduce((a, t) => a + t.items, 0);
      break;
    }
    case 'baseline':
      break;
    default:
      throw new Error(`unknown bench child mode "${String(args.mode)}" (engine, naive, ceiling or baseline)`);
  }
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage();
  dynamodb.destroy();
  s3.destroy();
  // maxRSS is in kilobytes.
  const result: ChildResult = {
    mode: args.mode,
    items,
    durationMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...extra,
  };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
