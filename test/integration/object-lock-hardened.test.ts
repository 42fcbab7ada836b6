/**
 * Issue 21, item 6: Object Lock COMPLIANCE proven on a real S3 (Ceph RGW, cli/support/local-servers).
 * A backup set written by the backup engine (DynamoDB Local -> scan engine -> RGW) into a bucket
 * carrying the hardened template's Object Lock settings cannot have a version deleted, with or
 * without the governance-bypass header, by the bucket's owner (an admin), while its retention
 * lasts. The control: the standard profile's GOVERNANCE lock gives way to the bypass header, so
 * these tests tell the two modes apart.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  type ObjectLockRule,
} from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { configWith, templates } from '../lib/app-fixture';
import { createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';
import { useVersionedS3 } from '../support/use-versioned-s3';

jest.setTimeout(180_000);

const local = useLocalServers();
const rgw = useVersionedS3();
const TABLE = 'locked_orders';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Object Lock rule the template gives the backup bucket under `protection`. */
function templateLockRule(protection: 'hardened' | 'standard'): ObjectLockRule {
  const built = templates(protection === 'hardened' ? undefined : configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } }));
  const bucket = Object.values(built.production.findResources('AWS::S3::Bucket')).find((b: Json) =>
    String(b.Properties.BucketName ?? '').startsWith('shop-backups-'),
  ) as Json;
  const rule = bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention;
  return { DefaultRetention: { Mode: rule.Mode, Days: rule.Days } };
}

/** A bucket on RGW with Object Lock and the given default rule (what CloudFormation sets from the template). */
async function lockedBucket(name: string, rule: ObjectLockRule): Promise<void> {
  await rgw.s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
  await rgw.s3.send(new PutObjectLockConfigurationCommand({ Bucket: name, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: rule } }));
}

async function versionsOf(bucket: string): Promise<{ Key: string; VersionId: string }[]> {
  const listed = await rgw.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (listed.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
}

/** The outcome of deleting one version: 'deleted' or the error's name. */
async function deleteVersion(bucket: string, v: { Key: string; VersionId: string }, bypass: boolean): Promise<string> {
  try {
    await rgw.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId, ...(bypass ? { BypassGovernanceRetention: true } : {}) }));
    return 'deleted';
  } catch (e) {
    return (e as Error).name;
  }
}

const HARDENED = 'hardened-backups';
let hardenedRule: ObjectLockRule;
let written: { Key: string; VersionId: string }[];

beforeAll(async () => {
  hardenedRule = templateLockRule('hardened');
  await lockedBucket(HARDENED, hardenedRule);
  await createTestTable(local.dynamodb, TABLE);
  for (let i = 0; i < 20; i++)
    await local.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `order-${i}` }, total: { N: String(i * 10) } } }));
  await runBackup({ dynamodb: local.dynamodb, s3: rgw.s3, bucket: HARDENED, tables: [TABLE], tier: 'daily', engine: 'scan', now: new Date() });
  written = await versionsOf(HARDENED);
});

test("the bucket carries the hardened template's lock: COMPLIANCE for objectLock.days", async () => {
  expect(hardenedRule).toEqual({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } });
  const got = await rgw.s3.send(new GetObjectLockConfigurationCommand({ Bucket: HARDENED }));
  expect(got.ObjectLockConfiguration?.Rule?.DefaultRetention).toMatchObject({ Mode: 'COMPLIANCE', Days: 7 });
});

test('every version the backup wrote (data files and metadata.json) is retained in COMPLIANCE mode for about 7 days', async () => {
  expect(written.map((v) => v.Key)).toContainEqual(expect.stringMatching(/\/metadata\.json$/));
  expect(written.length).toBeGreaterThanOrEqual(3);
  for (const v of written) {
    const r = await rgw.s3.send(new GetObjectRetentionCommand({ Bucket: HARDENED, Key: v.Key, VersionId: v.VersionId }));
    expect(r.Retention?.Mode).toBe('COMPLIANCE');
    const daysLeft = (r.Retention!.RetainUntilDate!.getTime() - Date.now()) / 86_400_000;
    expect(daysLeft).toBeGreaterThan(6.9);
  }
});

test('the owner (admin) cannot delete any version of the backup', async () => {
  const outcomes = await Promise.all(written.map((v) => deleteVersion(HARDENED, v, false)));
  expect(outcomes.filter((o) => o === 'deleted')).toEqual([]);
  expect(new Set(outcomes)).toEqual(new Set(['AccessDenied']));
});

test('nor with the governance-bypass header (x-amz-bypass-governance-retention)', async () => {
  const outcomes = await Promise.all(written.map((v) => deleteVersion(HARDENED, v, true)));
  expect(outcomes.filter((o) => o === 'deleted')).toEqual([]);
});

test('the backup is whole afterwards: every version still there and readable', async () => {
  expect(await versionsOf(HARDENED)).toEqual(written);
  const meta = written.find((v) => v.Key.endsWith('/metadata.json'))!;
  const body = await (await rgw.s3.send(new GetObjectCommand({ Bucket: HARDENED, Key: meta.Key, VersionId: meta.VersionId }))).Body!.transformToString();
  expect(JSON.parse(body)).toMatchObject({ tables: expect.anything() });
});

test('control (the check can fail): under the standard profile GOVERNANCE lock, the bypass header deletes a version', async () => {
  const rule = templateLockRule('standard');
  expect(rule).toEqual({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } });
  await lockedBucket('standard-backups', rule);
  const put = await rgw.s3.send(new PutObjectCommand({ Bucket: 'standard-backups', Key: 'backups/daily/x/metadata.json', Body: '{}' }));
  const v = { Key: 'backups/daily/x/metadata.json', VersionId: put.VersionId! };
  expect(await deleteVersion('standard-backups', v, false)).toBe('AccessDenied');
  expect(await deleteVersion('standard-backups', v, true)).toBe('deleted');
});
