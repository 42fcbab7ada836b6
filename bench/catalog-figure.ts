/**
 * The catalog figure: what `dr list` and `latest` cost (S3 requests, time) for the same number of
 * sets holding few or many files. Sets are synthetic (small objects written straight to the
 * bucket through the catalog's own commit), so the figure measures finding sets, not backing up.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BackupMetadata, FORMAT_VERSION, Tier, backupIdFor, backupSetPrefix } from '../lambda/format/backup-set';
import { commitBackupSet } from '../lambda/store/catalog-write';
import { findLatestSet, listCatalog } from '../lambda/store/catalog';
import { assertBackupBucket } from '../lambda/validate/validate';
import { createS3Client } from '../lambda/shared/clients';
import { log, median } from './harness';

/** Options of {@link writeSyntheticSets}. */
export interface SyntheticSetsOptions {
  readonly sets: number;
  readonly filesPerSet: number;
  /** @default 'daily' */
  readonly tier?: Tier;
  /** Start time of the first set; one set per hour after it. @default 2026-01-01T02:00Z */
  readonly start?: Date;
  /** PUTs at once. @default 16 */
  readonly concurrency?: number;
  /**
   * Writes one tiny data file. @default - PutObject. The bench passes {@link s3rverFileWriter}:
   * 80,000 PUTs through s3rver's HTTP take longer than the figure is worth, and data files are
   * only listed here, never read.
   */
  readonly writeDataFile?: (key: string) => Promise<unknown>;
}

/**
 * Writes a tiny object straight into a stopped-or-running s3rver's directory, in its own file
 * layout (`<key>._S3rver_object` + `.md5` + `._S3rver_metadata.json`), as PutObject would.
 * For the bench only: it leans on s3rver's internals.
 */
export function s3rverFileWriter(directory: string, bucket: string): (key: string) => Promise<void> {
  const md5 = createHash('md5').update('x').digest('hex');
  return async (key) => {
    const base = path.join(directory, bucket, ...key.split('/'));
    await fs.mkdir(path.dirname(base), { recursive: true });
    await fs.writeFile(`${base}._S3rver_object`, 'x');
    await fs.writeFile(`${base}._S3rver_object.md5`, md5);
    await fs.writeFile(`${base}._S3rver_metadata.json`, '{"content-type":"application/octet-stream"}');
  };
}

/** Writes `sets` complete sets of one table with `filesPerSet` tiny data files each, committed as the backup does. */
export async function writeSyntheticSets(s3: S3Client, bucket: string, o: SyntheticSetsOptions): Promise<void> {
  const tier = o.tier ?? 'daily';
  const start = (o.start ?? new Date('2026-01-01T02:00:00Z')).getTime();
  const puts: (() => Promise<unknown>)[] = [];
  const commits: (() => Promise<void>)[] = [];
  for (let i = 0; i < o.sets; i++) {
    const backupId = backupIdFor(new Date(start + i * 3_600_000));
    const folder = `${backupSetPrefix(tier, backupId)}orders/AWSDynamoDB/01700000000000-${i}/`;
    const files = Array.from({ length: o.filesPerSet }, (_, n) => ({
      key: `${folder}data/${String(n).padStart(5, '0')}.json.gz`,
      itemCount: 1,
      bytes: 1,
      sha256: '0'.repeat(64),
    }));
    const write = o.writeDataFile ?? ((key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' })));
    for (const f of files) puts.push(() => write(f.key));
    const md: BackupMetadata = {
      formatVersion: FORMAT_VERSION,
      backupId,
      tier,
      engine: 'scan',
      startedAt: new Date(start + i * 3_600_000).toISOString(),
      completedAt: new Date(start + i * 3_600_000 + 60_000).toISOString(),
      exportTime: new Date(start + i * 3_600_000).toISOString(),
      tables: ['orders'],
      recordCounts: { orders: o.filesPerSet },
      totalRecords: o.filesPerSet,
      bytes: { orders: o.filesPerSet },
      totalBytes: o.filesPerSet,
      success: true,
      durationMs: 60_000,
      tableDetails: {
        orders: {
          table: 'orders',
          engine: 'scan',
          schema: {
            keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            globalSecondaryIndexes: [],
            localSecondaryIndexes: [],
            billingMode: 'PAY_PER_REQUEST',
          },
          exportFolder: folder,
          itemCount: o.filesPerSet,
          bytes: o.filesPerSet,
          storedBytes: o.filesPerSet,
          files,
        },
      },
      source: { region: 'eu-west-1', bucket },
    };
    commits.push(() => commitBackupSet(s3, bucket, md));
  }
  await pool(puts, o.concurrency ?? 16);
  await pool(commits, o.concurrency ?? 16);
}

async function pool(tasks: (() => Promise<unknown>)[], n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

/** A client of `createS3Client()` (the SDK variables) counting the requests it sends, by command name. */
export function countingClient(): { client: S3Client; counts: Record<string, number>; total: () => number; reset: () => void } {
  const client = createS3Client();
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    client,
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
  };
}

/** What `dr list`, `dr list --scan` and `latest` cost on one bucket shape. */
export interface CatalogShape {
  readonly sets: number;
  readonly filesPerSet: number;
  readonly objects: number;
  /** `dr list`: requests by command, and the median time. */
  readonly list: { readonly requests: Record<string, number>; readonly total: number; readonly ms: number };
  /** `dr list --scan`: also lists every file (what finding sets cost before the catalog). */
  readonly scan: { readonly requests: Record<string, number>; readonly total: number; readonly ms: number };
  /** `latest` (restore latest, the replica monitor, the scheduled backup's previous set). */
  readonly latest: { readonly requests: Record<string, number>; readonly total: number; readonly ms: number };
}

async function measure(rounds: number, fn: (c: S3Client) => Promise<unknown>) {
  const c = countingClient();
  const times: number[] = [];
  let requests: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    c.reset();
    const t0 = performance.now();
    await fn(c.client);
    times.push(performance.now() - t0);
    requests = { ...c.counts };
  }
  c.client.destroy();
  return { requests, total: Object.values(requests).reduce((a, b) => a + b, 0), ms: median(times) };
}

/** The catalog figure: `shapes` buckets of synthetic sets, each measured `rounds` times; data files written by `writer(bucket)` when given. */
export async function measureCatalog(
  s3: S3Client,
  shapes: { sets: number; filesPerSet: number }[],
  rounds: number,
  writer?: (bucket: string) => (key: string) => Promise<unknown>,
): Promise<CatalogShape[]> {
  const out: CatalogShape[] = [];
  for (const shape of shapes) {
    const bucket = `dr-bench-catalog-${shape.sets}x${shape.filesPerSet}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    log(`  writing ${shape.sets} sets x ${shape.filesPerSet} files to ${bucket}`);
    await writeSyntheticSets(s3, bucket, { ...shape, writeDataFile: writer?.(bucket) });
    const list = await measure(rounds, async (c) => {
      await assertBackupBucket(c, bucket);
      return listCatalog({ s3: c, bucket });
    });
    const scan = await measure(rounds, async (c) => {
      await assertBackupBucket(c, bucket);
      return listCatalog({ s3: c, bucket, fullScan: true });
    });
    const latest = await measure(rounds, (c) => findLatestSet({ s3: c, bucket }));
    const row = { ...shape, objects: shape.sets * (shape.filesPerSet + 2), list, scan, latest };
    log(
      `  ${shape.sets} x ${shape.filesPerSet}: dr list ${list.total} requests ${Math.round(list.ms)} ms; --scan ${scan.total} / ${Math.round(scan.ms)} ms; latest ${latest.total} / ${Math.round(latest.ms)} ms`,
    );
    out.push(row);
  }
  return out;
}
