/**
 * Which engine loads a table, and the checks that refuse a bad choice before any request is sent:
 * `--engine import` into a table that exists, `--engine bulk` into one that does not, a negative
 * threshold, a set whose data files are not gzip DynamoDB JSON, more data files than one operation
 * accepts.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TableBackupRecord } from '../../format/backup-set';
import { readManifest } from '../../store/export-reader';
import { RestoreRefusedError } from '../types';
import { DEFAULT_IMPORT_THRESHOLD_BYTES, EngineSettings, MAX_ENGINE_S3_OBJECTS, RestoreEngineChoice, RestoreEngineName, ENGINE_CHOICES } from './engine-types';

/** Loopback hosts: an endpoint on one of them is an emulator (DynamoDB Local), never AWS. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)$/i;

/**
 * True when the SDK's DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL) is on a
 * loopback host: DynamoDB Local, which has neither ImportTable nor bulk put.
 */
export function isLocalDynamoDbEndpoint(env: NodeJS.ProcessEnv = process.env): boolean {
  const url = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  if (!url) return false;
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Checks an `--engine` value; returns it typed. */
export function parseEngineChoice(value: string | undefined, setting = '--engine'): RestoreEngineChoice {
  if (value === undefined) return 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(value))
    throw new RestoreRefusedError(`${setting} must be one of ${ENGINE_CHOICES.join(', ')} (got "${value}")`);
  return value as RestoreEngineChoice;
}

/** Checks `restore.importThresholdBytes` (also enforced by the config schema at synth). */
export function importThreshold(settings: EngineSettings): number {
  const v = settings.importThresholdBytes ?? DEFAULT_IMPORT_THRESHOLD_BYTES;
  if (!Number.isFinite(v) || v < 0)
    throw new RestoreRefusedError(
      `restore.importThresholdBytes must be 0 or more (got ${v}): it is the table size above which "auto" uses DynamoDB's import / bulk put; use 0 to always use them, or leave it out for ${DEFAULT_IMPORT_THRESHOLD_BYTES} (1 GiB)`,
    );
  return v;
}

/** Checks the bulk put rate cap. */
export function bulkWriteUnits(settings: EngineSettings): number {
  const v = settings.maxWriteRequestUnits ?? 1024;
  // "The value must be at least 1,024" (StartBulkPutItems API reference, MaxWriteRequestUnits).
  if (!Number.isInteger(v) || v < 1024)
    throw new RestoreRefusedError(`--max-write-units must be a whole number of at least 1024 (got ${v}): StartBulkPutItems refuses less`);
  return v;
}

/** What `auto` needs to know about one table. */
export interface EngineChoiceInput {
  /** Uncompressed bytes of the table in the set (metadata `bytes`). */
  readonly bytes: number;
  /** The target exists (--into-existing). */
  readonly intoExisting: boolean;
  /** Local secondary indexes in the saved schema: ImportTable cannot create them. */
  readonly localSecondaryIndexes?: number;
  /** Gzipped bytes of the table's data files (metadata `storedBytes`): what ImportTable's size quota counts. */
  readonly storedBytes?: number;
  /** The region the restore runs in (ImportTable's size quota depends on it). @default - not checked */
  readonly region?: string;
}

/** Regions where ImportTable accepts 15 TB of source objects at a time (1 TB elsewhere). */
const IMPORT_15TB_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/**
 * ImportTable's limit on the source objects of imports running at a time: "up to 15 TB ... in
 * us-east-1, us-west-2, and eu-west-1, and 1 TB in all other regions" (DynamoDB developer guide,
 * "Import format quotas and validation"), in decimal terabytes.
 */
export function importSourceLimitBytes(region: string): number {
  return (IMPORT_15TB_REGIONS.includes(region) ? 15 : 1) * 1e12;
}

/** Why a table is too big for one import in `region`, or undefined when it fits (or is unknown). */
function overImportLimit(t: EngineChoiceInput): string | undefined {
  if (!t.region || t.storedBytes === undefined) return undefined;
  const limit = importSourceLimitBytes(t.region);
  if (t.storedBytes <= limit) return undefined;
  return `its data files are ${t.storedBytes} bytes, over ImportTable's ${limit / 1e12} TB limit in ${t.region} (DynamoDB developer guide, "Import format quotas and validation")`;
}

/** An engine and why it was chosen (shown by --dry-run and the plan). */
export interface EngineDecision {
  readonly engine: RestoreEngineName;
  readonly reason: string;
}

/**
 * The engine for one table. `auto`: `write` below the threshold and wherever the endpoint is
 * local (no emulator has import or bulk put, unless the drill's stand-ins answer them); above it
 * `import` for a new table (`write` if it has LSIs, which ImportTable cannot create) and `write`
 * for an existing one (never `bulk`: {@link BULK_IAM_CAVEAT}). An explicit engine is returned as asked (checkEngineTarget refuses a
 * wrong one).
 */
export function decideEngine(t: EngineChoiceInput, settings: EngineSettings, env: NodeJS.ProcessEnv = process.env): EngineDecision {
  const choice = settings.engine ?? 'auto';
  const threshold = importThreshold(settings);
  if (choice !== 'auto') {
    const over = choice === 'import' ? overImportLimit(t) : undefined;
    if (over) throw new RestoreRefusedError(`--engine import cannot load this table: ${over}; use --engine write or auto`);
    if (choice === 'import' && (t.localSecondaryIndexes ?? 0) > 0)
      throw new RestoreRefusedError(
        '--engine import cannot restore a table with local secondary indexes: ImportTable has no way to create them (TableCreationParameters holds GSIs only); use --engine write or auto',
      );
    return { engine: choice, reason: `--engine ${choice}` };
  }
  if (isLocalDynamoDbEndpoint(env) && !settings.standIns)
    return { engine: 'write', reason: 'auto: the DynamoDB endpoint is local (no emulator has import or bulk put)' };
  const size = `${t.bytes} bytes ${t.bytes > threshold ? '>' : '<='} restore.importThresholdBytes ${threshold}`;
  if (t.bytes <= threshold) return { engine: 'write', reason: `auto: ${size}` };
  // Bulk put's IAM action names are unpublished (BULK_IAM_CAVEAT): auto never chooses it.
  if (t.intoExisting) return { engine: 'write', reason: `auto: ${size}, existing table: write (auto never picks bulk put: ${BULK_IAM_CAVEAT})` };
  if ((t.localSecondaryIndexes ?? 0) > 0)
    return { engine: 'write', reason: `auto: ${size}, but the table has local secondary indexes, which ImportTable cannot create` };
  const over = overImportLimit(t);
  if (over) return { engine: 'write', reason: `auto: ${size}, but ${over}` };
  return { engine: 'import', reason: `auto: ${size}, new table` };
}

/**
 * Why `auto` never picks bulk put, and what `--engine bulk` prints: the IAM action names
 * (dynamodb:StartBulkPutItems, DescribeBulkOperation, CancelBulkOperation) and a bulk-operation
 * resource type are in no published Service Authorization Reference, and IAM accepts unknown
 * action names silently, so the operator policy's grant for them is unproven
 * (docs/restore-engines.md "Bulk put: IAM names unproven").
 */
export const BULK_IAM_CAVEAT =
  "bulk put's IAM action names are not in AWS's Service Authorization Reference yet, so the operator policy's grant for them is unproven; if DynamoDB answers AccessDenied, restore with --engine write";

/** {@link decideEngine}'s engine alone. */
export function chooseEngine(t: EngineChoiceInput, settings: EngineSettings, env: NodeJS.ProcessEnv = process.env): RestoreEngineName {
  return decideEngine(t, settings, env).engine;
}

/** Refuses an engine that cannot load this target (before any request). */
export function checkEngineTarget(engine: RestoreEngineName, target: string, exists: boolean): void {
  if (engine === 'import' && exists)
    throw new RestoreRefusedError(
      `--engine import cannot load "${target}": the table exists, and ImportTable only creates a new table; use --engine bulk (existing table) or a --suffix that names a new table`,
    );
  if (engine === 'bulk' && !exists)
    throw new RestoreRefusedError(
      `--engine bulk cannot load "${target}": the table does not exist, and StartBulkPutItems only writes into an existing table; use --engine import (creates it) or create it first`,
    );
}

/** gzip's magic bytes (RFC 1952, section 2.3.1: ID1 = 31, ID2 = 139). */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Refuses a table whose data files ImportTable / bulk put could not read as the request says
 * (DYNAMODB_JSON, GZIP): the manifest's outputFormat must be DYNAMODB_JSON, the files must end in
 * `.json.gz`, the first one must start with gzip's magic bytes, and there must be at most 50,000.
 * Reads two manifests and two bytes; writes nothing.
 */
export async function checkEngineInput(s3: S3Client, bucket: string, source: string, td: TableBackupRecord): Promise<void> {
  const where = `s3://${bucket}/${td.exportFolder}`;
  const manifest = await readManifest(s3, bucket, td.exportFolder);
  if (manifest.summary.outputFormat !== 'DYNAMODB_JSON')
    throw new RestoreRefusedError(
      `table "${source}": ${where}manifest-summary.json says outputFormat ${manifest.summary.outputFormat}; import and bulk put are asked for DYNAMODB_JSON: restore with --engine write, or from a set in DynamoDB JSON`,
    );
  const notGz = manifest.entries.filter((e) => !e.dataFileS3Key.endsWith('.json.gz'));
  if (notGz.length)
    throw new RestoreRefusedError(
      `table "${source}": data file ${notGz[0].dataFileS3Key} is not a .json.gz file (${notGz.length} such): import and bulk put are asked for GZIP DynamoDB JSON; restore with --engine write`,
    );
  if (manifest.entries.length > MAX_ENGINE_S3_OBJECTS)
    throw new RestoreRefusedError(
      `table "${source}" has ${manifest.entries.length} data files; one import / bulk put reads at most ${MAX_ENGINE_S3_OBJECTS} S3 objects (DynamoDB quota): restore with --engine write`,
    );
  const first = manifest.entries[0];
  if (!first) return;
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: first.dataFileS3Key, Range: 'bytes=0-1' }));
  const head = Buffer.from(await res.Body!.transformToByteArray()).subarray(0, 2);
  if (head.length < 2 || head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1])
    throw new RestoreRefusedError(
      `table "${source}": s3://${bucket}/${first.dataFileS3Key} does not start with gzip's magic bytes (1f 8b; got ${head.toString('hex') || 'nothing'}): DynamoDB would fail the import on it; validate the set ("dr validate") and restore with --engine write`,
    );
}
