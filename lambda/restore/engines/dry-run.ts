/**
 * `dr restore --dry-run`: per table the engine, items, bytes, S3 prefix, the exact request it
 * would send and a duration estimate with the assumptions it rests on. Pure: the plan and the
 * set's metadata in, text out; {@link dryRunRestore} reads the plan (S3 and DescribeTable only).
 */
import type { TableBackupRecord } from '../../format/backup-set';
import { planWithMetadata } from '../restore';
import type { RestoreOptions, RestorePlan } from '../types';
import { engineRequest, EngineRequest } from './run-engine';

/** Write request units a table of `items` items and `bytes` uncompressed bytes costs: one per started KB of each item. */
export function writeUnits(items: number, bytes: number): number {
  if (items <= 0) return 0;
  return items * Math.max(1, Math.ceil(bytes / items / 1024));
}

/**
 * "New on-demand tables can sustain up to 4,000 writes per second" before they scale (DynamoDB
 * developer guide, on-demand capacity mode, initial throughput).
 */
export const NEW_ON_DEMAND_WRITES_PER_SECOND = 4000;
/**
 * ImportTable's speed is not published. ASSUMED here: 5 minutes to create the table and start,
 * then 10 MiB/s of uncompressed data. Replace with the rate your own restore tests measure.
 */
export const ASSUMED_IMPORT_START_SECONDS = 300;
export const ASSUMED_IMPORT_BYTES_PER_SECOND = 10 * 1024 * 1024;

/** A duration estimate and what it rests on. */
export interface DurationEstimate {
  readonly seconds: number;
  readonly assumptions: string[];
}

/** How long `request` would take for a table of this size. */
export function estimateDuration(request: EngineRequest, record: Pick<TableBackupRecord, 'itemCount' | 'bytes' | 'schema'>): DurationEstimate {
  const wru = writeUnits(record.itemCount, record.bytes);
  const avg = record.itemCount ? Math.round(record.bytes / record.itemCount) : 0;
  const sizeNote = `${record.itemCount} items of ${avg} bytes on average = ${wru} write request units (1 per started KB of an item)`;
  if (request.engine === 'bulk') {
    const rate = request.input.MaxWriteRequestUnits ?? 1024;
    return {
      seconds: Math.ceil(wru / rate),
      assumptions: [
        sizeNote,
        `at most MaxWriteRequestUnits = ${rate} per second ("The actual write rate can be lower", StartBulkPutItems): a lower bound`,
        're-applying TTL / indexes and the count + sample check come on top',
      ],
    };
  }
  if (request.engine === 'import')
    return {
      seconds: Math.ceil(ASSUMED_IMPORT_START_SECONDS + record.bytes / ASSUMED_IMPORT_BYTES_PER_SECOND),
      assumptions: [
        `${record.bytes} uncompressed bytes; import consumes no write capacity`,
        `ASSUMED (AWS publishes no import rate): ${ASSUMED_IMPORT_START_SECONDS} s to create the table and start, then ${ASSUMED_IMPORT_BYTES_PER_SECOND / 1024 / 1024} MiB/s; GSIs are built during the import and add to it`,
        'up to 50 imports run at once per account (ImportTable quota); the set restores --parallel-tables at a time',
      ],
    };
  const provisioned = record.schema.billingMode === 'PROVISIONED' ? (record.schema.provisionedThroughput?.WriteCapacityUnits ?? 5) : undefined;
  const rate = provisioned ?? NEW_ON_DEMAND_WRITES_PER_SECOND;
  return {
    seconds: Math.ceil(wru / rate),
    assumptions: [
      sizeNote,
      provisioned !== undefined
        ? `the table's provisioned ${provisioned} write capacity units per second`
        : `a new on-demand table's ${NEW_ON_DEMAND_WRITES_PER_SECOND} writes per second before it scales; this process must also send that fast (one process, BatchWriteItem of 25, --concurrency batches in flight)`,
    ],
  };
}

/** One table of a dry run. */
export interface DryRunTable {
  readonly source: string;
  readonly target: string;
  readonly engine: EngineRequest['engine'];
  /** Why this engine (auto's reasoning, or "asked for"). */
  readonly reason: string;
  readonly items: number;
  /** Uncompressed bytes (what the threshold compares). */
  readonly bytes: number;
  readonly s3Prefix: string;
  readonly request: EngineRequest;
  readonly estimate: DurationEstimate;
}

/** Human-readable dry run, one block per table. */
export function renderDryRun(tables: readonly DryRunTable[]): string {
  const lines: string[] = [];
  for (const t of tables) {
    lines.push(`${t.source} -> ${t.target}`);
    lines.push(`  engine:    ${t.engine} (${t.reason})`);
    lines.push(`  items:     ${t.items}`);
    lines.push(`  bytes:     ${t.bytes} uncompressed`);
    lines.push(`  S3 prefix: ${t.s3Prefix}`);
    lines.push(`  request:   ${t.request.command}`);
    const body = t.request.engine === 'write' ? { CreateTable: t.request.createTable, BatchWriteItem: t.request.input } : t.request.input;
    lines.push(
      ...JSON.stringify(body, null, 2)
        .split('\n')
        .map((l) => `    ${l}`),
    );
    lines.push(`  estimate:  ${formatSeconds(t.estimate.seconds)}, assuming:`);
    lines.push(...t.estimate.assumptions.map((a) => `    - ${a}`));
    lines.push('');
  }
  return lines.join('\n');
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * `--dry-run`: the plan, and per table the engine, the S3 prefix, the exact request it would send
 * and a duration estimate. Refuses what the restore would refuse (validation aside); sends nothing
 * that writes.
 */
export async function dryRunRestore(opts: Omit<RestoreOptions, 'onProgress'>): Promise<{ plan: RestorePlan; tables: DryRunTable[] }> {
  const { plan, md } = await planWithMetadata(opts);
  const tables = plan.tables.map<DryRunTable>((t) => {
    const td = md.tableDetails[t.source];
    const table = { backupId: md.backupId, source: t.source, target: t.target, record: td };
    const request = engineRequest(t.engine, table, opts.bucket, opts.engines ?? {}, Boolean(opts.intoExisting));
    return {
      source: t.source,
      target: t.target,
      engine: t.engine,
      reason: t.engineReason,
      items: t.items,
      bytes: t.bytes,
      s3Prefix: `s3://${opts.bucket}/${td.exportFolder}data/`,
      request,
      estimate: estimateDuration(request, td),
    };
  });
  return { plan, tables };
}
