/**
 * Exports and finalizes the windows of a table's chain.
 *
 * {@link exportNextWindow} (the incremental-export function, one schedule per interval): the next
 * window starts where the newest committed one ended (or at the base full set's export time), so
 * windows are contiguous and a FAILED one is exported again, never skipped. The window is a slot
 * (`kind: 'window'`, scope the table, time the window's start): a duplicate delivery finds it
 * claimed and exports nothing. The export request is written to `pending.json` in the window's
 * folder, then the slot is handed to the finalizer (`exporting`).
 *
 * {@link finalizeWindow} (the export finalizer, every 5 minutes): DescribeExport of the pending
 * window; COMPLETED -> commitWindow (window.json, catalog entry, _latest.json) and the slot
 * `committed`; FAILED -> the slot `failed` (the next export run takes it over as the same window).
 */
import { createHash } from 'node:crypto';
import {
  DescribeExportCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeWindow, windowPrefix, type WindowRef } from '../format/window';
import type { SlotStore } from '../backup/slot';
import { findLatestSet } from '../store/catalog';
import { getJsonIfExists, putJson } from '../store/s3-io';
import { nextWindow } from './chain';
import { commitWindow, readLatestWindow } from './window-store';

/** The request of a window's export, kept in the window's folder until it is committed. */
export const WINDOW_PENDING_FILE = 'pending.json';

/** pending.json of a window. */
export interface PendingWindow {
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly baseSet: string;
  readonly exportArn: string;
  readonly attempt: number;
}

/**
 * ClientToken of a window's export: table, window and the slot's attempt. A run retried within
 * the attempt sends the same token and gets the export already started; a FAILED window taken
 * over (attempt + 1) needs a new token, because DynamoDB answers a reused token (for 8 hours)
 * with the same, failed, export.
 */
export function windowClientToken(w: WindowRef, attempt: number): string {
  return createHash('sha256').update(`dr-stack/window/${w.table}/${w.from.toISOString()}/${w.to.toISOString()}/${attempt}`).digest('hex').slice(0, 32);
}

/** The ExportTableToPointInTime request of a window (INCREMENTAL_EXPORT, NEW_AND_OLD_IMAGES, DynamoDB JSON). */
export function windowExportRequest(o: {
  readonly window: WindowRef;
  readonly tableArn: string;
  readonly bucket: string;
  readonly attempt: number;
  readonly bucketOwner?: string;
  readonly kmsKeyArn?: string;
}): ExportTableToPointInTimeCommandInput {
  return {
    TableArn: o.tableArn,
    ClientToken: windowClientToken(o.window, o.attempt),
    S3Bucket: o.bucket,
    S3BucketOwner: o.bucketOwner,
    S3Prefix: windowPrefix(o.window).replace(/\/$/, ''),
    ...(o.kmsKeyArn ? { S3SseAlgorithm: 'KMS' as const, S3SseKmsKeyId: o.kmsKeyArn } : {}),
    ExportFormat: 'DYNAMODB_JSON',
    ExportType: 'INCREMENTAL_EXPORT',
    IncrementalExportSpecification: { ExportFromTime: o.window.from, ExportToTime: o.window.to, ExportViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** Options of {@link exportNextWindow}. */
export interface ExportNextWindowOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly slots: SlotStore;
  readonly bucket: string;
  readonly table: string;
  readonly tableArn: string;
  readonly intervalMs: number;
  /** This run's id (the slot's owner). */
  readonly owner: string;
  readonly now: Date;
  readonly kmsKeyArn?: string;
  readonly bucketOwner?: string;
}

/** What one export run did for a table. */
export type WindowRun =
  | { readonly outcome: 'started'; readonly window: WindowRef; readonly exportArn: string }
  /** No full set of the table yet: the chain has nothing to start from. */
  | { readonly outcome: 'no-base' }
  /** The next window has not closed yet. */
  | { readonly outcome: 'not-due'; readonly next: Date }
  /** Another run holds, exports or committed the window. */
  | { readonly outcome: 'committed' | 'exporting' | 'busy'; readonly window: WindowRef };

/** Where the chain continues: the newest committed window's end, or the base set's export time. */
export async function chainEnd(s3: S3Client, bucket: string, table: string): Promise<{ end: Date; baseSet: string } | undefined> {
  const latest = await readLatestWindow(s3, bucket, table);
  if (latest) return { end: new Date(latest.to), baseSet: latest.baseSet };
  const base = (await findLatestSet({ s3, bucket, tables: [table] })).set;
  const exportTime = base?.summary?.exportTime ?? base?.metadata?.exportTime;
  return base && exportTime ? { end: new Date(exportTime), baseSet: `${base.tier}/${base.backupId}` } : undefined;
}

/** Claims and starts the table's next window, when it has closed. */
export async function exportNextWindow(o: ExportNextWindowOptions): Promise<WindowRun> {
  const chain = await chainEnd(o.s3, o.bucket, o.table);
  if (!chain) return { outcome: 'no-base' };
  const window = nextWindow(o.table, chain.end, o.intervalMs, o.now);
  if (!window) return { outcome: 'not-due', next: new Date(chain.end.getTime() + o.intervalMs) };
  const claim = await o.slots.claim({ kind: 'window', scope: o.table, time: window.from }, o.owner, { detail: { to: window.to.toISOString() } });
  if (claim.outcome !== 'claimed') return { outcome: claim.outcome, window };
  const lease = claim.lease;
  try {
    const input = windowExportRequest({
      window,
      tableArn: o.tableArn,
      bucket: o.bucket,
      attempt: lease.attempt,
      kmsKeyArn: o.kmsKeyArn,
      bucketOwner: o.bucketOwner,
    });
    const res = await o.dynamodb.send(new ExportTableToPointInTimeCommand(input));
    const exportArn = res.ExportDescription?.ExportArn;
    if (!exportArn) throw new Error(`ExportTableToPointInTime for window ${describeWindow(window)} returned no ExportArn`);
    await lease.fence();
    const pending: PendingWindow = {
      table: o.table,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      baseSet: chain.baseSet,
      exportArn,
      attempt: lease.attempt,
    };
    await putJson(o.s3, o.bucket, `${windowPrefix(window)}${WINDOW_PENDING_FILE}`, pending);
    await lease.finish('exporting');
    return { outcome: 'started', window, exportArn };
  } catch (e) {
    await lease.finish('failed', (e as Error).message).catch(() => undefined);
    throw e;
  }
}

/** What the finalizer did with a table's pending window. */
export type WindowFinalizeOutcome =
  | { readonly status: 'none' | 'running' }
  | { readonly status: 'committed'; readonly window: WindowRef; readonly counts: { puts: number; deletes: number }; readonly settledHere: boolean }
  | { readonly status: 'failed'; readonly window: WindowRef; readonly reason: string; readonly settledHere: boolean };

/** Finalizes the table's next window if its export finished (one GET of _latest.json, one of pending.json, one DescribeExport). */
export async function finalizeWindow(o: {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  slots: SlotStore;
  bucket: string;
  table: string;
  intervalMs: number;
  now?: Date;
}): Promise<WindowFinalizeOutcome> {
  const chain = await chainEnd(o.s3, o.bucket, o.table);
  if (!chain) return { status: 'none' };
  const window: WindowRef = { table: o.table, from: chain.end, to: new Date(chain.end.getTime() + o.intervalMs) };
  const pending = await getJsonIfExists<PendingWindow>(o.s3, o.bucket, `${windowPrefix(window)}${WINDOW_PENDING_FILE}`);
  if (!pending) return { status: 'none' };
  const w: WindowRef = { table: o.table, from: new Date(pending.from), to: new Date(pending.to) };
  const slot = { kind: 'window', scope: o.table, time: w.from };
  const d = (await o.dynamodb.send(new DescribeExportCommand({ ExportArn: pending.exportArn }))).ExportDescription;
  if (d?.ExportStatus === 'FAILED') {
    const reason = `incremental export of window ${describeWindow(w)} failed: ${d.FailureCode ?? 'unknown code'}: ${d.FailureMessage ?? 'no message'}; the next export run retries the same window`;
    return { status: 'failed', window: w, reason, settledHere: await o.slots.settle(slot, 'failed', reason) };
  }
  if (d?.ExportStatus !== 'COMPLETED') return { status: 'running' };
  const exportId = pending.exportArn.split('/').at(-1);
  const metadata = await commitWindow({
    s3: o.s3,
    bucket: o.bucket,
    window: w,
    baseSet: pending.baseSet,
    exportArn: pending.exportArn,
    exportFolder: `${windowPrefix(w)}AWSDynamoDB/${exportId}/`,
    now: o.now,
  });
  return { status: 'committed', window: w, counts: metadata.counts, settledHere: await o.slots.settle(slot, 'committed') };
}
