/**
 * How the catalog finds sets and reads one set's state: the candidates (from the catalog entries
 * of each tier, plus a bounded scan for sets written before entries existed) and the inspection
 * of one candidate into a {@link BackupSet}. catalog.ts builds list / resolve / latest on it.
 */
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BackupFailure, BackupMetadata, FAILURE_FILE, METADATA_FILE, TIERS, Tier, backupSetPrefix, parseBackupId } from '../format/backup-set';
import {
  CatalogEntry,
  SetSummary,
  backupIdOfEntryKey,
  catalogEntryKey,
  catalogPrefix,
  entryShapeProblem,
  READ_LATE_SUFFIX,
  metadataShapeProblem,
  summarizeMetadata,
} from '../format/catalog-entry';
import { getText, isNotFound, listObjects } from './s3-io';
import { MAX_CLOCK_SKEW_MS, MAX_READ_AFTER_SLOT_MS, MAX_SLOT_EARLINESS_MS, recoveryPoint } from '../format/trusted-time';
import { createHash } from 'node:crypto';

/** A set's state: `damaged` when its metadata.json or catalog entry cannot be trusted. */
export type SetStatus = 'complete' | 'incomplete' | 'failed' | 'damaged';

/** One backup set as the catalog sees it. */
export interface BackupSetSummary {
  readonly backupId: string;
  readonly tier: Tier;
  /** `backups/<tier>/<backupId>/` */
  readonly prefix: string;
  readonly startedAt: Date;
  readonly status: SetStatus;
  /** Present when complete: what `dr list` and `latest` need. */
  readonly summary?: SetSummary;
  /** Present when failed. */
  readonly failure?: BackupFailure;
  /** Present when damaged: the object that cannot be trusted and why. */
  readonly damage?: { readonly object: string; readonly reason: string };
  /** Why a set is incomplete, when more is known than "no metadata.json". */
  readonly note?: string;
  /** `catalog`: from its entry; `scan`: found by listing the set's files (sets written before the catalog). */
  readonly foundBy: 'catalog' | 'scan';
}

/** One set with its metadata.json read (and checked), as resolve and latest return it. */
export interface BackupSet extends BackupSetSummary {
  /** Present when complete. */
  readonly metadata?: BackupMetadata;
}

/** A set known by key only: its entry, or the state files a scan saw. */
export interface Candidate {
  readonly tier: Tier;
  readonly backupId: string;
  /** The slot's time (from the backupId): the set's identity, not its recovery point. */
  readonly startedAt: Date;
  /**
   * Epoch ms no later than which the set's data was read: its catalog entry is written after the
   * read, so the entry's LastModified (whole seconds, so + 1 s) bounds the recovery point from
   * above, and so does its slot + MAX_READ_AFTER_SLOT_MS unless the set is marked read-late.
   * Infinity when unknown (a set found by scanning files).
   */
  readonly notAfter: number;
  /** Found through its catalog entry. */
  readonly entry: boolean;
  /** From a scan: which state files exist. */
  readonly hasMetadata?: boolean;
  readonly hasFailure?: boolean;
}

/** Options of {@link findCandidates}. */
export interface FindCandidatesOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - every tier */
  readonly tier?: Tier;
  /**
   * Only sets that may hold data read strictly before this time: a slot starts no earlier than
   * MAX_SLOT_EARLINESS_MS before its time, so later slots are left out here; the caller checks
   * each complete set's recovery point. @default - no limit
   */
  readonly before?: Date;
  /**
   * List every file of every set (the cost grows with files) to find every set without an entry,
   * also runs killed between older sets. @default false - scan only below the tier's oldest
   * entry and above its newest
   */
  readonly fullScan?: boolean;
}

/** Candidates, newest first (ties: tier order), and how many were found by scanning files. */
export interface Candidates {
  readonly candidates: Candidate[];
  readonly scannedSets: number;
}

/** Finds the sets of the bucket by key alone: no object is read. */
export async function findCandidates(opts: FindCandidatesOptions): Promise<Candidates> {
  const tiers = opts.tier ? [opts.tier] : [...TIERS];
  const perTier = await Promise.all(tiers.map((t) => tierCandidates(opts, t)));
  const all = perTier.flat().filter((c) => !opts.before || c.startedAt.getTime() - MAX_SLOT_EARLINESS_MS < opts.before.getTime());
  all.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier));
  return { candidates: all, scannedSets: all.filter((c) => !c.entry).length };
}

async function tierCandidates(opts: FindCandidatesOptions, tier: Tier): Promise<Candidate[]> {
  const ids = new Map<string, number>();
  const late = new Set<string>();
  for await (const o of listObjects(opts.s3, opts.bucket, catalogPrefix(tier))) {
    if (o.Key?.endsWith(READ_LATE_SUFFIX)) late.add(o.Key.slice(catalogPrefix(tier).length, -READ_LATE_SUFFIX.length));
    const id = o.Key ? backupIdOfEntryKey(tier, o.Key) : undefined;
    if (id) ids.set(id, o.LastModified ? o.LastModified.getTime() + 1000 : Number.POSITIVE_INFINITY);
  }
  // A set's data is read before its entry is written, and within MAX_READ_AFTER_SLOT_MS of its slot unless marked read-late.
  const bound = (id: string, written: number) => (late.has(id) ? written : Math.min(written, parseBackupId(id).getTime() + MAX_READ_AFTER_SLOT_MS));
  const out: Candidate[] = [...ids].map(([backupId, written]) => ({
    tier,
    backupId,
    startedAt: parseBackupId(backupId),
    notAfter: bound(backupId, written),
    entry: true,
  }));
  // Sets without an entry: those written before the catalog existed (all older than the tier's
  // oldest entry: backupIds sort by time) and a run still going or killed before its entry
  // (newer than the newest entry). Two bounded scans of the tier's files find both: with every
  // set in the catalog, one listing call each.
  const sorted = [...ids.keys()].sort();
  const scanned = new Map<string, { hasMetadata: boolean; hasFailure: boolean }>();
  // `backups/<tier>/`
  const tierPrefix = backupSetPrefix(tier, '').slice(0, -1);
  const catalogStart = catalogPrefix(tier);
  const scan = async (startAfter: string | undefined, stopAt: string) => {
    for await (const o of listObjects(opts.s3, opts.bucket, tierPrefix, startAfter)) {
      const key = o.Key ?? '';
      if (key >= stopAt) break;
      if (!key.startsWith(tierPrefix)) continue;
      const [backupId, ...rest] = key.slice(tierPrefix.length).split('/');
      if (ids.has(backupId) || rest.length === 0 || !isBackupId(backupId)) continue;
      const s = scanned.get(backupId) ?? { hasMetadata: false, hasFailure: false };
      const file = rest.join('/');
      if (file === METADATA_FILE) s.hasMetadata = true;
      if (file === FAILURE_FILE) s.hasFailure = true;
      scanned.set(backupId, s);
    }
  };
  if (opts.fullScan || sorted.length === 0) await scan(undefined, catalogStart);
  else {
    // `<id>0` sorts after every key of set <id> (`<id>/...`: '/' < '0') and before any later set.
    await Promise.all([scan(undefined, backupSetPrefix(tier, sorted[0])), scan(`${tierPrefix}${sorted.at(-1)}0`, catalogStart)]);
  }
  for (const [backupId, s] of scanned) out.push({ tier, backupId, startedAt: parseBackupId(backupId), notAfter: Number.POSITIVE_INFINITY, entry: false, ...s });
  return out;
}

function isBackupId(s: string): boolean {
  try {
    parseBackupId(s);
    return true;
  } catch {
    return false;
  }
}

/** How deep {@link inspect} looks at a complete set. */
export type Depth =
  /** The entry only: a `complete` entry is taken at its word (the export finalizer, which looks for pending sets). */
  | 'entry'
  /** The entry, and metadata.json's size by HEAD (list: one small GET and one HEAD per set). */
  | 'head'
  /** The entry and the whole metadata.json, checked against the entry's sha256 (resolve, latest). */
  | 'read';

const s3url = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** Reads an object's text, or undefined when it does not exist. */
async function textIfExists(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    return await getText(s3, bucket, key);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function parseJson(text: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return { error: 'it is empty' };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `it is not valid JSON (${(e as Error).message})` };
  }
}

/**
 * The state of one candidate. `accept` (latest's table filter) is asked before metadata.json is
 * read: a complete set it refuses comes back with its summary only. Undefined for an entry of a
 * kind this version does not know (it is skipped), or one deleted since the listing.
 */
export async function inspect(s3: S3Client, bucket: string, c: Candidate, depth: Depth, accept?: (s: SetSummary) => boolean): Promise<BackupSet | undefined> {
  const prefix = backupSetPrefix(c.tier, c.backupId);
  const base = { backupId: c.backupId, tier: c.tier, prefix, startedAt: c.startedAt };
  if (!c.entry) return inspectScanned(s3, bucket, c, base, accept);
  const entryKey = catalogEntryKey(c.tier, c.backupId);
  const metadataKey = `${prefix}${METADATA_FILE}`;
  // With depth 'read' and no filter, metadata.json is fetched alongside the entry (one round trip).
  const early = depth === 'read' && !accept ? textIfExists(s3, bucket, metadataKey) : undefined;
  early?.catch(() => undefined);
  const text = await textIfExists(s3, bucket, entryKey);
  if (text === undefined) return undefined;
  const parsed = parseJson(text);
  const problem = parsed.error ?? entryShapeProblem(parsed.value, c.tier, c.backupId);
  const kind = (parsed.value as { kind?: unknown } | undefined)?.kind;
  if (!parsed.error && kind !== undefined && kind !== 'full') return undefined;
  const damaged = (key: string, reason: string): BackupSet => ({
    ...base,
    foundBy: 'catalog',
    status: 'damaged',
    damage: { object: s3url(bucket, key), reason },
  });
  if (problem) return damaged(entryKey, `catalog entry: ${problem}`);
  const entry = parsed.value as CatalogEntry;
  const found = { ...base, foundBy: 'catalog' as const };
  if (entry.status === 'failed') return { ...found, status: 'failed', failure: entry.failure };
  if (entry.status === 'pending') return { ...found, status: 'incomplete', note: 'native exports pending: the export-finalizer completes the set' };
  const impossible = impossiblePoint(entry.summary, c);
  if (impossible) return damaged(entryKey, impossible);
  const missing: BackupSet = {
    ...found,
    status: 'incomplete',
    note: `metadata.json is missing although the catalog entry says complete (deleted, or expired by the lifecycle rule): the set cannot be restored`,
  };
  if (accept && !accept(entry.summary)) return { ...found, status: 'complete', summary: entry.summary };
  if (depth === 'entry') return { ...found, status: 'complete', summary: entry.summary };
  if (depth === 'head') {
    let size: number | undefined;
    try {
      size = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: metadataKey }))).ContentLength;
    } catch (e) {
      if (isNotFound(e)) return missing;
      throw e;
    }
    if (size === entry.metadataBytes) return { ...found, status: 'complete', summary: entry.summary };
    // Damaged: one more read, for this set only, to say exactly what is wrong.
    const body = await textIfExists(s3, bucket, metadataKey);
    const why = body === undefined ? undefined : readMetadata(body, c.tier, c.backupId).error;
    return damaged(metadataKey, why ?? `metadata.json is ${size} bytes, but was ${entry.metadataBytes} bytes when the set was committed: it was changed since`);
  }
  const body = await (early ?? textIfExists(s3, bucket, metadataKey));
  if (body === undefined) return missing;
  const md = readMetadata(body, c.tier, c.backupId);
  if (md.error) return damaged(metadataKey, md.error);
  if (createHash('sha256').update(body).digest('hex') !== entry.metadataSha256)
    return damaged(metadataKey, 'metadata.json differs from the one committed (its sha256 is not the one the catalog entry recorded): it was changed since');
  return { ...found, status: 'complete', summary: entry.summary, metadata: md.metadata };
}

/**
 * Why a committed set's recovery point cannot be true, or undefined: its data cannot have been read
 * after its catalog entry was written, nor (without the read-late marker) more than
 * MAX_READ_AFTER_SLOT_MS after its slot ({@link Candidate.notAfter}, clock skew allowed). Such a
 * set (forged, or written by a clock far off) is damaged: trusted, it would win `latest` over
 * every newer set and stop the walk that finds the newest.
 */
function impossiblePoint(summary: SetSummary, c: Candidate): string | undefined {
  const point = recoveryPoint(summary).getTime();
  if (!Number.isFinite(c.notAfter) || Number.isNaN(point) || point <= c.notAfter + MAX_CLOCK_SKEW_MS) return undefined;
  return (
    `its recovery point (data as of ${new Date(point).toISOString()}) is later than its data can have been read ` +
    `(${new Date(c.notAfter).toISOString()}: when its catalog entry was written, or its slot + ${MAX_READ_AFTER_SLOT_MS / 60_000} min for a set not marked read-late): ` +
    'its times cannot be trusted (a forged set, or one written by a clock far off)'
  );
}

/** Parses and shape-checks a metadata.json body. */
function readMetadata(body: string, tier: Tier, backupId: string): { metadata?: BackupMetadata; error?: string; notCommit?: boolean } {
  const parsed = parseJson(body);
  if (parsed.error) return { error: `metadata.json: ${parsed.error}` };
  // A metadata.json that says success: false is not a commit marker (as before the catalog).
  if ((parsed.value as { success?: unknown })?.success === false) return { notCommit: true };
  const problem = metadataShapeProblem(parsed.value, tier, backupId);
  return problem ? { error: `metadata.json: ${problem}` } : { metadata: parsed.value as BackupMetadata };
}

/** A set found by scanning its files (written before the catalog existed): metadata.json is read. */
async function inspectScanned(
  s3: S3Client,
  bucket: string,
  c: Candidate,
  base: Pick<BackupSetSummary, 'backupId' | 'tier' | 'prefix' | 'startedAt'>,
  accept?: (s: SetSummary) => boolean,
): Promise<BackupSet> {
  const found = { ...base, foundBy: 'scan' as const };
  const metadataKey = `${base.prefix}${METADATA_FILE}`;
  const body = c.hasMetadata ? await textIfExists(s3, bucket, metadataKey) : undefined;
  if (body !== undefined) {
    const md = readMetadata(body, c.tier, c.backupId);
    if (md.error) return { ...found, status: 'damaged', damage: { object: s3url(bucket, metadataKey), reason: md.error } };
    if (md.metadata) {
      const summary = summarizeMetadata(md.metadata);
      return { ...found, status: 'complete', summary, ...(accept && !accept(summary) ? {} : { metadata: md.metadata }) };
    }
  }
  const failureKey = `${base.prefix}${FAILURE_FILE}`;
  const failureText = c.hasFailure ? await textIfExists(s3, bucket, failureKey) : undefined;
  if (failureText !== undefined) {
    const parsed = parseJson(failureText);
    const failure = parsed.value as BackupFailure | undefined;
    if (parsed.error || typeof failure?.reason !== 'string')
      return { ...found, status: 'damaged', damage: { object: s3url(bucket, failureKey), reason: `failure.json: ${parsed.error ?? 'reason is missing'}` } };
    return { ...found, status: 'failed', failure };
  }
  return { ...found, status: 'incomplete' };
}

/** The candidate for one tier and id: its entry if it has one, else what its folder holds; undefined when nothing is stored. */
export async function candidateFor(s3: S3Client, bucket: string, tier: Tier, backupId: string): Promise<Candidate | undefined> {
  const startedAt = parseBackupId(backupId);
  const prefix = backupSetPrefix(tier, backupId);
  const has = async (key: string) =>
    (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }))).Contents?.some((o) => key === prefix || o.Key === key) ?? false;
  // One round trip: the entry, the folder and its two state files are asked side by side.
  const [entry, any, hasMetadata, hasFailure] = await Promise.all([
    has(catalogEntryKey(tier, backupId)),
    has(prefix),
    has(`${prefix}${METADATA_FILE}`),
    has(`${prefix}${FAILURE_FILE}`),
  ]);
  const notAfter = Number.POSITIVE_INFINITY;
  if (entry) return { tier, backupId, startedAt, notAfter, entry: true };
  if (!any) return undefined;
  return { tier, backupId, startedAt, notAfter, entry: false, hasMetadata, hasFailure };
}
