/**
 * Where a drill runs. The scenarios are the same everywhere; only this differs:
 *
 * - local: DynamoDB Local + s3rver on free loopback ports (a second DynamoDB Local stands in for
 *   the recovery region, a second bucket for the CRR replica);
 * - aws: the recovery region, scratch tables `<app>-drill-<time>-<table>` deleted afterwards, two
 *   scratch buckets given by the operator, named `<app>-drill-*` (never the production backup
 *   buckets: they are object-locked). Everything it touches starts with `<app>-drill-`, which is
 *   all `<app>-dr-operator-drill` grants (lib/constructs/drill-operator-policy.ts).
 */
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { DrConfig, TableConfig } from '../../lib/config';
import { drillScratchPrefix, operatorDrillPolicyName } from '../../lib/config-names';
import { createDynamoDbClient, createS3Client } from '../../lambda/shared/clients';
import type { TableSchema } from '../../lambda/format/backup-set';
import { createTableFromSchema } from '../../lambda/restore/tables';
import { LocalServers, startLocalServers } from '../support/local-servers';
import type { EngineSettings } from '../../lambda/restore/engines/engine-types';
import { installEngineStandIns } from './standins/engine-standins';

/** The recovery region as a drill sees it. */
export interface RecoveryTarget {
  readonly dynamodb: DynamoDBClient;
  /** Suffix of restored tables there; '' = the original names (recreated from the saved schema). */
  readonly suffix: string;
}

/** Everything environment-specific of a drill. */
export interface DrillEnvironment {
  readonly mode: 'local' | 'aws';
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /** Bucket the drill's backups go to. */
  readonly bucket: string;
  /** Bucket standing in for the recovery-region replica (objects copied into it, as CRR would). */
  readonly replicaBucket: string;
  /** Prefix of every table the drill creates. */
  readonly tablePrefix: string;
  /**
   * How restores load tables here. Local: `auto` with the LOCAL STAND-IN answering ImportTable /
   * bulk put over DynamoDB Local (cli/drill/standins/); aws: DynamoDB's own APIs.
   */
  readonly engines: EngineSettings;
  /** One line for the report: what answered import / bulk put. */
  readonly engineNote: string;
  /** Environment of the backup handler (endpoints, region, STATE_TABLE: its slot table, created by runDrill) besides APP_NAME/BACKUP_BUCKET/TABLES. */
  readonly handlerEnv: Record<string, string>;
  /** The recovery region's DynamoDB (started on first use locally; later calls return the same). */
  recovery(): Promise<RecoveryTarget>;
  /** Deletes scratch resources / stops servers. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Options of {@link localEnvironment}. */
export interface LocalEnvironmentOptions {
  /** Servers already running (tests start one pair per file). @default - started here and stopped by cleanup() */
  readonly servers?: LocalServers;
  /** @default '' */
  readonly tablePrefix?: string;
  /** @default 'drill-backups' */
  readonly bucket?: string;
}

/** A local environment: DynamoDB Local + s3rver. Sets the SDK endpoint variables in process.env. */
export async function localEnvironment(opts: LocalEnvironmentOptions = {}): Promise<DrillEnvironment> {
  const servers = opts.servers ?? (await startLocalServers({ applyToProcessEnv: true }));
  const owned = !opts.servers;
  // The backup handler builds its clients from process.env when first imported.
  Object.assign(process.env, servers.env);
  const dynamodb = createDynamoDbClient();
  const s3 = createS3Client();
  // No emulator has ImportTable / bulk put: the stand-in plays their life cycle over DynamoDB Local.
  installEngineStandIns(dynamodb, s3);
  const bucket = opts.bucket ?? 'drill-backups';
  const replicaBucket = `${bucket}-replica`;
  for (const b of [bucket, replicaBucket]) await s3.send(new CreateBucketCommand({ Bucket: b }));
  let recovery: Promise<RecoveryTarget> | undefined;
  let stopped = false;
  return {
    mode: 'local',
    dynamodb,
    s3,
    bucket,
    replicaBucket,
    tablePrefix: opts.tablePrefix ?? '',
    handlerEnv: { ...servers.env, ENGINE: 'scan', SCAN_SEGMENTS: '8', STATE_TABLE: `${opts.tablePrefix ?? ''}dr-state` },
    engines: { standIns: true, pollSeconds: 0.1 },
    engineNote:
      'import and bulk put were answered by the LOCAL STAND-IN (cli/drill/standins/engine-standins.ts: DynamoDB Local + s3rver playing the DescribeImport / DescribeBulkOperation life cycle), not by DynamoDB',
    recovery() {
      // Memoised promise: the drill starts it early, in parallel with seeding (a JVM takes seconds).
      recovery ??= servers.startExtraDynamoDb().then((endpoint) => {
        const client = new DynamoDBClient({
          endpoint,
          region: 'eu-central-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 10,
        });
        installEngineStandIns(client, s3);
        return { dynamodb: client, suffix: '' };
      });
      return recovery;
    },
    async cleanup() {
      if (stopped) return;
      stopped = true;
      // A recovery DynamoDB still starting would outlive stop(): let it finish first.
      await recovery?.catch(() => undefined);
      if (owned) await servers.stop();
    },
  };
}

/** Options of {@link awsEnvironment}. */
export interface AwsEnvironmentOptions {
  readonly config: DrConfig;
  /** Scratch bucket in the recovery region for the drill's backups (not the object-locked backup bucket). */
  readonly bucket: string;
  /** Second scratch bucket standing in for the replica. */
  readonly replicaBucket: string;
  readonly profile?: string;
  /** @default - `<app>-drill-<time>-` */
  readonly tablePrefix?: string;
}

/**
 * The recovery region of a real account, scratch tables only. Cannot be exercised without an
 * AWS account: the tests check its arguments only.
 */
export function awsEnvironment(opts: AwsEnvironmentOptions): DrillEnvironment {
  if (opts.bucket === opts.replicaBucket) throw new Error('the drill needs two different scratch buckets: --bucket and --replica-bucket are the same');
  const region = opts.config.recovery.region;
  const scratch = drillScratchPrefix(opts.config);
  const foreign = [opts.bucket, opts.replicaBucket].filter((b) => !b.startsWith(scratch));
  if (foreign.length)
    throw new Error(
      `dr drill on AWS writes only to scratch buckets named ${scratch}* (all that ${operatorDrillPolicyName(opts.config)} grants): ${foreign.map((b) => `"${b}"`).join(' and ')} ${foreign.length > 1 ? 'are' : 'is'} not; create two empty buckets in ${region}, e.g. ${scratch}backups and ${scratch}replica, and pass them as --bucket and --replica-bucket`,
    );
  const dynamodb = createDynamoDbClient({ region, profile: opts.profile });
  const s3 = createS3Client({ region, profile: opts.profile });
  const tablePrefix =
    opts.tablePrefix ??
    `${scratch}${new Date()
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}-`;
  let cleaned = false;
  return {
    mode: 'aws',
    dynamodb,
    s3,
    bucket: opts.bucket,
    replicaBucket: opts.replicaBucket,
    tablePrefix,
    // The slot table is a scratch table too (runDrill creates it; cleanup deletes it with the prefix).
    handlerEnv: {
      AWS_REGION: region,
      ENGINE: 'scan',
      SCAN_SEGMENTS: '8',
      STATE_TABLE: `${tablePrefix}dr-state`,
      ...(opts.profile ? { AWS_PROFILE: opts.profile } : {}),
    },
    // One region only: the "recovery region" copies get their own suffix next to the scratch tables.
    recovery: async () => ({ dynamodb, suffix: '-dr' }),
    engines: {},
    engineNote: "import and bulk put are DynamoDB's own ImportTable / StartBulkPutItems",
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await deleteTablesWithPrefix(dynamodb, tablePrefix);
    },
  };
}

/** Deletes every table whose name starts with `prefix` (the drill's scratch tables). */
export async function deleteTablesWithPrefix(dynamodb: DynamoDBClient, prefix: string): Promise<string[]> {
  if (!prefix) throw new Error('refusing to delete tables without a prefix');
  const names: string[] = [];
  let start: string | undefined;
  do {
    const res = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    names.push(...(res.TableNames ?? []).filter((n) => n.startsWith(prefix)));
    start = res.LastEvaluatedTableName;
  } while (start);
  for (const n of names) await dynamodb.send(new DeleteTableCommand({ TableName: n }));
  return names;
}

/**
 * The saved-schema shape of a config table (pure, for tests): keys, GSIs (projection ALL),
 * on-demand, TTL; so the drill creates its tables the way a restore creates them.
 */
export function schemaFromConfig(t: TableConfig): TableSchema {
  if (!t.partitionKey) throw new Error(`table "${t.name}" has no partitionKey in the config: the drill cannot create it`);
  const attrs = new Map<string, 'S' | 'N' | 'B'>();
  const add = (k?: { name: string; type: 'S' | 'N' | 'B' }) => k && attrs.set(k.name, k.type);
  add(t.partitionKey);
  add(t.sortKey);
  t.globalSecondaryIndexes.forEach((g) => (add(g.partitionKey), add(g.sortKey)));
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    keySchema: keySchema(t.partitionKey, t.sortKey),
    attributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    globalSecondaryIndexes: t.globalSecondaryIndexes.map((g) => ({
      IndexName: g.indexName,
      KeySchema: keySchema(g.partitionKey, g.sortKey),
      Projection: { ProjectionType: 'ALL' },
    })),
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    ttlAttribute: t.timeToLiveAttribute,
  };
}

/** Creates a config table (and its TTL where the endpoint supports it); returns warnings. */
export function createConfigTable(dynamodb: DynamoDBClient, t: TableConfig, name: string): Promise<string[]> {
  return createTableFromSchema(dynamodb, name, schemaFromConfig(t));
}
