/**
 * `dr restore --at <time>`: every table as of one instant, from the newest complete full set
 * before it and the chain of incremental export windows after it.
 *
 * 1. Plan, before any write: the time is not in the future; a full set holding every table was
 *    taken at or before it (else refused naming the oldest one); each table's chain covers
 *    [set's export time, at] without a gap (else refused naming the missing window and the last
 *    restorable time). Every table uses the SAME instant and the same full set.
 * 2. The base: the full set restored by the ordinary restore (any engine; its own journal).
 * 3. The windows, in order per table (tables side by side), by the write path (puts, deletes;
 *    changes after `at` skipped), each a part of the target's restore journal after the base's
 *    parts (`restores/<target>.json`, lambda/restore/journal: the target stays unfinished until
 *    its last window), so a killed restore rerun with --resume continues at the first window not
 *    done.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { findLatestSet, listBackupSets } from '../lambda/store/catalog';
import type { BackupSet } from '../lambda/store/catalog';
import type { WindowRef } from '../lambda/format/window';
import { ChainGapError, restorableUntil, windowsForPoint } from '../lambda/incremental/chain';
import { recoveryPoint } from '../lambda/format/trusted-time';
import { listWindows, readWindowMetadata } from '../lambda/incremental/window-store';
import { applyWindow, type AppliedWindow } from '../lambda/incremental/apply-window';
import { DEFAULT_RESTORE_SUFFIX, restoreBackupSet, type RestoreOptions, type RestoreReport } from '../lambda/restore/restore';
import { readJournal, RestoreJournal, windowPartId } from '../lambda/restore/journal';
import { countItems } from '../lambda/restore/tables';

/** Thrown when `--at` cannot be restored; nothing was written. */
export class PointRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PointRefusedError';
  }
}

/** The plan of a point-in-time restore: one full set, and each table's windows. */
export interface PointPlan {
  readonly at: Date;
  readonly base: { readonly tier: string; readonly backupId: string; readonly exportTime: Date };
  readonly windows: Record<string, WindowRef[]>;
  /** Per table, each window's changed keys (puts + deletes), as its catalog entry says. */
  readonly changes: Record<string, number[]>;
}

/** Options of {@link planPointRestore}. */
export interface PlanPointOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly tables: readonly string[];
  readonly at: Date;
  /** @default - now */
  readonly now?: Date;
}

/** The newest complete set holding `tables` whose data is as of `at` or earlier. */
async function baseFor(o: PlanPointOptions): Promise<BackupSet | undefined> {
  let before = new Date(o.at.getTime() + 1);
  for (let i = 0; i < 100; i++) {
    const set = (await findLatestSet({ s3: o.s3, bucket: o.bucket, tables: o.tables, before })).set;
    const exportTime = set?.metadata?.exportTime;
    if (!set || !exportTime) return undefined;
    if (Date.parse(exportTime) <= o.at.getTime()) return set;
    before = set.startedAt;
  }
  return undefined;
}

/** Checks `at` and finds the base and every table's windows; throws {@link PointRefusedError} before any work. */
export async function planPointRestore(o: PlanPointOptions): Promise<PointPlan> {
  const now = o.now ?? new Date();
  if (Number.isNaN(o.at.getTime())) throw new PointRefusedError('--at is not a time: give an ISO 8601 UTC time such as 2026-11-23T14:37:00Z');
  if (o.at.getTime() > now.getTime())
    throw new PointRefusedError(`--at ${o.at.toISOString()} is in the future (now ${now.toISOString()}): give a time at or before now, or "latest"`);
  const set = await baseFor(o);
  if (!set?.metadata) {
    const oldest = (await listBackupSets({ s3: o.s3, bucket: o.bucket })).filter((s) => s.status === 'complete').at(-1);
    throw new PointRefusedError(
      `--at ${o.at.toISOString()} is before the oldest complete full set holding ${o.tables.join(', ')} in s3://${o.bucket}${
        oldest?.summary ? ` (the oldest is ${oldest.tier}/${oldest.backupId}, data as of ${oldest.summary.exportTime})` : ' (there is none)'
      }: give a later --at, or restore from another bucket`,
    );
  }
  const exportTime = new Date(set.metadata.exportTime);
  const windows: Record<string, WindowRef[]> = {};
  const changes: Record<string, number[]> = {};
  for (const table of o.tables) {
    // Windows are at most a day long: one starting a day before the base still reaches it.
    const committed = await listWindows(o.s3, o.bucket, table, new Date(exportTime.getTime() - 24 * 3600_000));
    try {
      windows[table] = windowsForPoint(table, committed, exportTime, o.at);
      const byFrom = new Map(committed.map((w) => [w.from, w.counts.puts + w.counts.deletes]));
      changes[table] = windows[table].map((w) => byFrom.get(w.from.toISOString()) ?? 0);
    } catch (e) {
      const oldest = committed[0];
      // No window after the base at all: its windows expired (retention.windowDays), not a gap in the chain.
      if (e instanceof ChainGapError && e.missingFrom.getTime() === exportTime.getTime() && oldest && Date.parse(oldest.from) > exportTime.getTime())
        throw new PointRefusedError(
          `--at ${o.at.toISOString()}: table "${table}" has no window after full set ${set.tier}/${set.backupId} (data as of ${exportTime.toISOString()}): its chain's oldest window starts at ${oldest.from}, the windows before it expired (retention.windowDays); restore that set to its own point (--at ${exportTime.toISOString()}), or give a time inside the range "dr list" shows`,
        );
      throw new PointRefusedError((e as Error).message);
    }
  }
  return { at: o.at, base: { tier: set.tier, backupId: set.backupId, exportTime }, windows, changes };
}

/**
 * `--at latest`: the last time every table's chain reaches from the newest complete full set
 * holding them all (that set's recovery point for a table without windows yet); undefined when
 * no such set exists. The CLI and the drill's scenario 5 both call it.
 */
export async function latestRestorablePoint(s3: S3Client, bucket: string, tables: readonly string[]): Promise<Date | undefined> {
  const set = (await findLatestSet({ s3, bucket, tables })).set;
  if (!set?.metadata) return undefined;
  const base = recoveryPoint(set.metadata);
  // Windows are at most a day long: one starting a day before the base still reaches it.
  const ends = await Promise.all(tables.map(async (t) => restorableUntil(await listWindows(s3, bucket, t, new Date(base.getTime() - 86_400_000)), base)));
  return new Date(Math.min(...ends.map((d) => d.getTime())));
}

/** Options of {@link restoreToPoint}. */
export interface RestoreToPointOptions extends Omit<RestoreOptions, 'ref' | 'tables'> {
  readonly tables: readonly string[];
  readonly at: Date;
  readonly now?: Date;
  /** Called after each window is applied (the kill-and-resume test stops here). */
  readonly onWindow?: (table: string, w: WindowRef, applied: AppliedWindow) => void | Promise<void>;
}

/** What a point-in-time restore did. */
export interface PointRestoreReport {
  readonly plan: PointPlan;
  /** The base restore; undefined when a resumed run found every base verified already. */
  readonly base?: RestoreReport;
  /** Per table: the windows applied (ids) and the counts. */
  readonly tables: Record<
    string,
    { readonly target: string; readonly windows: string[]; readonly puts: number; readonly deletes: number; readonly skipped: number }
  >;
}

/** Plans (refusing before any work), restores the base set, then applies every table's windows. */
export async function restoreToPoint(o: RestoreToPointOptions): Promise<PointRestoreReport> {
  const plan = await planPointRestore({ s3: o.s3, bucket: o.bucket, tables: o.tables, at: o.at, now: o.now });
  const baseSet = `${plan.base.tier}/${plan.base.backupId}`;
  const at = plan.at.toISOString();
  const targetOf = (table: string) => (o.intoExisting ? table : `${table}${o.suffix ?? DEFAULT_RESTORE_SUFFIX}`);
  const windowParts = Object.fromEntries(
    o.tables.map((t) => [t, (plan.windows[t] ?? []).map((w, i) => ({ id: windowPartId(w.from), items: plan.changes[t][i] }))]),
  );
  // Per target, before any write: a resume continues only the same point from the same base, and
  // skips the base when the journal says it is verified (its windows follow).
  const needBase: string[] = [];
  const finished = new Set<string>();
  for (const table of o.tables) {
    const j = o.resume ? await readJournal(o.s3, o.bucket, targetOf(table)) : undefined;
    if (j?.chain && j.state !== 'verified' && (j.chain.at !== at || j.chain.baseSet !== baseSet))
      throw new PointRefusedError(
        `"${targetOf(table)}" holds an unfinished restore as of ${j.chain.at} from ${j.chain.baseSet}, not ${at} from ${baseSet}: nothing was written; resume it with --at ${j.chain.at} --resume, or delete the table and restore again`,
      );
    const same = j?.chain?.at === at && j.chain.baseSet === baseSet;
    if (same && j.state === 'verified') finished.add(table);
    else if (!(same && j.chain?.baseVerifiedItems !== undefined)) needBase.push(table);
  }
  const pointChain = { at, baseSet, windows: windowParts };
  const base = needBase.length ? await restoreBackupSet({ ...o, ref: baseSet, tables: needBase, pointChain }) : undefined;
  // Tables apply their windows side by side (a table's windows in order): the RTO follows the
  // longest chain, not the sum. Every table runs to its end before the first error is thrown, so
  // each journal says exactly which windows are done.
  const settled = await Promise.allSettled(
    o.tables.map((table) => applyChain(o, plan, table, targetOf(table), finished.has(table), !needBase.includes(table))),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const tables: PointRestoreReport['tables'] = Object.fromEntries(
    o.tables.map((t, i) => [t, (settled[i] as PromiseFulfilledResult<PointRestoreReport['tables'][string]>).value]),
  );
  return { plan, base, tables };
}

/**
 * One target's windows, in order, as parts of its restore journal (the base restore wrote them
 * there, after the base's parts): a window is done once applied and its files checked; the
 * target is verified, with its count, after the last. A failure leaves the journal `failed` and
 * --resume continues at the first window not done (re-applying one is idempotent: each line is
 * the key's final state in the window).
 */
async function applyChain(
  o: RestoreToPointOptions,
  plan: PointPlan,
  table: string,
  target: string,
  finished: boolean,
  resumed: boolean,
): Promise<PointRestoreReport['tables'][string]> {
  const windows = plan.windows[table] ?? [];
  const ids = windows.map((w) => windowPartId(w.from));
  const counts = { puts: 0, deletes: 0, skipped: 0 };
  // Without windows the base restore verified the target already.
  if (finished || windows.length === 0) return { target, windows: ids, ...counts };
  const journal = await RestoreJournal.continueChain({ s3: o.s3, bucket: o.bucket, dynamodb: o.dynamodb, target, resumed });
  const done = journal.doneParts();
  try {
    for (let i = 0; i < windows.length; i++) {
      if (done.has(ids[i])) continue;
      const metadata = await readWindowMetadata(o.s3, o.bucket, windows[i]);
      const applied = await applyWindow({
        s3: o.s3,
        dynamodb: o.dynamodb as DynamoDBClient,
        bucket: o.bucket,
        window: metadata,
        target,
        at: plan.at,
        concurrency: o.concurrency,
      });
      counts.puts += applied.puts;
      counts.deletes += applied.deletes;
      counts.skipped += applied.skipped;
      journal.markPartDone(ids[i]);
      await journal.flush();
      await o.onWindow?.(table, windows[i], applied);
    }
    await journal.verified(await countItems(o.dynamodb as DynamoDBClient, target));
  } catch (e) {
    await journal.failed((e as Error).message);
    throw e;
  }
  return { target, windows: ids, ...counts };
}
