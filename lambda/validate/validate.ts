/**
 * Folder lambda/validate/: checking a backup set without writing anything. May import store/,
 * format/ and shared/.
 *
 * Validation of a backup set: every data file is read back and checked against metadata.json
 * (sha256, item count) and the export manifest (md5, item count); every line must parse as
 * DynamoDB JSON; the schema must be present; counts are compared with the previous complete
 * set (drift over 25% is a warning, not a failure: shops do grow).
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BACKUPS_PREFIX, BackupMetadata, DataFileRecord, FAILURE_FILE, METADATA_FILE, ManifestFileEntry, TableBackupRecord } from '../format/backup-set';
import { BackupSet, BackupSetSummary, damagedSetFix, latestCompleteSet, resolveBackupSet } from '../store/catalog';
import { openDataFileBytes, readManifest } from '../store/export-reader';
import { describeError } from '../shared/errors';
import { recoveryPoint } from '../format/trusted-time';
import { LineCheck } from './line-check';
import { keyRules, type KeyRule } from '../format/item-rules';
import { isNotFound, listObjects, StreamDigest } from '../store/s3-io';
import { S3ReadError } from '../store/ranged-read';

/** Drift of count or size against the previous set above which validate warns. */
export const DRIFT_WARNING_PERCENT = 25;
/** Files read at once. */
const FILE_CONCURRENCY = 4;

/** One thing wrong, naming the object when there is one. */
export interface ValidationProblem {
  /** `s3://bucket/key` of the bad object. */
  readonly object?: string;
  readonly message: string;
}

/** Per table: what was read back. */
export interface TableValidation {
  readonly table: string;
  readonly items: number;
  readonly files: number;
  readonly storedBytes: number;
}

/** The result of {@link validateBackupSet}. */
export interface ValidationReport {
  readonly backupId: string;
  readonly tier: string;
  readonly status: BackupSetSummary['status'];
  readonly valid: boolean;
  readonly problems: ValidationProblem[];
  readonly warnings: string[];
  readonly tables: TableValidation[];
  /** The complete set compared with, if any. */
  readonly previousBackupId?: string;
  readonly durationMs: number;
}

/** Options of {@link validateBackupSet}. */
export interface ValidateOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** backupId, `<tier>/<backupId>` or `latest`. */
  readonly ref: string;
  /** Only these tables. @default - every table of the set */
  readonly tables?: string[];
  /**
   * Compare counts and sizes with the previous complete set (drift warnings). Restore turns it
   * off: it acts on `valid` only, and listing every older set costs time during an outage.
   * @default true
   */
  readonly compareWithPrevious?: boolean;
  /**
   * Read every data file back (gunzip, every line, md5, sha256, counts). Without it only the cheap
   * checks run: metadata, manifests, file lists, schema, and each data file's presence and size
   * from one listing; restore then checks each file as it streams it into the table.
   * @default true
   */
  readonly readData?: boolean;
}

/**
 * Throws a clear message when the bucket does not exist, is in another region, or holds no
 * `backups/` prefix (not a dr-stack backup bucket).
 */
export async function assertBackupBucket(s3: S3Client, bucket: string): Promise<void> {
  let count = 0;
  try {
    count = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BACKUPS_PREFIX, MaxKeys: 1 }))).KeyCount ?? 0;
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === 'NoSuchBucket') throw new Error(`bucket "${bucket}" does not exist: check --bucket / DR_BACKUP_BUCKET (stack output "BackupBucketName")`);
    if (err.name === 'PermanentRedirect' || err.name === 'AuthorizationHeaderMalformed' || err.$metadata?.httpStatusCode === 301) {
      const region = await s3.config.region().catch(() => 'the region used');
      throw new Error(`bucket "${bucket}" is not in ${region}: pass --region <the bucket's region> (the recovery bucket lives in the recovery region)`);
    }
    throw e;
  }
  if (count === 0)
    throw new Error(
      `s3://${bucket} holds nothing under "${BACKUPS_PREFIX}": it is not a dr-stack backup bucket, or no backup ran yet (check --bucket, then "dr list")`,
    );
}

const s3url = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** Validates one backup set. Never throws for a bad set: the report says what is wrong. */
export async function validateBackupSet(opts: ValidateOptions): Promise<ValidationReport> {
  const t0 = Date.now();
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: opts.ref, tables: opts.tables });
  const problems: ValidationProblem[] = [];
  const warnings: string[] = [];
  const tables: TableValidation[] = [];
  const base = { backupId: set.backupId, tier: set.tier, status: set.status };
  if (set.status === 'damaged' && set.damage) {
    problems.push({
      object: set.damage.object,
      message: `set ${set.tier}/${set.backupId} is DAMAGED: ${set.damage.reason}. Fix: ${damagedSetFix(set, opts.bucket)}`,
    });
    return { ...base, valid: false, problems, warnings, tables, durationMs: Date.now() - t0 };
  }
  if (set.status !== 'complete' || !set.metadata) {
    const why =
      set.status === 'failed'
        ? `the backup run failed: ${set.failure?.reason ?? 'see failure.json'}`
        : (set.note ?? 'metadata.json is missing: the run did not finish (or is still running)');
    problems.push({
      object: s3url(opts.bucket, `${set.prefix}${set.status === 'failed' ? FAILURE_FILE : METADATA_FILE}`),
      message: `set ${set.tier}/${set.backupId} is ${set.status}: ${why}`,
    });
    return { ...base, valid: false, problems, warnings, tables, durationMs: Date.now() - t0 };
  }
  const metadata = set.metadata;
  const wanted = opts.tables ?? metadata.tables;
  // The previous set is looked up while the files are read: it is independent of them, and its
  // listing round trips would otherwise add to every validation.
  const previousLookup = opts.compareWithPrevious === false ? Promise.resolve(undefined) : previousComplete(opts.s3, opts.bucket, set);
  previousLookup.catch(() => undefined);
  for (const t of wanted) {
    const td = metadata.tableDetails?.[t];
    if (!td) {
      problems.push({
        object: s3url(opts.bucket, `${set.prefix}${METADATA_FILE}`),
        message: `table "${t}" is not in this set (it holds ${metadata.tables.join(', ')})`,
      });
      continue;
    }
    // The counts a restore is verified against must agree with the table's own record.
    if (metadata.recordCounts?.[t] !== td.itemCount)
      problems.push({
        object: s3url(opts.bucket, `${set.prefix}${METADATA_FILE}`),
        message: `table "${t}": recordCounts says ${metadata.recordCounts?.[t]} items, tableDetails ${td.itemCount}: metadata.json was edited or damaged; restore from another set`,
      });
    tables.push(await validateTable(opts.s3, opts.bucket, metadata, td, problems, opts.readData !== false));
  }
  const previous = await previousLookup;
  if (previous?.metadata) warnings.push(...driftWarnings(metadata, previous.metadata));
  return { ...base, valid: problems.length === 0, problems, warnings, tables, previousBackupId: previous?.backupId, durationMs: Date.now() - t0 };
}

async function validateTable(
  s3: S3Client,
  bucket: string,
  metadata: BackupMetadata,
  td: TableBackupRecord,
  problems: ValidationProblem[],
  readData: boolean,
): Promise<TableValidation> {
  const result = { table: td.table, items: 0, files: 0, storedBytes: 0 };
  if (!td.schema?.keySchema?.length || !td.schema.attributeDefinitions?.length) {
    problems.push({ message: `table "${td.table}": the saved schema (key schema, attribute definitions) is missing from metadata.json` });
  }
  let entries: ManifestFileEntry[];
  try {
    const manifest = await readManifest(s3, bucket, td.exportFolder);
    entries = manifest.entries;
    if (manifest.summary.itemCount !== td.itemCount) {
      problems.push({
        object: s3url(bucket, `${td.exportFolder}manifest-summary.json`),
        message: `table "${td.table}": manifest says ${manifest.summary.itemCount} items, metadata.json ${td.itemCount}`,
      });
    }
  } catch (e) {
    problems.push({ object: s3url(bucket, td.exportFolder), message: `table "${td.table}": manifest unreadable: ${(e as Error).message}` });
    return result;
  }
  if ((metadata.recordCounts?.[td.table] ?? td.itemCount) !== td.itemCount) {
    problems.push({ message: `table "${td.table}": recordCounts says ${metadata.recordCounts[td.table]}, tableDetails ${td.itemCount}` });
  }
  const byKey = new Map(td.files.map((f) => [f.key, f]));
  for (const e of entries)
    if (!byKey.has(e.dataFileS3Key))
      problems.push({ object: s3url(bucket, e.dataFileS3Key), message: 'data file is in the manifest but not in metadata.json' });
  const manifestKeys = new Set(entries.map((e) => e.dataFileS3Key));
  for (const f of td.files)
    if (!manifestKeys.has(f.key)) problems.push({ object: s3url(bucket, f.key), message: 'data file is in metadata.json but not in the manifest' });
  if (!readData) return checkDataFileSizes(s3, bucket, td, entries, problems);
  const rules = keyRules(td.schema ?? { keySchema: [], attributeDefinitions: [] });
  for (let i = 0; i < entries.length; i += FILE_CONCURRENCY) {
    const checks = await Promise.all(entries.slice(i, i + FILE_CONCURRENCY).map((e) => checkDataFile(s3, bucket, e, byKey.get(e.dataFileS3Key), rules)));
    for (const c of checks) {
      problems.push(...c.problems);
      result.items += c.items;
      result.files += 1;
      result.storedBytes += c.bytes;
    }
  }
  if (result.items !== td.itemCount) problems.push({ message: `table "${td.table}": read back ${result.items} items, metadata.json says ${td.itemCount}` });
  return result;
}

/**
 * The cheap check of a table's data files: one listing of the export folder, each file present
 * and of the size metadata.json records (a deleted or truncated part is found before any write).
 */
async function checkDataFileSizes(
  s3: S3Client,
  bucket: string,
  td: TableBackupRecord,
  entries: ManifestFileEntry[],
  problems: ValidationProblem[],
): Promise<TableValidation> {
  const sizes = new Map<string, number>();
  for await (const o of listObjects(s3, bucket, td.exportFolder)) if (o.Key) sizes.set(o.Key, o.Size ?? 0);
  const byKey = new Map(td.files.map((f) => [f.key, f]));
  let storedBytes = 0;
  for (const e of entries) {
    const size = sizes.get(e.dataFileS3Key);
    const recorded = byKey.get(e.dataFileS3Key)?.bytes;
    if (size === undefined) problems.push({ object: s3url(bucket, e.dataFileS3Key), message: 'data file is missing' });
    else if (recorded !== undefined && size !== recorded)
      problems.push({ object: s3url(bucket, e.dataFileS3Key), message: `data file is ${size} bytes, metadata.json says ${recorded} (truncated or replaced)` });
    storedBytes += size ?? 0;
  }
  const items = entries.reduce((n, e) => n + e.itemCount, 0);
  if (items !== td.itemCount)
    problems.push({
      object: s3url(bucket, td.exportFolder),
      message: `table "${td.table}": manifest-files.json lists ${items} items, metadata.json says ${td.itemCount}`,
    });
  return { table: td.table, items, files: entries.length, storedBytes };
}

/**
 * What is wrong with a data file once it was read to the end: its digests and line count against
 * the manifest entry and metadata.json's record. Shared by validation and by the restore, which
 * checks each file as it writes it.
 */
export function dataFileProblems(
  bucket: string,
  entry: ManifestFileEntry,
  record: DataFileRecord | undefined,
  d: StreamDigest,
  items: number,
): ValidationProblem[] {
  const object = s3url(bucket, entry.dataFileS3Key);
  const problems: ValidationProblem[] = [];
  if (entry.md5Checksum && d.md5Base64 !== entry.md5Checksum)
    problems.push({ object, message: `md5 ${d.md5Base64} differs from the manifest's ${entry.md5Checksum}` });
  if (record && d.sha256Hex !== record.sha256)
    problems.push({ object, message: `sha256 differs from metadata.json (${d.bytes} bytes read, ${record.bytes} recorded)` });
  if (items !== entry.itemCount) problems.push({ object, message: `${items} items read, manifest says ${entry.itemCount}` });
  if (record && record.itemCount !== entry.itemCount)
    problems.push({ object, message: `metadata.json says ${record.itemCount} items, manifest ${entry.itemCount}` });
  return problems;
}

/** What reading one data file back found. */
export interface DataFileCheck {
  readonly items: number;
  readonly bytes: number;
  readonly problems: ValidationProblem[];
}

/**
 * Reads one data file back: gunzip, check every line (the DynamoDB JSON shape, and with `rules`
 * the table's key schema and DynamoDB's item rules: on the bytes by format/line-scan.ts, and the
 * slow way for a line the scanner refuses, which decides and says why), count, and compare md5 with the manifest entry and sha256/size/count with
 * metadata.json's record (when there is one: a bare native export has none).
 */
export async function checkDataFile(
  s3: S3Client,
  bucket: string,
  entry: ManifestFileEntry,
  record?: DataFileRecord,
  rules: readonly KeyRule[] = [],
): Promise<DataFileCheck> {
  const object = s3url(bucket, entry.dataFileS3Key);
  const problems: ValidationProblem[] = [];
  const lines = new LineCheck(rules);
  let file;
  try {
    file = await openDataFileBytes(s3, bucket, entry.dataFileS3Key);
  } catch (e) {
    return { items: 0, bytes: 0, problems: [{ object, message: isNotFound(e) ? 'data file is missing' : `data file unreadable: ${describeError(e)}` }] };
  }
  try {
    for await (const chunk of file.chunks) lines.push(chunk);
    lines.end();
    for (const o of lines.dataErrors) problems.push({ object, message: `data error: ${o}` });
    const more = lines.dataErrorCount - lines.dataErrors.length;
    if (more > 0) problems.push({ object, message: `data error: ${more} more item(s) DynamoDB would refuse` });
  } catch (e) {
    // The network kept cutting the download: not a verdict on the file (the caller reports it as a network failure).
    if (e instanceof S3ReadError) throw e;
    // A truncated or corrupted gzip stream: the checksums below say the same, this says why.
    problems.push({ object, message: `data file cannot be read to the end (truncated or corrupt): ${(e as Error).message.replace(/^s3:\/\/\S+: /, '')}` });
  }
  const { items, badLines, firstBad } = lines;
  if (badLines) problems.push({ object, message: `${badLines} line(s) are not DynamoDB JSON (first: ${firstBad})` });
  const d = file.digest();
  problems.push(...dataFileProblems(bucket, entry, record, d, items));
  return { items, bytes: d.bytes, problems };
}

/** The newest complete, sound set whose data is older than `set`'s (damaged ones skipped), read without listing every set. */
async function previousComplete(s3: S3Client, bucket: string, set: BackupSetSummary): Promise<BackupSet | undefined> {
  return latestCompleteSet({ s3, bucket, before: set.summary ? recoveryPoint(set.summary) : set.startedAt });
}

/** Percent change, or undefined when the previous value is 0. */
function changePercent(now: number, before: number): number | undefined {
  return before > 0 ? (Math.abs(now - before) / before) * 100 : undefined;
}

/** Warnings for tables whose item count or size moved more than 25% since the previous set. */
export function driftWarnings(current: BackupMetadata, previous: BackupMetadata): string[] {
  const out: string[] = [];
  for (const t of current.tables) {
    const pc = previous.recordCounts?.[t];
    if (pc === undefined) continue;
    const dc = changePercent(current.recordCounts[t] ?? 0, pc);
    if (dc !== undefined && dc > DRIFT_WARNING_PERCENT) {
      out.push(`table "${t}": ${current.recordCounts[t]} items vs ${pc} in ${previous.backupId} (${dc.toFixed(0)}% change, over ${DRIFT_WARNING_PERCENT}%)`);
    }
    const ds = changePercent(current.bytes?.[t] ?? 0, previous.bytes?.[t] ?? 0);
    if (ds !== undefined && ds > DRIFT_WARNING_PERCENT)
      out.push(`table "${t}": size ${current.bytes[t]} bytes vs ${previous.bytes[t]} in ${previous.backupId} (${ds.toFixed(0)}% change)`);
  }
  return out;
}
