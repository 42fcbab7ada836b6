/**
 * Folder lambda/store/: reading and writing backup sets in S3 (generic S3 I/O, the export reader,
 * the manifest writer, the catalog). May import format/ and shared/ only.
 *
 * The catalog of backup sets in a bucket: which sets exist, which are complete.
 *
 * A set is complete when its `metadata.json` exists (the commit marker, written last), failed
 * when it has `failure.json`, and incomplete otherwise (a run still going, an export still
 * pending, or a run killed half-way). Sets are found by listing `backups/` by prefix, without a
 * delimiter (see s3-io.ts for why).
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BACKUPS_PREFIX, BackupFailure, BackupMetadata, FAILURE_FILE, METADATA_FILE, TIERS, Tier, backupSetPrefix, parseBackupId } from '../format/backup-set';
import { getJson, getJsonIfExists, listObjects } from './s3-io';

/** One backup set as the catalog sees it. */
export interface BackupSetSummary {
  readonly backupId: string;
  readonly tier: Tier;
  /** `backups/<tier>/<backupId>/` */
  readonly prefix: string;
  readonly startedAt: Date;
  readonly status: 'complete' | 'incomplete' | 'failed';
  /** Present when complete. */
  readonly metadata?: BackupMetadata;
  /** Present when failed. */
  readonly failure?: BackupFailure;
}

/** Options of {@link listBackupSets}. */
export interface ListBackupSetsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - every tier */
  readonly tier?: Tier;
  /** Only sets started strictly before this time. @default - no limit */
  readonly before?: Date;
}

/** Reads and parses a JSON object (re-exported for the CLI and other core modules). */
export async function readJson<T = unknown>(s3: S3Client, bucket: string, key: string): Promise<T> {
  return getJson<T>(s3, bucket, key);
}

interface SetKeys {
  tier: Tier;
  backupId: string;
  hasMetadata: boolean;
  hasFailure: boolean;
}

/** Splits `backups/<tier>/<backupId>/<rest>`; undefined for keys outside the layout. */
function parseSetKey(key: string): { tier: Tier; backupId: string; rest: string } | undefined {
  if (!key.startsWith(BACKUPS_PREFIX)) return undefined;
  const [tier, backupId, ...rest] = key.slice(BACKUPS_PREFIX.length).split('/');
  if (!(TIERS as readonly string[]).includes(tier) || !backupId || rest.length === 0) return undefined;
  try {
    parseBackupId(backupId);
  } catch {
    return undefined;
  }
  return { tier: tier as Tier, backupId, rest: rest.join('/') };
}

/** Every backup set in the bucket, newest first (ties: tier order). */
export async function listBackupSets(opts: ListBackupSetsOptions): Promise<BackupSetSummary[]> {
  const prefix = opts.tier ? `${BACKUPS_PREFIX}${opts.tier}/` : BACKUPS_PREFIX;
  const sets = new Map<string, SetKeys>();
  for await (const o of listObjects(opts.s3, opts.bucket, prefix)) {
    const parsed = o.Key ? parseSetKey(o.Key) : undefined;
    if (!parsed) continue;
    const id = `${parsed.tier}/${parsed.backupId}`;
    const entry = sets.get(id) ?? { tier: parsed.tier, backupId: parsed.backupId, hasMetadata: false, hasFailure: false };
    if (parsed.rest === METADATA_FILE) entry.hasMetadata = true;
    if (parsed.rest === FAILURE_FILE) entry.hasFailure = true;
    sets.set(id, entry);
  }
  const wanted = [...sets.values()].filter((s) => !opts.before || parseBackupId(s.backupId).getTime() < opts.before.getTime());
  const summaries = await Promise.all(wanted.map((s) => summarize(opts.s3, opts.bucket, s)));
  return summaries.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier));
}

async function summarize(s3: S3Client, bucket: string, s: SetKeys): Promise<BackupSetSummary> {
  const prefix = backupSetPrefix(s.tier, s.backupId);
  const base = { backupId: s.backupId, tier: s.tier, prefix, startedAt: parseBackupId(s.backupId) };
  if (s.hasMetadata) {
    const metadata = await getJson<BackupMetadata>(s3, bucket, `${prefix}${METADATA_FILE}`);
    // A metadata.json that does not say success is not a commit marker.
    if (metadata.success === true) return { ...base, status: 'complete', metadata };
  }
  if (s.hasFailure) {
    const failure = await getJson<BackupFailure>(s3, bucket, `${prefix}${FAILURE_FILE}`);
    return { ...base, status: 'failed', failure };
  }
  return { ...base, status: 'incomplete' };
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
 * Finds one backup set. `latest` is the newest COMPLETE set (`<tier>/latest`: of that tier; with
 * `tables`: that holds them all); a backupId may be of any status (validate and restore decide
 * what to do with an incomplete one).
 */
export async function resolveBackupSet(opts: ResolveBackupSetOptions): Promise<BackupSetSummary> {
  const ref = opts.ref.trim();
  const latestIn = /^(?:([a-z]+)\/)?latest$/.exec(ref);
  if (latestIn) {
    const tier = latestIn[1] as Tier | undefined;
    if (tier && !TIERS.includes(tier))
      throw new Error(`unknown tier "${tier}" in "${ref}": use one of ${TIERS.join(', ')} (e.g. daily/latest), or plain latest`);
    const wanted = opts.tables ?? [];
    const sets = await listBackupSets({ s3: opts.s3, bucket: opts.bucket, tier });
    const latest = sets.find((s) => s.status === 'complete' && wanted.every((t) => s.metadata?.tables.includes(t)));
    if (!latest) {
      const where = `${tier ? `tier "${tier}" of ` : ''}s3://${opts.bucket}/${BACKUPS_PREFIX}`;
      if (wanted.length && sets.some((s) => s.status === 'complete'))
        throw new Error(`no complete backup set in ${where} holds table(s) ${wanted.join(', ')}: check the table names, or pass a backup id from "dr list"`);
      throw new Error(`no complete backup set in ${where}: run "dr backup" (or wait for the scheduled backup), then "dr list"`);
    }
    return latest;
  }
  const [tierPart, idPart] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  parseBackupId(idPart);
  const tiers = tierPart ? [tierPart as Tier] : TIERS;
  for (const tier of tiers) {
    const found = await summarizeOne(opts.s3, opts.bucket, tier, idPart);
    if (found) return found;
  }
  throw new Error(`no backup set "${ref}" in s3://${opts.bucket}/${BACKUPS_PREFIX}: run "dr list" to see the backup ids`);
}

/** One set by tier and id, or undefined when nothing is stored under its prefix. */
async function summarizeOne(s3: S3Client, bucket: string, tier: Tier, backupId: string): Promise<BackupSetSummary | undefined> {
  const prefix = backupSetPrefix(tier, backupId);
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
  if (!page.Contents?.length) return undefined;
  const hasMetadata = (await getJsonIfExists<unknown>(s3, bucket, `${prefix}${METADATA_FILE}`)) !== undefined;
  const hasFailure = !hasMetadata && (await getJsonIfExists<unknown>(s3, bucket, `${prefix}${FAILURE_FILE}`)) !== undefined;
  return summarize(s3, bucket, { tier, backupId, hasMetadata, hasFailure });
}
