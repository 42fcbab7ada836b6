/**
 * The one configuration of a dr-stack deployment: `dr.config.json`.
 *
 * Loaded and validated once, by the CDK app (`bin/app.ts`), the `dr` CLI and the drill. Every
 * problem is reported at once, each naming the field, the value and the fix, so a bad config
 * fails `cdk synth` before anything is deployed.
 *
 * Strict: a key the schema does not know is an error naming its JSON path and the closest known
 * key (`tables[3].sortkey: unknown setting; did you mean "sortKey"?`), because a dropped typo
 * deploys a different table than the one intended. JSON syntax errors give line and column.
 *
 * This module imports zod only (no aws-cdk-lib), so the CLI can use it without loading CDK.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { jsonSyntaxProblem, regionSchema, strict } from './config-messages';

/** Backup tiers that run on a schedule. `adhoc` sets come from `dr backup`. */
export const SCHEDULED_TIERS = ['daily', 'weekly', 'monthly'] as const;
/** A tier that runs on a schedule. */
export type ScheduledTier = (typeof SCHEDULED_TIERS)[number];

const ACCOUNT = /^\d{12}$/;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ATTRIBUTE_NAME = /^.{1,255}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** EventBridge cron: six fields, `cron(min hour day-of-month month day-of-week year)`. */
const CRON = /^cron\((\S+\s+){5}\S+\)$/;
const RATE = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;

const environment = (label: string) =>
  strict({
    account: z
      .string()
      .regex(ACCOUNT, { message: `${label}.account must be a 12-digit AWS account id (for example "123456789012"), or left out to use the CLI's account` })
      .optional(),
    region: regionSchema(label),
  });

const keyAttribute = strict({
  name: z.string().regex(ATTRIBUTE_NAME, { message: 'attribute name must be 1-255 characters' }),
  type: z.enum(['S', 'N', 'B'], { message: 'key attribute type must be "S", "N" or "B"' }),
});

const secondaryIndex = strict({
  indexName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, { message: 'indexName must be 3-255 characters of a-z, A-Z, 0-9, _ . -' }),
  partitionKey: keyAttribute,
  sortKey: keyAttribute.optional(),
});

const rpoMinutes = z.number().int().positive({ message: 'rpoMinutes must be a positive whole number of minutes' });
const rtoMinutes = z.number().int().positive({ message: 'rtoMinutes must be a positive whole number of minutes' });
const targets = strict({ rpoMinutes, rtoMinutes });
/** Default RPO (a day: the daily backup) and RTO (four hours). */
const DEFAULT_TARGETS = { rpoMinutes: 1440, rtoMinutes: 240 };

const table = strict({
  name: z.string().regex(TABLE_NAME, { message: 'table name must be 3-255 characters of a-z, A-Z, 0-9, _ . -' }),
  /** true: the table already exists and the stack only turns PITR on; false: the stack creates it. */
  existing: z.boolean().default(false),
  partitionKey: keyAttribute.optional(),
  sortKey: keyAttribute.optional(),
  globalSecondaryIndexes: z.array(secondaryIndex).default([]),
  billingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).default('PAY_PER_REQUEST'),
  timeToLiveAttribute: z.string().optional(),
  /** Data category for the DR plan (catalogue, orders, users, ...). */
  category: z.string().min(1).default('general'),
  /** Per-table RPO/RTO; the top-level `targets` apply where this is left out. */
  targets: targets.partial().optional(),
}).superRefine((t, ctx) => {
  if (!t.existing && !t.partitionKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['partitionKey'],
      message: `table "${t.name}" is created by the stack (existing: false) and needs a partitionKey such as {"name":"id","type":"S"}; or set "existing": true for a table that already exists`,
    });
  }
});

const recipients = strict({
  emails: z.array(z.string().regex(EMAIL, { message: 'must be an email address such as "oncall@example.com"' })).default([]),
  sms: z.array(z.string().regex(E164, { message: 'must be a phone number in E.164 form such as "+447700900123"' })).default([]),
  https: z.array(z.url({ protocol: /^https$/, message: 'must be an https:// URL (PagerDuty or Opsgenie integration endpoint)' })).default([]),
}).default({ emails: [], sms: [], https: [] });

const schedule = z.string().refine((s) => CRON.test(s) || RATE.test(s), {
  message: 'must be an EventBridge expression such as "cron(0 2 * * ? *)" (six fields) or "rate(1 day)"',
});

const THRESHOLD_MESSAGE =
  'restore.importThresholdBytes must be a whole number of bytes, 0 or more: the table size above which "auto" restores use DynamoDB import / bulk put; use 0 to always use them, or leave it out for 1073741824 (1 GiB)';
const RESTORE_ENGINE_MESSAGE = `restore.engine (the weekly restore test's engine) must be "auto", "import" or "write": the test restores into new scratch tables, which bulk put cannot create`;
const retentionDays = z.number().int().min(1, { message: 'retention must be at least 1 day' }).max(36500);

/** The zod schema of `dr.config.json`. Defaults here are the documented defaults. */
export const drConfigSchema = strict({
  $schema: z.string().optional(),
  appName: z.string().regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, {
    message: 'appName must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter (it prefixes bucket, alarm and stack names)',
  }),
  primary: environment('primary'),
  recovery: environment('recovery'),
  tables: z.array(table).min(1, { message: 'tables must list at least one DynamoDB table to protect' }),
  dataBuckets: z
    .array(
      strict({
        name: z.string().regex(BUCKET_NAME, { message: 'bucket name must be 3-63 characters of lower-case letters, digits, dots and hyphens' }),
        /** Existing bucket (default) whose objects are replicated to the recovery region. */
        existing: z.boolean().default(true),
        /**
         * ARN of the KMS key the existing bucket encrypts with (SSE-KMS), in primary.region. The
         * replication role gets kms:Decrypt on it; without it only SSE-S3 and unencrypted objects
         * can be read for replication. For `aws/s3`, give that AWS-managed key's ARN.
         */
        kmsKeyArn: z.string().optional(),
        /**
         * The bucket has S3 Object Lock. Its replica then gets Object Lock too: S3 replicates
         * locked objects only into a bucket with Object Lock (and versioning).
         */
        objectLock: z.boolean().default(false),
      }),
    )
    .default([]),
  schedules: strict({
    daily: schedule.default('cron(0 2 * * ? *)'),
    weekly: schedule.default('cron(0 3 ? * SUN *)'),
    monthly: schedule.default('cron(0 4 1 * ? *)'),
  }).default({ daily: 'cron(0 2 * * ? *)', weekly: 'cron(0 3 ? * SUN *)', monthly: 'cron(0 4 1 * ? *)' }),
  retention: strict({
    dailyDays: retentionDays.default(30),
    weeklyDays: retentionDays.default(90),
    monthlyDays: retentionDays.default(365),
  }).default({ dailyDays: 30, weeklyDays: 90, monthlyDays: 365 }),
  // Each field has its own default: `"targets": { "rpoMinutes": 720 }` keeps the default RTO.
  targets: strict({ rpoMinutes: rpoMinutes.default(DEFAULT_TARGETS.rpoMinutes), rtoMinutes: rtoMinutes.default(DEFAULT_TARGETS.rtoMinutes) }).default(
    DEFAULT_TARGETS,
  ),
  objectLock: strict({
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { message: 'objectLock.mode must be "GOVERNANCE" or "COMPLIANCE"' }).default('GOVERNANCE'),
    days: z.number().int().min(1, { message: 'objectLock.days must be at least 1' }).default(7),
  }).default({ mode: 'GOVERNANCE', days: 7 }),
  onCall: strict({
    critical: recipients,
    warning: recipients,
  }).default({ critical: { emails: [], sms: [], https: [] }, warning: { emails: [], sms: [], https: [] } }),
  backup: strict({
    engine: z.enum(['auto', 'scan', 'export'], { message: 'backup.engine must be "auto", "scan" or "export"' }).default('auto'),
    /** `auto` uses the native export above this table size. */
    exportThresholdBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024 * 1024),
    /** Parallel Scan segments; 0 picks from the table size. */
    scanSegments: z.number().int().min(0).max(1000000).default(0),
    /** Uncompressed bytes per data file before a new file starts. */
    maxFileBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024),
    /** Alarm (warning) when a backup runs longer than this. */
    durationWarningMinutes: z.number().int().positive().default(60),
  }).default({ engine: 'auto', exportThresholdBytes: 1024 * 1024 * 1024, scanSegments: 0, maxFileBytes: 256 * 1024 * 1024, durationWarningMinutes: 60 }),
  restoreTest: strict({
    enabled: z.boolean().default(true),
    schedule: schedule.default('cron(0 5 ? * MON *)'),
    /** Items per table whose hashes are compared with the backup. */
    sampleSize: z.number().int().min(1).default(100),
  }).default({ enabled: true, schedule: 'cron(0 5 ? * MON *)', sampleSize: 100 }),
  // `auto` restores: import / bulk put above importThresholdBytes, BatchWriteItem below; `engine`: the restore test's.
  restore: strict({
    importThresholdBytes: z
      .number()
      .int(THRESHOLD_MESSAGE)
      .min(0, THRESHOLD_MESSAGE)
      .default(1024 * 1024 * 1024),
    engine: z.enum(['auto', 'import', 'write'], { message: RESTORE_ENGINE_MESSAGE }).default('auto'),
  }).default({ importThresholdBytes: 1024 * 1024 * 1024, engine: 'auto' }),
  /** Change of size or record count against the previous backup that raises an alarm. */
  changeThresholds: strict({
    warningPercent: z.number().positive().default(25),
    criticalPercent: z.number().positive().default(50),
  }).default({ warningPercent: 25, criticalPercent: 50 }),
  awsBackup: strict({
    enabled: z.boolean().default(true),
  }).default({ enabled: true }),
}).superRefine((c, ctx) => {
  if (c.primary.region === c.recovery.region) {
    ctx.addIssue({
      code: 'custom',
      path: ['recovery', 'region'],
      message: `recovery.region must differ from primary.region (both are ${c.primary.region}); pick a second region such as "${c.primary.region.startsWith('eu-') ? 'eu-central-1' : 'us-west-2'}"`,
    });
  }
  const seen = new Set<string>();
  c.tables.forEach((t, i) => {
    if (seen.has(t.name)) {
      ctx.addIssue({ code: 'custom', path: ['tables', i, 'name'], message: `table "${t.name}" is listed twice; list each table once` });
    }
    seen.add(t.name);
    const rpo = t.targets?.rpoMinutes;
    if (rpo !== undefined && rpo < 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['tables', i, 'targets', 'rpoMinutes'],
        message: `tables[${i}] ("${t.name}") targets.rpoMinutes (${rpo}) is below one hour; scheduled backups cannot meet it (PITR covers seconds-level recovery): use at least 60`,
      });
    }
  });
  const r = c.retention;
  if (!(r.dailyDays <= r.weeklyDays && r.weeklyDays <= r.monthlyDays)) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention'],
      message: `retention must grow with the tier: dailyDays (${r.dailyDays}) <= weeklyDays (${r.weeklyDays}) <= monthlyDays (${r.monthlyDays})`,
    });
  }
  if (c.objectLock.days > r.dailyDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['objectLock', 'days'],
      message: `objectLock.days (${c.objectLock.days}) must not exceed retention.dailyDays (${r.dailyDays}): locked daily backups could not expire; lower objectLock.days or raise retention.dailyDays`,
    });
  }
  if (c.changeThresholds.warningPercent >= c.changeThresholds.criticalPercent) {
    ctx.addIssue({
      code: 'custom',
      path: ['changeThresholds'],
      message: `changeThresholds.warningPercent (${c.changeThresholds.warningPercent}) must be below criticalPercent (${c.changeThresholds.criticalPercent})`,
    });
  }
  c.dataBuckets.forEach((b, i) => {
    const keyProblem = b.kmsKeyArn === undefined ? undefined : kmsKeyArnProblem(b.kmsKeyArn, c.primary.region);
    if (keyProblem)
      ctx.addIssue({ code: 'custom', path: ['dataBuckets', i, 'kmsKeyArn'], message: `dataBuckets[${i}].kmsKeyArn (bucket "${b.name}") ${keyProblem}` });
    const replica = dataReplicaBucketName(c, b.name);
    if (replica.length > 63) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataBuckets', i, 'name'],
        message: `bucket "${b.name}" gets the replica "${replica}" in the recovery region, longer than the 63 characters S3 allows; use a bucket name of at most ${63 - (replica.length - b.name.length)} characters`,
      });
    }
  });
  if (c.targets.rpoMinutes < 60) {
    ctx.addIssue({
      code: 'custom',
      path: ['targets', 'rpoMinutes'],
      message: `targets.rpoMinutes (${c.targets.rpoMinutes}) is below one hour; scheduled backups cannot meet it (PITR covers seconds-level recovery): use at least 60`,
    });
  }
});

const KMS_KEY_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/;

/** Why a data bucket's key ARN cannot work, or undefined: it must be a key ARN (not an alias) in the bucket's region. */
export function kmsKeyArnProblem(arn: string, primaryRegion: string): string | undefined {
  const m = KMS_KEY_ARN.exec(arn);
  if (!m) {
    return `must be a KMS key ARN such as "arn:aws:kms:${primaryRegion}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (an alias or key id cannot be granted to the replication role): copy the key ARN from the bucket's default encryption (aws s3api get-bucket-encryption --bucket <name>)`;
  }
  if (m[2] !== primaryRegion) {
    return `is in ${m[2]} but the bucket is in primary.region (${primaryRegion}): S3 encrypts with a key of the bucket's own region, so this is not the bucket's key; use the key ARN from aws s3api get-bucket-encryption --bucket <name>`;
  }
  return undefined;
}

/** A validated config, defaults filled in. */
export type DrConfig = z.infer<typeof drConfigSchema>;
/** One table entry of a validated config. */
export type TableConfig = DrConfig['tables'][number];

/** Thrown when `dr.config.json` is missing, not JSON, or not valid; `problems` lists each one. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid dr-stack config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config object; throws {@link ConfigError} listing every problem. */
export function parseConfig(raw: unknown, file = 'dr.config.json'): DrConfig {
  const result = drConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // Its message names the JSON path of each unknown key already (see strict()).
    if (issue.code === 'unrecognized_keys') return issue.message;
    const where = issue.path.length
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(root)';
    const value = issue.path.length ? valueAt(raw, issue.path as PropertyKey[]) : undefined;
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    return `${where}: ${issue.message}${shown}`;
  });
  throw new ConfigError(file, problems);
}

/** Reads and validates a config file. */
export function loadConfig(file = 'dr.config.json'): DrConfig {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) {
    throw new ConfigError(file, [`file not found at ${resolved}; copy dr.config.json from the repository root or pass --config <file>`]);
  }
  let raw: unknown;
  const text = fs.readFileSync(resolved, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [jsonSyntaxProblem(text, e as Error)]);
  }
  return parseConfig(raw, file);
}

function valueAt(obj: unknown, p: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** RPO/RTO in force for one table: its own targets over the top-level ones. */
export function targetsFor(config: DrConfig, tableName: string): { rpoMinutes: number; rtoMinutes: number } {
  const t = config.tables.find((x) => x.name === tableName);
  return { ...config.targets, ...(t?.targets ?? {}) };
}

/** Name of the backup bucket in the primary region (explicit so the CLI can find it). */
export function backupBucketName(config: DrConfig, account: string): string {
  return `${config.appName}-backups-${account}-${config.primary.region}`;
}

/** Name of the replica backup bucket in the recovery region. */
export function replicaBucketName(config: DrConfig, account: string): string {
  return `${config.appName}-replica-${account}-${config.recovery.region}`;
}

/** Name of the recovery-region replica of one data bucket: `<bucket>-dr-<recovery region>`. */
export function dataReplicaBucketName(config: Pick<DrConfig, 'recovery'>, bucketName: string): string {
  return `${bucketName}-dr-${config.recovery.region}`;
}

/** Alias of the replica KMS key in the recovery region (deterministic, so the primary stack can name it). */
export function replicaKeyAlias(config: Pick<DrConfig, 'appName'>): string {
  return `alias/${config.appName}-dr-replica`;
}

/** Name of the AWS Backup vault in the recovery region that receives the copies. */
export function recoveryVaultName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-recovery`;
}

/**
 * Name of the operator managed policy the production stack creates: `<app>-dr-operator`
 * (`dr doctor` and the permissions proof find it by this name).
 */
export function operatorPolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator`;
}

/** `<app>-dr-operator-restore`: the operators' second managed policy (restore targets), attached with {@link operatorPolicyName}. */
export function operatorRestorePolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator-restore`;
}

/** Stack names, shared by the app, the README and the CLI. */
export function stackNames(config: DrConfig): { production: string; recovery: string } {
  return { production: `${pascal(config.appName)}-Production`, recovery: `${pascal(config.appName)}-Recovery` };
}

function pascal(s: string): string {
  return s
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
