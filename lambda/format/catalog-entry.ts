/**
 * The catalog's format: one small entry object per backup set, so that finding sets costs one
 * listing per 1,000 *sets* instead of one per 1,000 *files* (a set holds a manifest pair and the
 * data files of every table; a year of native exports is tens of thousands of keys).
 *
 * Key: `backups/<tier>/_catalog/<backupId>.json`. It lives under the tier's prefix on purpose:
 * the tier's lifecycle rule expires it with the set, the backup roles' `backups/*` grants cover
 * it, and replication (whole bucket) copies it to the replica. `_` sorts after every backupId
 * (digits), so a prefix scan of `backups/<tier>/` meets the sets before the catalog.
 *
 * Order: an entry is written strictly AFTER the file it reports (`metadata.json`, `failure.json`
 * or `pending.json`). metadata.json stays the commit marker: an entry that says `complete` for a
 * set whose metadata.json is gone is reported, never trusted. The entry records metadata.json's
 * size and sha256, so a metadata.json changed after the commit is caught.
 *
 * Later work (a one-hour RPO from incremental exports) adds entries of `kind: 'incremental'`
 * naming their base set and window; readers skip kinds they do not know.
 */
import { BACKUPS_PREFIX, BackupFailure, BackupMetadata, FORMAT_VERSION, Tier, parseBackupId } from './backup-set';

/** Folder of a tier's catalog entries, inside the tier's prefix. */
export const CATALOG_FOLDER = '_catalog/';

/** `backups/<tier>/_catalog/` */
export function catalogPrefix(tier: Tier): string {
  return `${BACKUPS_PREFIX}${tier}/${CATALOG_FOLDER}`;
}

/** `backups/<tier>/_catalog/<backupId>.json` */
export function catalogEntryKey(tier: Tier, backupId: string): string {
  return `${catalogPrefix(tier)}${backupId}.json`;
}

/**
 * `backups/<tier>/_catalog/<backupId>.read-late`: an empty marker, written before the entry, of a
 * set whose data was read long after its slot (a backfill, trusted-time.ts readLate). Without it,
 * a set's recovery point is known from its key to lie within MAX_READ_AFTER_SLOT_MS of its slot,
 * which lets `latest` stop after one or two sets.
 */
export function readLateMarkerKey(tier: Tier, backupId: string): string {
  return `${catalogPrefix(tier)}${backupId}${READ_LATE_SUFFIX}`;
}

/** Suffix of {@link readLateMarkerKey}. */
export const READ_LATE_SUFFIX = '.read-late';

/** The backupId of a catalog entry key of `tier`, or undefined for any other key. */
export function backupIdOfEntryKey(tier: Tier, key: string): string | undefined {
  const prefix = catalogPrefix(tier);
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const id = key.slice(prefix.length, -'.json'.length);
  try {
    parseBackupId(id);
    return id;
  } catch {
    return undefined;
  }
}

/** What `dr list` and `latest` need of a complete set, without its (large) file list. */
export type SetSummary = Pick<
  BackupMetadata,
  'backupId' | 'tier' | 'engine' | 'startedAt' | 'completedAt' | 'exportTime' | 'tables' | 'recordCounts' | 'totalRecords' | 'bytes' | 'totalBytes'
>;

/** The summary of a metadata.json. */
export function summarizeMetadata(m: BackupMetadata): SetSummary {
  const { backupId, tier, engine, startedAt, completedAt, exportTime, tables, recordCounts, totalRecords, bytes, totalBytes } = m;
  return { backupId, tier, engine, startedAt, completedAt, exportTime, tables, recordCounts, totalRecords, bytes, totalBytes };
}

/** Fields every entry has. */
interface EntryBase {
  readonly formatVersion: typeof FORMAT_VERSION;
  /** `full`: a set of whole-table exports. Incremental windows come later. */
  readonly kind: 'full';
  readonly backupId: string;
  readonly tier: Tier;
  readonly startedAt: string;
  readonly writtenAt: string;
}

/** A catalog entry: the set's state as of the last file the run wrote. */
export type CatalogEntry =
  | (EntryBase & {
      readonly status: 'complete';
      readonly summary: SetSummary;
      /** Byte length of metadata.json as written. */
      readonly metadataBytes: number;
      /** hex sha256 of metadata.json as written. */
      readonly metadataSha256: string;
    })
  | (EntryBase & { readonly status: 'failed'; readonly failure: BackupFailure })
  /** Native exports started; the export-finalizer completes or fails the set. */
  | (EntryBase & { readonly status: 'pending'; readonly tables: string[] });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isNumberRecord = (v: unknown): boolean => isObject(v) && Object.values(v).every((n) => typeof n === 'number');

/**
 * What is wrong with the shape of a parsed metadata.json (for the set `tier`/`backupId`), or
 * undefined when it is fit to restore from: the fields list, restore and validate rely on.
 */
export function metadataShapeProblem(v: unknown, tier: Tier, backupId: string): string | undefined {
  if (!isObject(v)) return 'it is not a JSON object';
  if (v.formatVersion !== FORMAT_VERSION) return `formatVersion is ${JSON.stringify(v.formatVersion)}, expected ${FORMAT_VERSION}`;
  if (v.backupId !== backupId) return `backupId is ${JSON.stringify(v.backupId)}, but the set's folder is ${backupId}`;
  if (v.tier !== tier) return `tier is ${JSON.stringify(v.tier)}, but the set's folder is in tier ${tier}`;
  if (v.success !== true) return `success is ${JSON.stringify(v.success)}, not true`;
  for (const f of ['startedAt', 'exportTime'] as const)
    if (typeof v[f] !== 'string' || Number.isNaN(Date.parse(v[f] as string))) return `${f} is not an ISO time`;
  if (!isStringArray(v.tables) || v.tables.length === 0) return 'tables is not a non-empty list of table names';
  if (!isNumberRecord(v.recordCounts) || !isNumberRecord(v.bytes)) return 'recordCounts or bytes is not a map of numbers';
  if (typeof v.totalRecords !== 'number' || typeof v.totalBytes !== 'number') return 'totalRecords or totalBytes is not a number';
  if (!isObject(v.tableDetails)) return 'tableDetails is missing';
  const details = v.tableDetails;
  for (const t of v.tables) {
    const d = details[t];
    if (!isObject(d) || typeof d.exportFolder !== 'string' || !Array.isArray(d.files) || !isObject(d.schema))
      return `tableDetails["${t}"] lacks exportFolder, files or schema`;
  }
  return undefined;
}

/** What is wrong with the shape of a parsed catalog entry at `tier`/`backupId`, or undefined. */
export function entryShapeProblem(v: unknown, tier: Tier, backupId: string): string | undefined {
  if (!isObject(v)) return 'it is not a JSON object';
  if (v.formatVersion !== FORMAT_VERSION) return `formatVersion is ${JSON.stringify(v.formatVersion)}, expected ${FORMAT_VERSION}`;
  if (v.backupId !== backupId || v.tier !== tier) return `it names set ${String(v.tier)}/${String(v.backupId)}, not ${tier}/${backupId}`;
  if (v.status === 'complete') {
    const s = v.summary;
    if (!isObject(s) || !isStringArray(s.tables) || typeof s.exportTime !== 'string') return 'summary lacks tables or exportTime';
    if (typeof v.metadataBytes !== 'number' || typeof v.metadataSha256 !== 'string') return 'metadataBytes or metadataSha256 is missing';
    return undefined;
  }
  if (v.status === 'failed') return isObject(v.failure) && typeof v.failure.reason === 'string' ? undefined : 'failure.reason is missing';
  if (v.status === 'pending') return isStringArray(v.tables) ? undefined : 'tables is missing';
  return `status is ${JSON.stringify(v.status)}, expected complete, failed or pending`;
}
