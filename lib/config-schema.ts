/**
 * The zod schema of each field of `dr.config.json`, with its default and its message. Rules that
 * look at several fields at once live in `config-rules.ts`; `config.ts` joins the two.
 *
 * This module imports zod only (no aws-cdk-lib), so the CLI can use it without loading CDK.
 */
import { z } from 'zod';
import { incrementalSetting, pointInTimeRecoverySetting } from './config-incremental-schema';
import { regionSchema, strict } from './config-messages';
import { protectionFields, RECOVERY_VAULTS } from './config-protection';

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

const environmentShape = (label: string) => ({
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
  /** Chain of incremental exports between full sets (see config-incremental-schema.ts). */
  incremental: incrementalSetting,
  /** PITR on the table (default); exports need it. */
  pointInTimeRecovery: pointInTimeRecoverySetting,
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

/**
 * The fields of `dr.config.json`, without the rules across fields (`config-rules.ts`). Defaults
 * here are the documented defaults.
 */
export const drConfigFields = strict({
  $schema: z.string().optional(),
  appName: z.string().regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, {
    message: 'appName must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter (it prefixes bucket, alarm and stack names)',
  }),
  primary: strict(environmentShape('primary')),
  recovery: strict({
    ...environmentShape('recovery'),
    /**
     * The recovery stack deploys into `recovery.account`, another account than the primary one
     * (config-protection.ts). Without it a different recovery.account is refused.
     */
    offAccount: z.boolean().default(false),
    /**
     * The vault AWS Backup copies into: `"locked"` (a standard vault with Vault Lock under
     * hardened) or `"airGapped"` (a logically air-gapped vault: compliance-locked by AWS, min/max
     * retention from the tiers; config-protection.ts, docs/threat-model.md).
     */
    vault: z.enum(RECOVERY_VAULTS, { message: 'recovery.vault must be "locked" (standard vault, Vault Lock under hardened) or "airGapped"' }).default('locked'),
  }),
  ...protectionFields,
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
        /**
         * Days a noncurrent version is kept (buckets the stack creates, and every replica): the
         * restore horizon of `dr restore-bucket`. Overwritten or deleted objects can be brought
         * back for this long.
         */
        versionsDays: z.number().int().min(1, { message: 'versionsDays must be at least 1 (the days overwritten objects can be restored)' }).default(35),
        /**
         * About how many objects the bucket holds: `dr plan` estimates the time to restore it
         * from the rate the last drill measured. Optional; nothing is deployed from it.
         */
        expectedObjects: z
          .number()
          .int()
          .min(1, { message: 'expectedObjects must be a whole number of 1 or more (about how many objects the bucket holds)' })
          .optional(),
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
    /**
     * Days the incremental export windows are kept (backup bucket and replica). A window is useful
     * only while a full set it follows exists: from dailyDays + 1 (every minute since the oldest
     * daily set) to the longest tier + 1 (every minute since the oldest monthly set); config-rules.ts.
     * @default - retention.dailyDays + 1
     */
    windowDays: retentionDays.optional(),
  }).default({ dailyDays: 30, weeklyDays: 90, monthlyDays: 365 }),
  // Each field has its own default: `"targets": { "rpoMinutes": 720 }` keeps the default RTO.
  targets: strict({ rpoMinutes: rpoMinutes.default(DEFAULT_TARGETS.rpoMinutes), rtoMinutes: rtoMinutes.default(DEFAULT_TARGETS.rtoMinutes) }).default(
    DEFAULT_TARGETS,
  ),
  // The mode left out follows `protection` (COMPLIANCE when hardened): fillProtectionDefaults.
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
});

/** A validated config, defaults filled in. */
export type DrConfig = z.infer<typeof drConfigFields>;
/** One table entry of a validated config. */
export type TableConfig = DrConfig['tables'][number];
