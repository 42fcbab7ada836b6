/**
 * The four drill scenarios, each: break something, "detect" it, recover with the same core
 * functions `dr restore` uses, verify item by item against the expected snapshot.
 *
 * Recovery under the ORIGINAL table name (table deleted, region lost): the set is restored with
 * an empty suffix, which creates the table from the schema saved in metadata.json under its own
 * name (restore refuses a name that exists), as the runbook's `--suffix ""` does.
 */
import { AttributeValue, DeleteItemCommand, DeleteTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { listBackupSets, resolveBackupSet } from '../../lambda/store/catalog';
import { restoreBackupSet, RestoreReport, writeItems } from '../../lambda/restore/restore';
import type { EngineSettings } from '../../lambda/restore/engines/engine-types';
import { createTableFromSchema } from '../../lambda/restore/tables';
import { listObjects } from '../../lambda/store/s3-io';
import type { DrConfig } from '../../lib/config';
import type { DrillEnvironment } from './environment';
import type { ScenarioTimeline } from './timeline';
import type { ScenarioId, ScenarioResult } from './report';
import { Item, TableSnapshot, TableVerification, forEachItem, hashItem, itemKey, snapshotTable, verifyTable } from './verify';

/** Faults a test injects to prove the drill fails when a recovery is wrong. */
export interface DrillFaults {
  /** After this scenario's restore, one restored item is changed before verification. */
  readonly corruptRestoredItem?: ScenarioId;
  /** Before this scenario's restore, the first data file of the set it restores is deleted. */
  readonly deleteDataFile?: ScenarioId;
}

/** One drill table: its name in the drill and its key attribute names. */
export interface DrillTable {
  /** Name in the config (`orders`). */
  readonly source: string;
  /** Name in the drill (`<prefix>orders`). */
  readonly name: string;
  readonly keyNames: string[];
}

/** What scenarios share. */
export interface ScenarioContext {
  readonly env: DrillEnvironment;
  readonly tables: DrillTable[];
  /** Expected content (the data the good backup holds), by drill table name. */
  readonly expected: Map<string, TableSnapshot>;
  /** The good backup set, `<tier>/<backupId>`. */
  readonly goodRef: string;
  readonly faults: DrillFaults;
  /** Runs a backup through the scheduled handler (of the drill's tables, or of `tables`); returns its set. */
  backup(tables?: string[]): Promise<{ ref: string }>;
  /** The drill's --items (scenario 5 scales its own tables from it). */
  readonly items: number;
  /** A progress line. */
  step(message: string): void;
  /** How restores load tables: `auto` with the drill's threshold (and the stand-ins locally). */
  readonly engines: EngineSettings;
  /** KMS key for tables imported in the recovery region (the recovery key's alias). */
  readonly recoveryKmsKeyId?: string;
  /** The drill's config (scenario 5 reads the chains' intervals and worst cases from it). */
  readonly config: DrConfig;
  /** Table the bad-deploy scenario damages. */
  readonly badDeployTable: DrillTable;
  /** Filled by the ransomware scenario: the infection time. */
  infectedAt?: Date;
}

/** A scenario's body. */
export type Body = (rec: Recorder) => Promise<void>;

/** What a scenario body records. */
export interface Recorder {
  notes: string[];
  verification: TableVerification[];
  items: number;
  backupId?: string;
  exportTime?: string;
  tables: string[];
  /** The engine each restored table was loaded with. */
  engines: NonNullable<ScenarioResult['engines']>;
  /** The measured RPO when the scenario measures it on its own clock. @default - detection time - exportTime */
  rpoMs?: number;
  /** The scenario's timeline. @default - its full set, detection and restore on the run's clock */
  timeline?: ScenarioTimeline;
  detected(): void;
}

/** Records the engine of every table of a restore, and a note naming them. */
export function recordEngines(rec: Recorder, report: RestoreReport): void {
  for (const t of report.tables) rec.engines.push({ source: t.source, target: t.target, engine: t.engine, reason: t.engineReason, reapplied: t.reapplied });
  rec.notes.push(
    `engines: ${report.tables.map((t) => `${t.target} ${t.engine}${t.reapplied.length ? ` (re-applied: ${t.reapplied.join(', ')})` : ''}`).join('; ')}`,
  );
}

/** Runs a scenario body: detection to verified is the RTO; a thrown error fails the scenario, named. */
export async function measure(ctx: ScenarioContext, id: ScenarioId, title: string, body: Body): Promise<ScenarioResult> {
  ctx.step(`scenario ${title}`);
  let detectedAt = Date.now();
  const rec: Recorder = { notes: [], verification: [], items: 0, tables: [], engines: [], detected: () => (detectedAt = Date.now()) };
  let error: string | undefined;
  try {
    await body(rec);
  } catch (e) {
    error = (e as Error).message ?? String(e);
    ctx.step(`  ${id} failed: ${error}`);
  }
  const rtoMs = Date.now() - detectedAt;
  const passed = !error && rec.verification.length > 0 && rec.verification.every((v) => v.ok);
  const rpoMs = rec.rpoMs ?? (rec.exportTime ? Math.max(0, detectedAt - Date.parse(rec.exportTime)) : 0);
  // On the run's clock: the restored set's point to the verified restore, with a margin of 5 % on either side.
  const margin = rec.exportTime ? (detectedAt + rtoMs - Date.parse(rec.exportTime)) / 20 : 0;
  const timeline: ScenarioTimeline | undefined =
    rec.timeline ??
    (rec.exportTime
      ? {
          simulated: false,
          start: new Date(Date.parse(rec.exportTime) - margin).toISOString(),
          end: new Date(detectedAt + rtoMs + margin).toISOString(),
          fullSets: [rec.exportTime],
          windows: [],
          disaster: new Date(detectedAt).toISOString(),
          restoredPoint: rec.exportTime,
          verifiedAt: new Date(detectedAt + rtoMs).toISOString(),
        }
      : undefined);
  ctx.step(`  ${passed ? 'PASS' : 'FAIL'} ${id}: ${rec.items} items verified, RTO ${rtoMs} ms`);
  return {
    id,
    title,
    passed,
    rtoMs,
    rpoMs,
    items: rec.items,
    itemsPerSecond: rtoMs > 0 ? Math.round((rec.items * 1000) / rtoMs) : rec.items,
    backupId: rec.backupId,
    tables: rec.tables,
    verification: rec.verification,
    notes: rec.notes,
    engines: rec.engines,
    timeline,
    error,
  };
}

/** Restores `ref` into the tables' original names, which are free (the runbook's `--suffix ""`): new tables from the saved schema. */
export async function restoreUnderOriginalNames(
  dynamodb: DynamoDBClient,
  s3: S3Client,
  bucket: string,
  ref: string,
  tables: string[],
  engines?: EngineSettings,
): Promise<{ metadata: BackupMetadata; items: number; report: RestoreReport }> {
  const set = await resolveBackupSet({ s3, bucket, ref });
  if (set.status !== 'complete' || !set.metadata) throw new Error(`backup set ${ref} is ${set.status}: nothing to restore`);
  // What the runbook says: `dr restore <set> --tables <t> --suffix "" --confirm` (the name is free).
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref, tables, suffix: '', engines });
  return { metadata: set.metadata, items: report.tables.reduce((n, t) => n + t.verifiedItems, 0), report };
}

async function verifyAll(
  ctx: ScenarioContext,
  rec: Recorder,
  dynamodb: DynamoDBClient,
  tables: DrillTable[],
  nameOf: (t: DrillTable) => string,
): Promise<void> {
  for (const t of tables) {
    const v = await verifyTable(dynamodb, nameOf(t), t.keyNames, ctx.expected.get(t.name)!);
    rec.verification.push(v);
    rec.items += v.matched;
  }
}

async function injectBeforeRestore(ctx: ScenarioContext, id: ScenarioId, s3: S3Client, bucket: string, ref: string): Promise<void> {
  if (ctx.faults.deleteDataFile !== id) return;
  const set = await resolveBackupSet({ s3, bucket, ref });
  const key = Object.values(set.metadata!.tableDetails)[0].files[0].key;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  ctx.step(`  fault injected: deleted s3://${bucket}/${key}`);
}

/** The corruptRestoredItem fault: one restored item of `table` changed before verification. */
export async function injectAfterRestore(ctx: ScenarioContext, id: ScenarioId, dynamodb: DynamoDBClient, table: string): Promise<void> {
  if (ctx.faults.corruptRestoredItem !== id) return;
  let victim: Item | undefined;
  await forEachItem(dynamodb, table, (item) => (victim ??= item), 1);
  if (!victim) return;
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...victim, tampered: { S: 'fault injected by the test' } } }));
  ctx.step(`  fault injected: changed one item of ${table}`);
}

/**
 * 1. A table is deleted; the deploy pipeline recreates it empty from the saved schema (as IaC
 * would), and the latest set is restored into it (`dr restore latest --tables <t> --into-existing`):
 * over the local stand-in that is a bulk put (asked for by name: `auto` never picks it), whose
 * re-apply step adds what the empty table lacks (TTL, missing indexes).
 */
export function tableDeleted(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = ctx.tables.find((x) => x.source === 'orders') ?? ctx.tables[0];
  return measure(ctx, 'table-deleted', `Table deleted (${t.source})`, async (rec) => {
    const { dynamodb, s3, bucket } = ctx.env;
    await dynamodb.send(new DeleteTableCommand({ TableName: t.name }));
    await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: t.name });
    rec.detected();
    const latest = await resolveBackupSet({ s3, bucket, ref: 'latest' });
    const ref = `${latest.tier}/${latest.backupId}`;
    const schema = latest.metadata!.tableDetails[t.name].schema;
    // The pipeline's recreated table: keys and indexes, no TTL yet (the restore re-applies it).
    await createTableFromSchema(dynamodb, t.name, { ...schema, ttlAttribute: undefined });
    rec.notes.push(
      `DeleteTable ${t.name}; recreated empty from the schema saved in metadata.json, then dr restore latest --tables ${t.name} --into-existing --confirm`,
    );
    await injectBeforeRestore(ctx, 'table-deleted', s3, bucket, ref);
    // `auto` never picks bulk put (its IAM names are unpublished: BULK_IAM_CAVEAT); over the local
    // stand-in, where IAM plays no part, the drill asks for it by name so its path still runs.
    const engines = ctx.engines.standIns && ctx.engines.engine === undefined ? { ...ctx.engines, engine: 'bulk' as const } : ctx.engines;
    const report = await restoreBackupSet({ dynamodb, s3, bucket, ref, tables: [t.name], intoExisting: true, engines });
    recordEngines(rec, report);
    Object.assign(rec, { backupId: report.backupId, exportTime: report.exportTime, tables: [t.source] });
    await injectAfterRestore(ctx, 'table-deleted', dynamodb, t.name);
    await verifyAll(ctx, rec, dynamodb, [t], (x) => x.name);
  });
}

/** 2. A bad deploy corrupts and deletes some items of one table; that table alone is restored, compared and repaired. */
export function badDeploy(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = ctx.badDeployTable;
  return measure(ctx, 'bad-deploy', `Bad deploy corrupted ${t.source}`, async (rec) => {
    const { dynamodb, s3, bucket } = ctx.env;
    let n = 0;
    let corrupted = 0;
    let deleted = 0;
    const damage: Promise<unknown>[] = [];
    // One item in 10 is overwritten with a broken price, one in 25 deleted (at least one of each).
    const keys: Item[] = [];
    await forEachItem(dynamodb, t.name, (item) => keys.push(item));
    keys.sort((a, b) => itemKey(a, t.keyNames).localeCompare(itemKey(b, t.keyNames)));
    for (const item of keys) {
      n++;
      const Key = Object.fromEntries(t.keyNames.map((k) => [k, item[k]]));
      if (n % 25 === 2) {
        deleted++;
        damage.push(dynamodb.send(new DeleteItemCommand({ TableName: t.name, Key })));
      } else if (n % 10 === 1) {
        corrupted++;
        damage.push(
          dynamodb.send(
            new PutItemCommand({ TableName: t.name, Item: { ...item, name: { S: 'undefined' }, price: { N: '0' }, migratedBy: { S: 'deploy-4711' } } }),
          ),
        );
      }
    }
    await Promise.all(damage);
    rec.detected();
    const suffix = '-restored';
    const restored = `${t.name}${suffix}`;
    rec.notes.push(`bad deploy overwrote ${corrupted} and deleted ${deleted} of ${n} items of ${t.name}`);
    const latest = await resolveBackupSet({ s3, bucket, ref: 'latest' });
    const ref = `${latest.tier}/${latest.backupId}`;
    await injectBeforeRestore(ctx, 'bad-deploy', s3, bucket, ref);
    const report = await restoreBackupSet({ dynamodb, s3, bucket, ref, tables: [t.name], suffix, protect: false, engines: ctx.engines });
    recordEngines(rec, report);
    Object.assign(rec, { backupId: report.backupId, exportTime: report.exportTime, tables: [t.source] });
    await injectAfterRestore(ctx, 'bad-deploy', dynamodb, restored);
    // Compare the restored copy with the live table; put back what differs or is missing.
    const live = await snapshotTable(dynamodb, t.name, t.keyNames);
    const repairs: Record<string, AttributeValue>[] = [];
    await forEachItem(dynamodb, restored, (item) => {
      if (live.get(itemKey(item, t.keyNames)) !== hashItem(item)) repairs.push(item);
    });
    await writeItems(
      dynamodb,
      t.name,
      (async function* () {
        yield* repairs;
      })(),
    );
    rec.notes.push(
      `restored ${t.name} alone into ${restored} (set ${report.backupId}); compared with the live table: ${repairs.length} items differed or were missing, written back`,
    );
    await verifyAll(ctx, rec, dynamodb, [t], (x) => x.name);
    await dynamodb.send(new DeleteTableCommand({ TableName: restored }));
  });
}

/** 3. Ransomware overwrites every item of every table; a backup runs after; recovery takes the last set before the infection. */
export function ransomware(ctx: ScenarioContext): Promise<ScenarioResult> {
  return measure(ctx, 'ransomware', 'Ransomware encrypted every table', async (rec) => {
    const { dynamodb, s3, bucket } = ctx.env;
    const infectedAt = new Date();
    ctx.infectedAt = infectedAt;
    let encrypted = 0;
    for (const t of ctx.tables) {
      const victims: Item[] = [];
      await forEachItem(dynamodb, t.name, (item) => victims.push(Object.fromEntries(t.keyNames.map((k) => [k, item[k]]))));
      encrypted += await writeItems(
        dynamodb,
        t.name,
        (async function* () {
          for (const v of victims) yield { ...v, ransom: { S: `ENCRYPTED:${hashItem(v)}` }, note: { S: 'pay 2 BTC to recover' } };
        })(),
      );
    }
    const after = await ctx.backup();
    rec.detected();
    rec.notes.push(
      `${encrypted} items overwritten at ${infectedAt.toISOString()}; the next scheduled backup (${after.ref}) then saved the encrypted data, so "latest" is bad`,
    );
    const good = (await listBackupSets({ s3, bucket, before: infectedAt })).find((s) => s.status === 'complete');
    if (!good) throw new Error(`no complete backup set before ${infectedAt.toISOString()}`);
    const ref = `${good.tier}/${good.backupId}`;
    const latest = await resolveBackupSet({ s3, bucket, ref: 'latest' });
    if (latest.backupId === good.backupId) throw new Error('the post-infection backup is not the latest set: the scenario did not set up a bad latest');
    rec.notes.push(
      `"dr list --before ${infectedAt.toISOString()}" picks ${ref} (latest is ${latest.tier}/${latest.backupId}); restored into new tables <table>-clean, encrypted tables kept for forensics`,
    );
    await injectBeforeRestore(ctx, 'ransomware', s3, bucket, ref);
    const report = await restoreBackupSet({ dynamodb, s3, bucket, ref, suffix: '-clean', protect: false, engines: ctx.engines });
    recordEngines(rec, report);
    Object.assign(rec, { backupId: report.backupId, exportTime: report.exportTime, tables: ctx.tables.map((t) => t.source) });
    // The RTO is end to end: with tables restored at once it follows the slowest tables, not their sum.
    rec.notes.push(`${report.tables.length} tables restored ${report.parallelTables} at a time (largest first), in ${report.durationMs} ms`);
    await injectAfterRestore(ctx, 'ransomware', dynamodb, `${ctx.tables[0].name}-clean`);
    await verifyAll(ctx, rec, dynamodb, ctx.tables, (x) => `${x.name}-clean`);
  });
}

/** Copies every backup object to the replica bucket (what S3 CRR does; s3rver has no replication). */
export async function replicateBucket(s3: S3Client, from: string, to: string): Promise<number> {
  let n = 0;
  const inFlight: Promise<unknown>[] = [];
  for await (const o of listObjects(s3, from, 'backups/')) {
    inFlight.push(s3.send(new CopyObjectCommand({ Bucket: to, Key: o.Key!, CopySource: `${from}/${encodeURIComponent(o.Key!).replace(/%2F/g, '/')}` })));
    n++;
    if (inFlight.length >= 16) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  return n;
}

/** 4. The primary region is lost: everything restored from the replica bucket into the recovery region's DynamoDB. */
export function regionLost(ctx: ScenarioContext): Promise<ScenarioResult> {
  return measure(ctx, 'region-lost', 'Primary region lost', async (rec) => {
    const { s3, bucket, replicaBucket } = ctx.env;
    const copied = await replicateBucket(s3, bucket, replicaBucket);
    ctx.step(`  ${copied} objects copied to ${replicaBucket}; starting the recovery region's DynamoDB`);
    const recovery = await ctx.env.recovery();
    rec.detected();
    // Sets after the ransomware infection hold encrypted data: the last known-good set is restored.
    const ref = ctx.goodRef;
    rec.notes.push(
      `${copied} objects replicated to ${replicaBucket} (as CRR would); restoring ${ref} (the last known-good set) from the replica into the recovery region's DynamoDB`,
    );
    await injectBeforeRestore(ctx, 'region-lost', s3, replicaBucket, ref);
    const names = ctx.tables.map((t) => t.name);
    // The runbook: from the replica bucket, imported tables encrypted with the recovery key.
    const engines = { ...ctx.engines, kmsKeyId: ctx.recoveryKmsKeyId };
    const report =
      recovery.suffix === ''
        ? (await restoreUnderOriginalNames(recovery.dynamodb, s3, replicaBucket, ref, names, engines)).report
        : await restoreBackupSet({ dynamodb: recovery.dynamodb, s3, bucket: replicaBucket, ref, suffix: recovery.suffix, protect: false, engines });
    recordEngines(rec, report);
    const metadata = { backupId: report.backupId, exportTime: report.exportTime };
    if (ctx.recoveryKmsKeyId) rec.notes.push(`imports name the replica bucket ${replicaBucket} and encrypt with ${ctx.recoveryKmsKeyId}`);
    Object.assign(rec, { backupId: metadata.backupId, exportTime: metadata.exportTime, tables: ctx.tables.map((t) => t.source) });
    ctx.step(`  restored ${ref} into the recovery region; verifying`);
    await injectAfterRestore(ctx, 'region-lost', recovery.dynamodb, `${names[0]}${recovery.suffix}`);
    await verifyAll(ctx, rec, recovery.dynamodb, ctx.tables, (x) => `${x.name}${recovery.suffix}`);
  });
}

/** The scenarios by id, in drill order. */
/** The table scenarios; scenario 6 (uploads-encrypted, a bucket) lives in uploads-scenario.ts and joins them in run.ts. */
export const SCENARIOS: Record<Exclude<ScenarioId, 'uploads-encrypted' | 'region-lost-midday'>, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  'table-deleted': tableDeleted,
  'bad-deploy': badDeploy,
  ransomware,
  'region-lost': regionLost,
};
