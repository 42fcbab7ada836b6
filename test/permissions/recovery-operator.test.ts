/**
 * Issue 21, off-account mode: the operator policy of the recovery account
 * (`<app>-dr-operator-recovery`, lib/constructs/recovery-operator-policy.ts) proven with the
 * permissions harness (its contract: permissions.test.ts) on the two-account fixture's recovery
 * template, synthesized for the recovery account 444455556666.
 *
 * The requests: `dr list`, `dr validate` and `dr restore` (write engine) run in-process against
 * DynamoDB Local and s3rver, reading a set from a bucket named as the replica bucket of the
 * recovery account, in the recovery region, recorded and evaluated as a principal of the
 * recovery account holding only that policy; and an import with the replica key, as the SDK sends
 * it (engines.test.ts's shape, mocked). Negative: it cannot delete replica versions, bypass the
 * lock, touch the vault or its recovery points, administer the replica key or delete a table.
 */
import { AttributeValue } from '@aws-sdk/client-dynamodb';
import { createConfigTable } from '../../cli/drill/environment';
import { registerListCommand } from '../../cli/list';
import { registerRestoreCommand } from '../../cli/restore';
import { registerValidateCommand } from '../../cli/validate';
import { runBackup } from '../../lambda/backup/backup';
import { recoveryOperatorPolicyName, recoveryVaultName, replicaBucketName, replicaKeyAlias, type TableConfig } from '../../lib/config';
import { build } from '../lib/app-fixture';
import { RECOVERY_ACCOUNT, twoAccountConfig } from '../lib/two-account-fixture';
import { batchWriteAll } from '../support/ddb-compare';
import { runCli, testProgram, type CliRun } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';
import { measuredRow, proofRows } from './proof-table';
import { evaluateAll, formatTally, mappingContext, tally, type Case, type Principal, type Verdict } from './evaluate';
import { denied } from './proof';
import { startRecorder, toIamRequests, type IamRequest, type SdkCall } from './recorder';
import { logicalIds, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

jest.setTimeout(300_000);

const config = twoAccountConfig();
const REGION = config.recovery.region;
const POLICY = recoveryOperatorPolicyName(config);
const REPLICA = replicaBucketName(config, RECOVERY_ACCOUNT);
const TABLES = ['inventory', 'wishlists'];

const built = build(config);
const templates: StackTemplate[] = [
  { id: 'recovery', name: built.stacks.recovery.stackName, region: REGION, account: RECOVERY_ACCOUNT, template: structuredClone(built.recovery.toJSON()) },
];
const model = synthesizePolicyModel(templates, RECOVERY_ACCOUNT);
const operator = (running: string): Principal => ({
  kind: 'managed-policy',
  name: POLICY,
  label: `operator (${POLICY}, recovery account) running dr ${running}`,
});
const casesFor = (m: PolicyModel, who: Principal, calls: readonly SdkCall[]): Case[] =>
  calls.flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who, request })));

/** Measured request count of the recorded commands (the floor sits a little under it). */
const FLOOR = 230; // measured 255: list 14, validate 33, restore 208

const local = useLocalServers({ buckets: [REPLICA] });
const calls: SdkCall[] = [];
const runs: Record<string, CliRun> = {};
const printed: Verdict[] = [];

function itemsFor(t: TableConfig, n: number): Record<string, AttributeValue>[] {
  return Array.from({ length: n }, (_, i) => {
    const item: Record<string, AttributeValue> = {};
    for (const k of [t.partitionKey, t.sortKey, ...t.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])])
      if (k) item[k.name] = k.type === 'N' ? { N: String(i) } : { S: `${k.name}-${i}` };
    if (t.timeToLiveAttribute) item[t.timeToLiveAttribute] = { N: String(1_900_000_000 + i) };
    return item;
  });
}

beforeAll(async () => {
  // Set-up (not recorded): the tables and a set in the replica bucket, as replication leaves it.
  for (const name of TABLES) {
    const t = config.tables.find((x) => x.name === name)!;
    await createConfigTable(local.dynamodb, t, name);
    await batchWriteAll(local.dynamodb, name, itemsFor(t, 30));
  }
  await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket: REPLICA, tables: TABLES, tier: 'daily', engine: 'scan', now: new Date(), segments: 1 });
  const recorder = startRecorder();
  try {
    const dr = (who: string, ...args: string[]) =>
      recorder.as(who, () =>
        runCli(testProgram(registerListCommand, registerValidateCommand, registerRestoreCommand), [...args, '--bucket', REPLICA, '--region', REGION]),
      );
    runs.list = await dr('list', 'list', '--json');
    runs.validate = await dr('validate', 'validate', 'daily/latest', '--json');
    runs.restore = await dr('restore', 'restore', 'latest', '--tables', TABLES.join(','), '--suffix', '-restored', '--confirm', '--json');
  } finally {
    recorder.stop();
  }
  calls.push(...recorder.calls.filter((c) => c.who));
});

afterAll(() => {
  if (printed.length)
    process.stdout.write(`permissions proof (recovery account operator), requests evaluated per principal:\n${formatTally(tally(printed))}\n`);
});

/** An import with the replica key, as @aws-sdk/client-dynamodb sends it (engines.test.ts's shape, mocked). */
const importCall: SdkCall = {
  who: 'restore --engine import',
  service: 'dynamodb',
  operation: 'ImportTable',
  region: REGION,
  input: {
    S3BucketSource: { S3Bucket: REPLICA, S3KeyPrefix: 'backups/daily/2026-12-01T02-00-00Z/orders/AWSDynamoDB/01700000000000-abcd1234/data/' },
    InputFormat: 'DYNAMODB_JSON',
    TableCreationParameters: {
      TableName: 'orders-restored',
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: replicaKeyAlias(config) },
    },
  },
};
/** Its verdicts, simulated once (the import test and the table's). */
let importProof: Promise<Verdict[]> | undefined;
const importVerdicts = () => (importProof ??= evaluateAll(model, casesFor(model, operator('restore --engine import'), [importCall])));

describe(`${POLICY}: the recorded dr list, validate and restore in ${REGION} (recovery account)`, () => {
  let verdicts: Verdict[];
  beforeAll(async () => {
    verdicts = (
      await Promise.all(
        ['list', 'validate', 'restore'].map((who) =>
          evaluateAll(
            model,
            casesFor(
              model,
              operator(who),
              calls.filter((c) => c.who === who),
            ),
          ),
        ),
      )
    ).flat();
    printed.push(...verdicts);
  });

  test('the three commands ran (exit 0) and the restore wrote both tables', () => {
    expect(Object.values(runs).map((r) => r.code)).toEqual([0, 0, 0]);
    const ops = new Set(calls.map((c) => `${c.service}:${c.operation}`));
    for (const op of ['s3:ListObjectsV2', 's3:GetObject', 's3:PutObject', 'dynamodb:CreateTable', 'dynamodb:BatchWriteItem']) expect(ops).toContain(op);
  });
  test(`at least ${FLOOR} requests evaluated, every one in the recovery account and region`, () => {
    expect(verdicts.length).toBeGreaterThanOrEqual(FLOOR);
    for (const v of verdicts.filter((x) => x.request.resource.startsWith('arn:aws:dynamodb') || x.request.resource.startsWith('arn:aws:kms')))
      expect(v.request.resource.split(':').slice(3, 5)).toEqual([REGION, RECOVERY_ACCOUNT]);
  });
  test('every request is allowed (replica reads and their kms:Decrypt, the journal, the restore targets)', () => {
    expect(denied(verdicts)).toEqual([]);
    expect(verdicts.some((v) => v.request.action === 'kms:Decrypt')).toBe(true);
  });
  test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const rows = [
      measuredRow({
        principal: `operator (${POLICY}, recovery account)`,
        ran: `dr list, validate, restore in ${REGION} of the recovery account`,
        verdicts,
        negative: 'negative: without the ReadReplicaObjects statement the set cannot be read, named',
      }),
      measuredRow({
        principal: `operator (${POLICY}, recovery account)`,
        ran: `dr restore --engine import with the replica key in ${REGION} and the requests DynamoDB makes as the caller (mocked)`,
        verdicts: await importVerdicts(),
        negative: 'negative: without ImportWithReplicaKey the import cannot use the replica key, named',
      }),
    ];
    const { documented, measured } = proofRows('recovery-operator.test.ts', rows);
    expect(documented).toEqual(measured);
  });
  test('negative: without the ReadReplicaObjects statement the set cannot be read, named', async () => {
    const copy = structuredClone(templates);
    for (const id of logicalIds(copy[0], 'AWS::IAM::ManagedPolicy')) {
      const doc = copy[0].template.Resources[id].Properties.PolicyDocument;
      doc.Statement = doc.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ReadReplicaObjects');
    }
    const m = synthesizePolicyModel(copy, RECOVERY_ACCOUNT);
    const reasons = denied(
      await evaluateAll(
        m,
        casesFor(
          m,
          operator('restore'),
          calls.filter((c) => c.who === 'restore'),
        ),
      ),
    );
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => new RegExp(`may not s3:GetObject on arn:aws:s3:::${REPLICA}/backups/`).test(r))).toBe(true);
  });
});

describe(`${POLICY}: import with the replica key (request shape of @aws-sdk/client-dynamodb, mocked)`, () => {
  test('every request DynamoDB makes as the caller is allowed: ImportTable, S3 reads, the replica key (Decrypt, DescribeKey, CreateGrant), logs', async () => {
    const v = await importVerdicts();
    printed.push(...v);
    expect(v.map((x) => x.request.action)).toEqual(
      expect.arrayContaining(['dynamodb:ImportTable', 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'logs:PutRetentionPolicy']),
    );
    expect(denied(v)).toEqual([]);
  });
  test('negative: without ImportWithReplicaKey the import cannot use the replica key, named', async () => {
    const copy = structuredClone(templates);
    for (const id of logicalIds(copy[0], 'AWS::IAM::ManagedPolicy')) {
      const doc = copy[0].template.Resources[id].Properties.PolicyDocument;
      doc.Statement = doc.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ImportWithReplicaKey');
    }
    const m = synthesizePolicyModel(copy, RECOVERY_ACCOUNT);
    const reasons = denied(await evaluateAll(m, casesFor(m, operator('restore --engine import'), [importCall])));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(new RegExp(`may not kms:CreateGrant on arn:aws:kms:${REGION}:${RECOVERY_ACCOUNT}:key/`));
  });
});

describe(`${POLICY} cannot erase or reconfigure the copies`, () => {
  const vault = recoveryVaultName(config);
  const keyArn = `arn:aws:kms:${REGION}:${RECOVERY_ACCOUNT}:key/${logicalIds(templates[0], 'AWS::KMS::Key').find((id) => id.startsWith('ReplicaKey'))}`;
  const object = `arn:aws:s3:::${REPLICA}/backups/daily/2026-12-01T02-00-00Z/orders/data-00000.json.gz`;
  const r = (action: string, resource: string): IamRequest => ({ action, resource, because: 'erasing the copies', region: REGION });
  const attempts = [
    r('s3:DeleteObjectVersion', object),
    r('s3:DeleteObject', object),
    r('s3:BypassGovernanceRetention', object),
    r('s3:PutLifecycleConfiguration', `arn:aws:s3:::${REPLICA}`),
    r('s3:PutBucketPolicy', `arn:aws:s3:::${REPLICA}`),
    r('backup:DeleteRecoveryPoint', `arn:aws:backup:${REGION}:${RECOVERY_ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45`),
    r('backup:UpdateRecoveryPointLifecycle', `arn:aws:backup:${REGION}:${RECOVERY_ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45`),
    r('backup:DeleteBackupVault', `arn:aws:backup:${REGION}:${RECOVERY_ACCOUNT}:backup-vault:${vault}`),
    r('backup:PutBackupVaultAccessPolicy', `arn:aws:backup:${REGION}:${RECOVERY_ACCOUNT}:backup-vault:${vault}`),
    r('backup:DeleteBackupVaultLockConfiguration', `arn:aws:backup:${REGION}:${RECOVERY_ACCOUNT}:backup-vault:${vault}`),
    r('kms:ScheduleKeyDeletion', keyArn),
    r('kms:DisableKey', keyArn),
    r('kms:PutKeyPolicy', keyArn),
    r('dynamodb:DeleteTable', `arn:aws:dynamodb:${REGION}:${RECOVERY_ACCOUNT}:table/orders`),
  ];
  test(`each of ${attempts.length} erasing or reconfiguring requests is denied`, async () => {
    const v = await evaluateAll(
      model,
      attempts.map((request) => ({ who: operator('anything'), request })),
    );
    expect(v.filter((x) => x.allowed).map((x) => x.request.action)).toEqual([]);
    // Denied by the policies, not by a simulator error (an action it does not know is unproven).
    for (const x of v) expect(x.reason).toMatch(/: (Implicitly|Explicitly)Denied; /);
  });
});
