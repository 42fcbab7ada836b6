/**
 * What to do with each key to bring a bucket back to its state at a time: a pure function per key
 * ({@link planKey}) and a streaming count of a whole plan ({@link countPlan}, the dry run and the
 * progress bar's total).
 *
 * Why a key with no version at the time is "unrestorable" only beyond the horizon: lifecycle
 * expires a version N days after it became noncurrent, and it became noncurrent after the time.
 * So for a time within the last N days nothing current then can have expired, and a key with no
 * version at or before the time was created after it. Beyond N days, a key whose oldest surviving
 * version is itself older than N days may have lost the one current at the time: it is named, with
 * the oldest time it can be restored to, never silently treated as "created later".
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { keyPages } from './versions';
import type { ActionCounts, ActionKind, KeyAction, KeyVersions, VersionEntry, VersionHorizon } from './types';

const DAY_MS = 86_400_000;

/** How the plan is made. */
export interface PlanContext {
  readonly at: Date;
  readonly now: Date;
  /** true: the source bucket itself is rewritten; false: the state is copied into an empty bucket. */
  readonly inPlace: boolean;
  readonly horizon: VersionHorizon;
  /** ETags the journal recorded for this restore's multipart copies, by key (their ETag differs from the source's). */
  readonly copiedEtags?: Readonly<Record<string, string>>;
  /**
   * When this restore first started (a resumed run, and the check after the copy): a version of the
   * same size written since then is this restore's copy. Needed because S3 gives SSE-KMS objects
   * and copies of multipart objects an ETag that is not the source's.
   */
  readonly restoreStartedAt?: Date;
}

/** The oldest time a restore can reach without lifecycle having expired versions: `now` − N days. */
export function horizonStart(h: VersionHorizon, now: Date): Date | undefined {
  return h.noncurrentDays === undefined ? undefined : new Date(now.getTime() - h.noncurrentDays * (h.dayMs ?? DAY_MS));
}

/** True when `entry` holds the same bytes as `target` (same version, or a copy of it). */
export function sameContent(entry: VersionEntry, target: VersionEntry, ctx: Pick<PlanContext, 'copiedEtags' | 'restoreStartedAt'> = {}): boolean {
  if (entry.deleteMarker || entry.size !== target.size) return false;
  if (entry.versionId === target.versionId) return true;
  // A single-part copy keeps the MD5 ETag; a multipart one has the ETag the journal recorded.
  if (entry.etag === target.etag && !target.etag.includes('-')) return true;
  if (ctx.copiedEtags?.[entry.key] !== undefined && entry.etag === ctx.copiedEtags[entry.key]) return true;
  return ctx.restoreStartedAt !== undefined && entry.lastModified >= ctx.restoreStartedAt;
}

/** The action for one key (its entries newest first). Pure. */
export function planKey(kv: KeyVersions, ctx: PlanContext): KeyAction {
  const { key, entries } = kv;
  const atTime = entries.find((e) => e.lastModified.getTime() <= ctx.at.getTime());
  const latest = entries.find((e) => e.isLatest) ?? entries[0];
  if (atTime && !atTime.deleteMarker) {
    if (ctx.inPlace && sameContent(latest, atTime, ctx)) return { kind: 'untouched', key, size: atTime.size };
    return { kind: 'restore', key, version: atTime };
  }
  if (!atTime) {
    const oldest = entries[entries.length - 1];
    const start = horizonStart(ctx.horizon, ctx.now);
    if (start && ctx.at < start && oldest.lastModified <= start)
      return {
        kind: 'unrestorable',
        key,
        oldestRestorable: oldest.lastModified,
        reason: `no version at ${ctx.at.toISOString()}: lifecycle expires noncurrent versions after ${ctx.horizon.noncurrentDays} days, so the version current then may be gone; the oldest state of this key is ${oldest.lastModified.toISOString()}`,
      };
  }
  // Absent at the time: in place, a key that exists now gets a delete marker; a copy leaves it out.
  if (ctx.inPlace && !latest.deleteMarker) return { kind: 'delete', key, size: latest.size };
  return { kind: 'untouched', key, size: 0 };
}

/** Counts, bytes to copy and the first keys of each action, of a whole plan. */
export interface PlanCount {
  readonly counts: ActionCounts;
  /** Bytes of the versions to copy. */
  readonly bytes: number;
  readonly firstKeys: Record<ActionKind, string[]>;
  /** The unrestorable keys (the first `sample`), each with why and the oldest time it can reach. */
  readonly unrestorable: { readonly key: string; readonly oldestRestorable: string; readonly reason: string }[];
}

/** An empty count. */
export function emptyCounts(): ActionCounts {
  return { restore: 0, delete: 0, untouched: 0, unrestorable: 0 };
}

/** Streams the plan over the bucket's listing and counts it: memory is one page and `sample` keys per action. */
export async function countPlan(s3: S3Client, bucket: string, ctx: PlanContext, opts: { prefix?: string; sample?: number } = {}): Promise<PlanCount> {
  const sample = opts.sample ?? 5;
  const counts = emptyCounts();
  const firstKeys: Record<ActionKind, string[]> = { restore: [], delete: [], untouched: [], unrestorable: [] };
  const unrestorable: PlanCount['unrestorable'][number][] = [];
  let bytes = 0;
  for await (const page of keyPages(s3, bucket, { prefix: opts.prefix })) {
    for (const kv of page.keys) {
      const a = planKey(kv, ctx);
      counts[a.kind]++;
      if (firstKeys[a.kind].length < sample) firstKeys[a.kind].push(a.key);
      if (a.kind === 'restore') bytes += a.version.size;
      if (a.kind === 'unrestorable' && unrestorable.length < sample)
        unrestorable.push({ key: a.key, oldestRestorable: a.oldestRestorable.toISOString(), reason: a.reason });
    }
  }
  return { counts, bytes, firstKeys, unrestorable };
}
