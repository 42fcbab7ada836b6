/**
 * Folder lambda/store/: reading and writing backup sets in S3 (generic S3 I/O, the export reader,
 * the manifest writer, the catalog). May import format/ and shared/ only.
 *
 * The catalog of backup sets in a bucket: which sets exist, which are complete, which are
 * damaged. Cost grows with the number of SETS, not files: sets are found by listing each tier's
 * catalog entries (`backups/<tier>/_catalog/`, format/catalog-entry.ts); only sets written before
 * entries existed are found by scanning files, and that scan stops at the tier's oldest entry.
 *
 * A set is complete when its `metadata.json` exists (the commit marker, written last) and is
 * sound, failed when it has `failure.json`, incomplete otherwise (a run still going, exports
 * pending, a run killed half-way), and damaged when its metadata.json or entry cannot be read,
 * parsed or trusted. A damaged set is listed with the reason and skipped by `latest`; it never
 * stops the catalog from answering for the other sets.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BACKUPS_PREFIX, TIERS, Tier, parseBackupId } from '../format/backup-set';
import { BackupSet, BackupSetSummary, Candidate, candidateFor, findCandidates, inspect } from './catalog-sets';
import { recoveryPoint } from '../format/trusted-time';

export type { BackupSet, BackupSetSummary, SetStatus } from './catalog-sets';

/** Sets inspected at once by {@link listCatalog}. */
const INSPECT_CONCURRENCY = 16;

/** What to tell the operator about a damaged set. */
export function damagedSetFix(s: Pick<BackupSetSummary, 'tier' | 'backupId' | 'prefix'>, bucket: string): string {
  return (
    `run "dr validate ${s.tier}/${s.backupId}" for details; then delete the set (s3://${bucket}/${s.prefix} and ` +
    `s3://${bucket}/${BACKUPS_PREFIX}${s.tier}/_catalog/${s.backupId}.json) or run the backup for that slot again. Other sets are not affected`
  );
}

/** Options of {@link listBackupSets}. */
export interface ListBackupSetsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - every tier */
  readonly tier?: Tier;
  /** Only sets whose data was read strictly before this time (complete sets: their recovery point; others: their slot time). @default - no limit */
  readonly before?: Date;
  /** Also find sets that have no catalog entry by listing every file (slow: grows with files). @default false */
  readonly fullScan?: boolean;
  /**
   * Check each complete set's metadata.json is still there as committed (one HEAD per set). Off
   * for callers that only look for pending sets (the export finalizer). @default true
   */
  readonly checkCommit?: boolean;
}

/** The sets, and how many of them were found by scanning files rather than through the catalog. */
export interface CatalogListing {
  readonly sets: BackupSetSummary[];
  readonly scannedSets: number;
}

/** Every backup set in the bucket, newest first (ties: tier order), with how they were found. */
export async function listCatalog(opts: ListBackupSetsOptions): Promise<CatalogListing> {
  const { candidates, scannedSets } = await findCandidates(opts);
  const out: (BackupSet | undefined)[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const i = next++;
      out[i] = await inspect(opts.s3, opts.bucket, candidates[i], opts.checkCommit === false ? 'entry' : 'head');
    }
  };
  await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, candidates.length) }, worker));
  const sets = out.filter((s): s is BackupSet => s !== undefined && isBefore(s, opts.before));
  return { sets: sets.map(withoutMetadata), scannedSets };
}

/** True when a set's data is older than `before`: a complete set by its recovery point, any other by its slot time. */
function isBefore(s: BackupSetSummary, before: Date | undefined): boolean {
  if (!before) return true;
  const point = s.summary ? recoveryPoint(s.summary) : s.startedAt;
  return point.getTime() < before.getTime();
}

/** Every backup set in the bucket, newest first (ties: tier order). */
export async function listBackupSets(opts: ListBackupSetsOptions): Promise<BackupSetSummary[]> {
  return (await listCatalog(opts)).sets;
}

/** A listing holds summaries only: metadata.json (with every file's record) is for resolve. */
function withoutMetadata(s: BackupSet): BackupSetSummary {
  const { metadata: _metadata, ...rest } = s;
  return rest;
}

/** Options of {@link latestCompleteSet}. */
export interface LatestOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - every tier */
  readonly tier?: Tier;
  /** Only sets whose recovery point (when their data was read) is strictly before this time. @default - no limit */
  readonly before?: Date;
  /** Only a set holding every one of these tables. @default - any complete set */
  readonly tables?: readonly string[];
}

/** What {@link latestCompleteSet} found, and what it passed over on the way. */
export interface LatestResult {
  readonly set?: BackupSet;
  /** Newer sets skipped because they are damaged. */
  readonly damaged: BackupSetSummary[];
  /** True when some complete set exists but none held the tables. */
  readonly completeWithoutTables: boolean;
}

/**
 * The complete, sound set (metadata.json read and checked) with the newest RECOVERY POINT (when
 * its data was read, trusted-time.ts), not the newest slot: a slot's time is only its identity.
 * Candidates are walked by the upper bound of their recovery point (their catalog entry's write
 * time) and the walk stops once no candidate left can be newer than the best found, so it reads
 * one or two sets, not all of them. Damaged sets are skipped and reported.
 */
export async function findLatestSet(opts: LatestOptions): Promise<LatestResult> {
  const { candidates } = await findCandidates(opts);
  candidates.sort((a, b) => b.notAfter - a.notAfter || b.startedAt.getTime() - a.startedAt.getTime());
  const wanted = opts.tables ?? [];
  const holds = (tables: readonly string[]) => wanted.every((t) => tables.includes(t));
  const damaged: BackupSetSummary[] = [];
  let completeWithoutTables = false;
  let best: { set: BackupSet; point: number } | undefined;
  for (const c of candidates) {
    if (best && c.notAfter <= best.point) break;
    const s = await inspect(opts.s3, opts.bucket, c, 'read', (summary) => holds(summary.tables));
    if (s?.status === 'damaged') damaged.push(s);
    if (s?.status !== 'complete') continue;
    if (!s.metadata || !holds(s.metadata.tables)) {
      completeWithoutTables = true;
      continue;
    }
    const point = recoveryPoint(s.metadata).getTime();
    if (opts.before && point >= opts.before.getTime()) continue;
    if (!best || point > best.point) best = { set: s, point };
  }
  return { ...(best ? { set: best.set } : {}), damaged, completeWithoutTables };
}

/** The newest complete, sound set (see {@link findLatestSet}), or undefined. */
export async function latestCompleteSet(opts: LatestOptions): Promise<BackupSet | undefined> {
  return (await findLatestSet(opts)).set;
}

/** Options of {@link resolveBackupSet}. */
export interface ResolveBackupSetOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** A backupId (any tier), `<tier>/<backupId>`, `latest` (the newest complete set) or `<tier>/latest`. */
  readonly ref: string;
  /**
   * With `latest`: only a set that holds every one of these tables will do, so an ad-hoc backup
   * of one table is not picked for a restore of another. Ignored for an explicit backupId.
   * @default - any complete set
   */
  readonly tables?: readonly string[];
}

/**
 * Finds one backup set, with its metadata.json read when complete. `latest` is the newest
 * COMPLETE set (`<tier>/latest`: of that tier; with `tables`: that holds them all), skipping
 * damaged ones; a backupId may be of any status (validate and restore decide what to do with an
 * incomplete or damaged one).
 */
export async function resolveBackupSet(opts: ResolveBackupSetOptions): Promise<BackupSet> {
  const ref = opts.ref.trim();
  const latestIn = /^(?:([a-z]+)\/)?latest$/.exec(ref);
  if (latestIn) {
    const tier = latestIn[1] as Tier | undefined;
    if (tier && !TIERS.includes(tier))
      throw new Error(`unknown tier "${tier}" in "${ref}": use one of ${TIERS.join(', ')} (e.g. daily/latest), or plain latest`);
    const wanted = opts.tables ?? [];
    const found = await findLatestSet({ s3: opts.s3, bucket: opts.bucket, tier, tables: wanted });
    if (found.set) return found.set;
    const where = `${tier ? `tier "${tier}" of ` : ''}s3://${opts.bucket}/${BACKUPS_PREFIX}`;
    const skipped = found.damaged.length ? ` (${found.damaged.length} damaged set(s) skipped: see "dr list")` : '';
    if (wanted.length && found.completeWithoutTables)
      throw new Error(
        `no complete backup set in ${where} holds table(s) ${wanted.join(', ')}${skipped}: check the table names, or pass a backup id from "dr list"`,
      );
    throw new Error(`no complete backup set in ${where}${skipped}: run "dr backup" (or wait for the scheduled backup), then "dr list"`);
  }
  const [tierPart, idPart] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  if (tierPart !== undefined && !(TIERS as readonly string[]).includes(tierPart))
    throw new Error(`unknown tier "${tierPart}" in "${ref}": use one of ${TIERS.join(', ')}`);
  parseBackupId(idPart);
  const tiers = tierPart ? [tierPart as Tier] : TIERS;
  for (const tier of tiers) {
    const c: Candidate | undefined = await candidateFor(opts.s3, opts.bucket, tier, idPart);
    const found = c ? await inspect(opts.s3, opts.bucket, c, 'read') : undefined;
    if (found) return found;
  }
  throw new Error(`no backup set "${ref}" in s3://${opts.bucket}/${BACKUPS_PREFIX}: run "dr list" to see the backup ids`);
}
