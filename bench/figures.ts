/**
 * Figures 1 to 5 of BENCHMARKS.md: backup, memory, restore and validate, each measured side by
 * side with its ceiling in the same run, round after round.
 */
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable, Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { resolveBackupSet } from '../lambda/store/catalog';
import { scanAll } from './ceilings';
import { ChildResult, createBenchTable, dropTable, log, median, parallelBatchWrite, runChild } from './harness';

/** What every figure needs. */
export interface BenchContext {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** SDK environment pointing at the local servers (for child processes). */
  readonly env: Record<string, string>;
  readonly segments: number;
  readonly concurrency: number;
  readonly rounds: number;
}

/** One round of figures 1 and 2. */
export interface BackupRound {
  readonly ceiling: ChildResult;
  readonly engine: ChildResult;
  readonly naive?: ChildResult;
}

/** items/s of a child result. */
export function rate(r: { items: number; durationMs: number }): number {
  return r.items / (r.durationMs / 1000);
}

/**
 * Figures 1 and 2: per round, the raw parallel Scan ceiling, the scan engine and (when asked)
 * the naive exporter, each in a fresh child process, in rotating order so that neither always
 * runs on a warmer server.
 */
export async function measureBackup(ctx: BenchContext, table: string, withNaive: boolean): Promise<BackupRound[]> {
  const rounds: BackupRound[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    const common = { table, bucket: ctx.bucket, segments: ctx.segments };
    const modes: ('ceiling' | 'engine' | 'naive')[] = withNaive ? ['ceiling', 'engine', 'naive'] : ['ceiling', 'engine'];
    const order = [...modes.slice(r % modes.length), ...modes.slice(0, r % modes.length)];
    const got: Partial<Record<string, ChildResult>> = {};
    for (const mode of order) {
      got[mode] = await runChild({ ...common, mode }, ctx.env);
      log(`  round ${r + 1} ${mode}: ${got[mode]!.items} items in ${(got[mode]!.durationMs / 1000).toFixed(2)} s`);
    }
    rounds.push({ ceiling: got.ceiling!, engine: got.engine!, naive: got.naive });
  }
  return rounds;
}

/** Figure 3 at one size: peak RSS of engine backups of `table`, plus the module-load floor. */
export async function measureMemory(ctx: BenchContext, table: string, rounds: number): Promise<{ runs: ChildResult[]; baseline: ChildResult }> {
  const baseline = await runChild({ mode: 'baseline', table, bucket: ctx.bucket, segments: ctx.segments }, ctx.env);
  const runs: ChildResult[] = [];
  for (let r = 0; r < rounds; r++) {
    runs.push(await runChild({ mode: 'engine', table, bucket: ctx.bucket, segments: ctx.segments }, ctx.env));
    log(`  memory round ${r + 1}: ${runs[r].items} items, peak RSS ${(runs[r].peakRssBytes / 1048576).toFixed(0)} MiB`);
  }
  return { runs, baseline };
}

/** One round of figure 4. */
export interface RestoreRound {
  readonly items: number;
  /** restoreBackupSet end to end (validation, table creation, writes, count check). */
  readonly restoreMs: number;
  /** From the restore report: validating the whole set before writing. */
  readonly validateMs?: number;
  /** From the restore report: creating the table from the saved schema. */
  readonly createMs?: number;
  /** From the restore report: the streaming writes alone (what the ceiling does). */
  readonly writeMs?: number;
  /** From the restore report: protection and the COUNT scan that checks the items. */
  readonly verifyMs?: number;
  /** Runs before the report had phases: create + write + protect + COUNT of the table. */
  readonly tablePhaseMs?: number;
  /** Raw BatchWriteItem of the same items at the same concurrency. */
  readonly ceilingMs: number;
  /** One more run of the restore's final COUNT scan on the restored table (the check it ends with). */
  readonly countMs?: number;
}

/** Figure 4: restore of `backupId` against raw BatchWriteItem of the same items. */
export async function measureRestore(ctx: BenchContext, table: string, backupId: string): Promise<RestoreRound[]> {
  const { restoreBackupSet } = await import('../lambda/restore/restore');
  const { countItems } = await import('../lambda/restore/tables');
  const items = await scanAll(ctx.dynamodb, table, ctx.segments);
  const rounds: RestoreRound[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    const ceilingTable = `${table}-ceiling${r}`;
    await createBenchTable(ctx.dynamodb, ceilingTable);
    const ceilingMs = await parallelBatchWrite(ctx.dynamodb, ceilingTable, items.length, (i) => items[i], ctx.concurrency);
    await dropTable(ctx.dynamodb, ceilingTable);

    const suffix = `-restored${r}`;
    const t0 = performance.now();
    const report = await restoreBackupSet({
      dynamodb: ctx.dynamodb,
      s3: ctx.s3,
      bucket: ctx.bucket,
      ref: backupId,
      tables: [table],
      suffix,
      concurrency: ctx.concurrency,
    });
    const restoreMs = performance.now() - t0;
    const row = report.tables.find((t) => t.source === table);
    const t1 = performance.now();
    await countItems(ctx.dynamodb, `${table}${suffix}`);
    const countMs = performance.now() - t1;
    await dropTable(ctx.dynamodb, `${table}${suffix}`);
    rounds.push({
      items: row?.items ?? items.length,
      restoreMs,
      validateMs: report.validateMs,
      createMs: row?.createMs,
      writeMs: row?.writeMs,
      verifyMs: row?.verifyMs,
      ceilingMs,
      countMs,
    });
    const sec = (ms?: number) => `${((ms ?? NaN) / 1000).toFixed(2)} s`;
    log(
      `  restore round ${r + 1}: restore ${sec(restoreMs)} (validate ${sec(report.validateMs)}, create ${sec(row?.createMs)}, write ${sec(row?.writeMs)}, verify ${sec(row?.verifyMs)}), raw BatchWriteItem ${sec(ceilingMs)}`,
    );
  }
  return rounds;
}

/** One round of figure 5. */
export interface ValidateRound {
  readonly storedBytes: number;
  /** Uncompressed DynamoDB JSON bytes of the same files. */
  readonly rawBytes?: number;
  readonly validateMs: number;
  readonly valid: boolean;
  /** GetObject + gunzip of the same data files, draining the output. */
  readonly readGunzipMs: number;
}

/** Reads and gunzips `keys` with `parallel` workers, draining the output. */
export async function readAndGunzip(s3: S3Client, bucket: string, keys: string[], parallel: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      await pipeline(res.Body as Readable, createGunzip(), sink);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Figure 5: validateBackupSet against reading and gunzipping the same data files. */
export async function measureValidate(ctx: BenchContext, backupId: string, parallel: number): Promise<ValidateRound[]> {
  const { validateBackupSet } = await import('../lambda/validate/validate');
  const set = await resolveBackupSet({ s3: ctx.s3, bucket: ctx.bucket, ref: backupId });
  const files = Object.values(set.metadata!.tableDetails).flatMap((t) => t.files);
  const keys = files.map((f) => f.key);
  const storedBytes = files.reduce((a, f) => a + f.bytes, 0);
  const rawBytes = Object.values(set.metadata!.tableDetails).reduce((a, t) => a + t.bytes, 0);
  const rounds: ValidateRound[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    const t0 = performance.now();
    await readAndGunzip(ctx.s3, ctx.bucket, keys, parallel);
    const readGunzipMs = performance.now() - t0;
    const t1 = performance.now();
    const report = await validateBackupSet({ s3: ctx.s3, bucket: ctx.bucket, ref: backupId });
    const validateMs = performance.now() - t1;
    rounds.push({ storedBytes, rawBytes, validateMs, valid: report.valid, readGunzipMs });
    log(`  validate round ${r + 1}: validate ${(validateMs / 1000).toFixed(2)} s (valid=${report.valid}), read+gunzip ${(readGunzipMs / 1000).toFixed(2)} s`);
  }
  return rounds;
}

/** Median of per-round ratios `num/den`. */
export function medianRatio<T>(rows: T[], num: (r: T) => number, den: (r: T) => number): number {
  return median(rows.map((r) => num(r) / den(r)));
}
