/**
 * The permissions proof reaches every restore engine (issue 18): the requests of an import and of
 * a bulk put, as the SDK sends them (request shapes from @aws-sdk/client-dynamodb's own model) and
 * as DynamoDB then makes them with the caller's identity (S3 reads, KMS, CloudWatch Logs), are
 * evaluated against the synthesized policies of the operator and of the restore-test role.
 *
 * The last block runs `dr restore --engine import` and `--engine bulk` as the CLI runs them, in
 * the recovery region (from the replica) and in the primary (from the backup bucket), with the
 * import and bulk put APIs mocked (engine-runs.ts): every request the command makes, and the ones
 * DynamoDB makes with the caller's identity for it (recorder.ts ENGINE_ACTIONS: S3 reads, KMS,
 * DescribeKey/CreateGrant for the recovery key, CloudWatch Logs), evaluated as the operator.
 *
 * Bulk put's own action names (StartBulkPutItems, DescribeBulkOperation, CancelBulkOperation)
 * are in no published Service Authorization Reference and not in the simulator's IAM data: the
 * simulator cannot prove them. Those rows are evaluated here against the policy text (an Allow
 * statement naming the exact action whose resource pattern matches) and reported as UNPROVEN.
 */
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import { operatorPolicyName, replicaBucketName, replicaKeyAlias } from '../../lib/config';
import { exampleConfig } from '../lib/config-fixture';
import { modelProblems } from '../support/sdk-model';
import { useLocalServers } from '../support/use-local-servers';
import { ENGINE_ITEMS, ENGINE_TABLE, engineCallsOf, engineSetUp, runEngineRestore, type EngineRun } from './engine-runs';
import { iamLike } from './encryption-context';
import { evaluateAll, formatTally, tally, type Case, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel, operatorPrincipal } from './proof';
import { startRecorder, toIamRequests, UNPUBLISHED_ACTION, type IamRequest, type SdkCall } from './recorder';
import { mappingContext } from './evaluate';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel } from './templates';
import { measuredRow, proofRows } from './proof-table';

const config = exampleConfig();
const ACCOUNT = '123456789012';
const RECOVERY = config.recovery.region;
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const operator = operatorPrincipal(operatorPolicyName(config), 'restore --engine import');
const replica = replicaBucketName(config, ACCOUNT);
const exportFolder = 'backups/daily/2026-12-01T02-00-00Z/orders/AWSDynamoDB/01700000000000-abcd1234/';

/** ImportTable as lambda/restore/engines/operations.ts sends it from the replica in the recovery region. */
const importCall = (who: string, target: string, kmsKeyId?: string): SdkCall => ({
  who,
  service: 'dynamodb',
  operation: 'ImportTable',
  region: RECOVERY,
  input: {
    ClientToken: 'dr-import-0123',
    S3BucketSource: { S3Bucket: replica, S3KeyPrefix: `${exportFolder}data/` },
    InputFormat: 'DYNAMODB_JSON',
    InputCompressionType: 'GZIP',
    TableCreationParameters: {
      TableName: target,
      AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: kmsKeyId ? { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: kmsKeyId } : undefined,
    },
  },
});

const casesFor = (m: PolicyModel, who: Principal, calls: SdkCall[]): Case[] =>
  calls.flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who, request })));
const byAction = (v: readonly Verdict[], action: string) => v.filter((x) => x.request.action === action);

const printed: Verdict[] = [];
afterAll(() => {
  if (printed.length) process.stdout.write(`permissions proof (engines), requests evaluated per principal:\n${formatTally(tally(printed))}\n`);
});

describe('import in the recovery region with the recovery key, as the operator (issue 18 items 1 and 2)', () => {
  const calls = [importCall('cli', 'orders-restored', replicaKeyAlias(config))];
  let verdicts: Verdict[];
  beforeAll(async () => {
    verdicts = await evaluateAll(model, casesFor(model, operator, calls));
    printed.push(...verdicts);
  });

  test('every request DynamoDB makes with the caller identity is allowed (S3 reads, replica key, logs, DescribeKey, CreateGrant)', () => {
    expect(verdicts.map((v) => v.request.action).sort()).toEqual(
      [
        'dynamodb:ImportTable',
        's3:ListBucket',
        's3:GetObject',
        'kms:Decrypt',
        'logs:CreateLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'kms:DescribeKey',
        'kms:CreateGrant',
      ].sort(),
    );
    expect(denied(verdicts)).toEqual([]);
  });
  test('item 1: kms:DescribeKey on the recovery key is allowed (kms:GrantIsForAWSResource is absent on DescribeKey)', () => {
    expect(byAction(verdicts, 'kms:DescribeKey').map((v) => v.allowed)).toEqual([true]);
  });
  test('item 2: logs:PutRetentionPolicy on /aws-dynamodb/imports and logs:DescribeLogGroups (no resource type: "*") are allowed', () => {
    expect(byAction(verdicts, 'logs:PutRetentionPolicy').map((v) => v.allowed)).toEqual([true]);
    expect(byAction(verdicts, 'logs:DescribeLogGroups').map((v) => v.allowed)).toEqual([true]);
  });
  test('negative: a CreateGrant that is not for an AWS resource is denied', async () => {
    const [grant] = casesFor(model, operator, calls).filter((c) => c.request.action === 'kms:CreateGrant');
    const direct: IamRequest = { ...grant.request, context: { ...grant.request.context, 'kms:GrantIsForAWSResource': 'false' } };
    expect(denied(await evaluateAll(model, [{ who: operator, request: direct }]))).toEqual([
      expect.stringMatching(/may not kms:CreateGrant on arn:aws:kms:eu-central-1:123456789012:key\//),
    ]);
  });
  test('negative: without the ImportDescribeKey statement, DescribeKey is denied, naming the key', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ImportDescribeKey');
    });
    const reasons = denied(await evaluateAll(m, casesFor(m, operator, calls)));
    expect(reasons).toEqual([expect.stringMatching(/^operator .* may not kms:DescribeKey on arn:aws:kms:eu-central-1:123456789012:key\//)]);
  });
  test('negative: without the ImportLogGroupsList statement, DescribeLogGroups is denied', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ImportLogGroupsList');
    });
    expect(denied(await evaluateAll(m, casesFor(m, operator, calls)))).toEqual([expect.stringMatching(/may not logs:DescribeLogGroups on \*/)]);
  });
});

/** The restore-test role's verdicts for its import (a row of the proof table). */
let restoreTestImport: Verdict[] = [];

describe('import by the weekly restore test (its own role, *-drtest-* tables, issue 18 item 2)', () => {
  const fn = functionOf(model, 'recovery', 'RestoreTestFunction');
  const role: Principal = { kind: 'role', arn: fn.roleArn, label: `RestoreTestFunction (role ${fn.roleArn.split('/').pop()}) importing` };
  let verdicts: Verdict[];
  beforeAll(async () => {
    verdicts = await evaluateAll(model, casesFor(model, role, [importCall('RestoreTestFunction', 'orders-drtest-20261207t050000z')]));
    restoreTestImport = verdicts;
    printed.push(...verdicts);
  });
  test('every request of the import (S3 reads, replica key, logs incl. PutRetentionPolicy and DescribeLogGroups) is allowed', () => {
    expect(verdicts.length).toBe(10);
    expect(denied(verdicts)).toEqual([]);
  });
  test('negative: a production table name is denied ImportTable', async () => {
    const v = await evaluateAll(model, casesFor(model, role, [importCall('RestoreTestFunction', 'orders')]));
    expect(denied(v)).toEqual([expect.stringMatching(/may not dynamodb:ImportTable on arn:aws:dynamodb:eu-central-1:123456789012:table\/orders /)]);
  });
});

/** StartBulkPutItems as lambda/restore/engines/operations.ts sends it: into an existing table, report to restore-reports/. */
const bulkCall: SdkCall = {
  who: 'cli',
  service: 'dynamodb',
  operation: 'StartBulkPutItems',
  region: RECOVERY,
  input: {
    ClientToken: 'dr-bulk-0123',
    TableName: 'orders',
    InputS3Configuration: { S3Bucket: replica, S3KeyPrefix: `${exportFolder}data/`, InputFormat: 'DYNAMODB_JSON', InputCompressionType: 'GZIP' },
    OutputS3Configuration: { S3Bucket: replica, S3KeyPrefix: 'restore-reports/2026-12-01T02-00-00Z/orders/', OutputType: ['ERROR'] },
    MaxWriteRequestUnits: 1024,
  },
};
const bulkFollow: SdkCall[] = [
  {
    who: 'cli',
    service: 'dynamodb',
    operation: 'DescribeBulkOperation',
    region: RECOVERY,
    input: { BulkOperationArn: `arn:aws:dynamodb:${RECOVERY}:${ACCOUNT}:table/orders/bulk-operation/0123` },
  },
  {
    who: 'cli',
    service: 'dynamodb',
    operation: 'CancelBulkOperation',
    region: RECOVERY,
    input: { BulkOperationArn: `arn:aws:dynamodb:${RECOVERY}:${ACCOUNT}:table/orders/bulk-operation/0123` },
  },
];

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: { StringEquals?: Record<string, string[]> } };
/**
 * The simulator cannot evaluate an action its IAM data lacks, so a bulk action is checked against
 * the policy text here: an Allow statement of the principal's policies naming the exact action,
 * a resource pattern that matches, and (if present) an aws:RequestedRegion condition holding the
 * region. UNPROVEN even when it passes: IAM may know the action under another name.
 */
function textAllows(m: PolicyModel, policies: readonly string[], request: IamRequest): boolean {
  const statements = policies.flatMap((n) => (m.managedPolicies.get(n) ?? []).flatMap((p) => p.policy.Statement as Statement[]));
  const region = request.region ?? request.resource.split(':')[3];
  return statements.some(
    (st) =>
      st.Effect === 'Allow' &&
      ([] as string[]).concat(st.Action).includes(request.action) &&
      ([] as string[]).concat(st.Resource).some((r) => iamLike(r, request.resource)) &&
      (st.Condition?.StringEquals?.['aws:RequestedRegion'] ?? [region]).includes(region),
  );
}

describe('bulk put in the recovery region, as the operator (issue 18 item 3)', () => {
  const all = () => casesFor(model, operator, [bulkCall, ...bulkFollow]);
  const provable = () => all().filter((c) => !c.request.context?.[UNPUBLISHED_ACTION]);
  const unpublished = () => all().filter((c) => c.request.context?.[UNPUBLISHED_ACTION]);
  const holds = (operator as { holds?: readonly string[] }).holds ?? [];

  test("the bulk put's S3 and KMS requests as the caller (input read, replica key, error report write) are allowed by the simulator", async () => {
    const verdicts = await evaluateAll(model, provable());
    printed.push(...verdicts);
    expect(verdicts.map((v) => v.request.action).sort()).toEqual(
      ['kms:Decrypt', 'kms:GenerateDataKey', 's3:GetObject', 's3:ListBucket', 's3:PutObject'].sort(),
    );
    expect(denied(verdicts)).toEqual([]);
  });
  test('the three bulk actions are UNPROVEN (not in the IAM data): evaluated against the policy text, each granted there', () => {
    const rows = unpublished().map((c) => ({ action: c.request.action, granted: textAllows(model, holds, c.request) }));
    process.stdout.write(`UNPROVEN (policy text only): ${rows.map((r) => `${r.action} ${r.granted ? 'granted' : 'NOT granted'}`).join(', ')}\n`);
    expect(rows).toEqual([
      { action: 'dynamodb:StartBulkPutItems', granted: true },
      { action: 'dynamodb:DescribeBulkOperation', granted: true },
      { action: 'dynamodb:CancelBulkOperation', granted: true },
    ]);
  });
  test('negative: into a production-named table of another app, StartBulkPutItems is not granted by the text', () => {
    const [start] = unpublished();
    expect(textAllows(model, holds, { ...start.request, resource: `arn:aws:dynamodb:${RECOVERY}:${ACCOUNT}:table/payments` })).toBe(false);
  });
  test('negative: without BulkErrorReports, the error report write is denied, naming the object', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((st: { Sid?: string }) => st.Sid !== 'BulkErrorReports');
    });
    const reasons = denied(
      await evaluateAll(
        m,
        casesFor(m, operator, [bulkCall]).filter((c) => !c.request.context?.[UNPUBLISHED_ACTION]),
      ),
    );
    expect(reasons).toEqual([expect.stringMatching(/may not s3:PutObject on arn:aws:s3:::shop-replica-123456789012-eu-central-1\/restore-reports\//)]);
  });
});

describe('dr restore --engine import / --engine bulk, full CLI runs in both regions (import and bulk put APIs mocked, issue 18)', () => {
  const local = useLocalServers();
  const PRIMARY = config.primary.region;
  const runs: EngineRun[] = [];
  const calls: SdkCall[] = [];
  const principalOf = (r: EngineRun) => operatorPrincipal(operatorPolicyName(config), `${r.who}`);
  const casesOfRun = (m: PolicyModel, r: EngineRun) => casesOf(m, calls, r.who, principalOf(r));
  const provable = (cs: Case[]) => cs.filter((c) => !c.request.context?.[UNPUBLISHED_ACTION]);
  const runOf = (engine: string, region: string) => runs.find((r) => r.engine === engine && r.region === region)!;
  const verdicts = new Map<string, Promise<Verdict[]>>();
  const verdictsOf = (r: EngineRun) => {
    if (!verdicts.has(r.who))
      verdicts.set(
        r.who,
        evaluateAll(model, provable(casesOfRun(model, r))).then((v) => (printed.push(...v), v)),
      );
    return verdicts.get(r.who)!;
  };
  const withoutSid = (sid: string) =>
    editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== sid);
    });

  beforeAll(async () => {
    const { backup, replica } = await engineSetUp(local, config, ACCOUNT);
    const recorder = startRecorder();
    try {
      for (const [engine, region, bucket, suffix] of [
        ['import', RECOVERY, replica, '-restored'],
        ['import', PRIMARY, backup, '-imported'],
        ['bulk', RECOVERY, replica],
        ['bulk', PRIMARY, backup],
      ] as const)
        runs.push(await runEngineRestore(local, recorder, config, { engine, region, bucket, suffix, who: `restore --engine ${engine} in ${region}` }));
    } finally {
      recorder.stop();
    }
    calls.push(...recorder.calls);
  }, 300_000);

  test('each run restored and verified the table through the CLI (exit 0, JSON report), with the engine asked for', () => {
    expect(
      runs.map((r) => {
        const report = JSON.parse(r.cli.stdout) as { confirmed: boolean; tables: { target: string; engine: string; verifiedItems: number }[] };
        return { code: r.cli.code, who: r.who, tables: report.tables.map((t) => ({ target: t.target, engine: t.engine, verifiedItems: t.verifiedItems })) };
      }),
    ).toEqual([
      { code: 0, who: `restore --engine import in ${RECOVERY}`, tables: [{ target: 'orders-restored', engine: 'import', verifiedItems: ENGINE_ITEMS }] },
      { code: 0, who: `restore --engine import in ${PRIMARY}`, tables: [{ target: 'orders-imported', engine: 'import', verifiedItems: ENGINE_ITEMS }] },
      { code: 0, who: `restore --engine bulk in ${RECOVERY}`, tables: [{ target: ENGINE_TABLE, engine: 'bulk', verifiedItems: ENGINE_ITEMS }] },
      { code: 0, who: `restore --engine bulk in ${PRIMARY}`, tables: [{ target: ENGINE_TABLE, engine: 'bulk', verifiedItems: ENGINE_ITEMS }] },
    ]);
  });

  test("every mocked engine request the CLI sent matches the SDK's model of it (members, required members, nested structures)", () => {
    const sent = runs.flatMap((r) => engineCallsOf(calls, r.who));
    expect([...new Set(sent.map((c) => c.operation))].sort()).toEqual(['DescribeBulkOperation', 'DescribeImport', 'ImportTable', 'StartBulkPutItems']);
    expect(sent.flatMap((c) => modelProblems(dynamodbSdk, `${c.operation}Input`, c.input))).toEqual([]);
  });

  test('the model check can fail: an unknown member and a missing required nested member are named', () => {
    const [start] = engineCallsOf(calls, runs[0].who).filter((c) => c.operation === 'ImportTable');
    const params = { ...(start.input.TableCreationParameters as object), TableName: undefined };
    expect(modelProblems(dynamodbSdk, 'ImportTableInput', { ...start.input, TableCreationParameters: params, Bogus: 1 })).toEqual([
      'ImportTableInput.Bogus is not in the model (ImportTableInput)',
      'ImportTableInput.TableCreationParameters.TableName is required (TableCreationParameters)',
    ]);
  });

  test('the recovery-region import sends the recovery key and DynamoDB uses it as the caller (DescribeKey, CreateGrant); the primary one sends none', () => {
    const ops = (r: EngineRun) => new Set(casesOfRun(model, r).map((c) => c.request.action));
    for (const a of ['kms:DescribeKey', 'kms:CreateGrant', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 's3:ListBucket', 'kms:Decrypt'])
      expect(ops(runOf('import', RECOVERY))).toContain(a);
    expect(ops(runOf('import', PRIMARY))).not.toContain('kms:CreateGrant');
  });

  for (const [engine, region, floor] of [
    ['import', 'recovery', 180], // measured 198
    ['import', 'primary', 175], // measured 191
    ['bulk', 'recovery', 170], // measured 185
    ['bulk', 'primary', 170], // measured 185
  ] as const)
    test(`dr restore --engine ${engine} in the ${region} region: at least ${floor} requests, every one allowed by the operator policies (mocked engine API)`, async () => {
      const r = runOf(engine, region === 'recovery' ? RECOVERY : PRIMARY);
      const v = await verdictsOf(r);
      expect(v.length).toBeGreaterThanOrEqual(floor);
      expect(denied(v)).toEqual([]);
    });

  test('bulk runs: the three unpublished bulk actions each granted by the policy text in both regions (UNPROVEN: not in the IAM data)', () => {
    const holds = (operator as { holds?: readonly string[] }).holds ?? [];
    const rows = runs
      .filter((r) => r.engine === 'bulk')
      .flatMap((r) => casesOfRun(model, r).filter((c) => c.request.context?.[UNPUBLISHED_ACTION]))
      .map((c) => `${c.request.action} ${c.request.region} ${textAllows(model, holds, c.request) ? 'granted' : 'NOT granted'}`);
    expect([...new Set(rows)].sort()).toEqual(
      [RECOVERY, PRIMARY].flatMap((g) => [`dynamodb:DescribeBulkOperation ${g} granted`, `dynamodb:StartBulkPutItems ${g} granted`]).sort(),
    );
  });

  test('explicit --engine bulk prints the IAM caveat and the fallback before it runs; --engine import does not (item 3)', () => {
    const caveat = "--engine bulk: bulk put's IAM action names are not in AWS's Service Authorization Reference yet";
    for (const r of runs) expect({ who: r.who, caveat: r.cli.stderr.includes(caveat) }).toEqual({ who: r.who, caveat: r.engine === 'bulk' });
    for (const r of runs.filter((x) => x.engine === 'bulk')) expect(r.cli.stderr).toMatch(/if DynamoDB answers AccessDenied, restore with --engine write/);
  });

  test('the proof table in docs/security.md says what this file measured (import and bulk rows; UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const negatives: Record<string, string> = {
      [`import ${RECOVERY}`]: 'negative (import, recovery region): without ImportWithCustomerKey',
      [`import ${PRIMARY}`]: 'negative (import, primary region): without ImportLogs',
      [`bulk ${RECOVERY}`]: 'negative (bulk, recovery region): without BulkErrorReports',
      [`bulk ${PRIMARY}`]: 'negative (bulk, primary region): without RestoreJournal',
    };
    const rows = [];
    for (const r of runs) {
      const unpublished = new Set(
        casesOfRun(model, r)
          .filter((c) => c.request.context?.[UNPUBLISHED_ACTION])
          .map((c) => `${c.request.action} ${c.request.resource}`),
      );
      rows.push(
        measuredRow({
          principal: `operator (${operatorPolicyName(config)})`,
          ran: `dr restore --engine ${r.engine} in ${r.region} (${r.region === RECOVERY ? 'recovery' : 'primary'}; API mocked)`,
          verdicts: await verdictsOf(r),
          negative: negatives[`${r.engine} ${r.region}`],
          unproven: unpublished.size,
        }),
      );
    }
    rows.push(
      measuredRow({
        principal: 'RestoreTestFunction role',
        ran: 'ImportTable of a *-drtest-* scratch table and the requests DynamoDB makes as the caller',
        verdicts: restoreTestImport,
        negative: 'negative: a production table name is denied ImportTable',
      }),
    );
    const { documented, measured } = proofRows('engines.test.ts', rows);
    expect(documented).toEqual(measured);
  });

  test('negative (import, recovery region): without ImportWithCustomerKey, the grant DynamoDB makes for the recovery key is denied, naming it', async () => {
    const m = withoutSid('ImportWithCustomerKey');
    expect(denied(await evaluateAll(m, provable(casesOfRun(m, runOf('import', RECOVERY)))))).toEqual([
      expect.stringMatching(/running dr restore --engine import in eu-central-1 may not kms:CreateGrant on arn:aws:kms:eu-central-1:123456789012:key\//),
    ]);
  });
  test('negative (import, primary region): without ImportLogs, the import error log written as the caller is denied in eu-west-1', async () => {
    const m = withoutSid('ImportLogs');
    const reasons = denied(await evaluateAll(m, provable(casesOfRun(m, runOf('import', PRIMARY)))));
    expect(reasons.length).toBe(5);
    for (const r of reasons) expect(r).toMatch(/may not logs:\w+ on arn:aws:logs:eu-west-1:123456789012:log-group:\/aws-dynamodb\/imports/);
  });
  test('negative (bulk, recovery region): without BulkErrorReports, the error report the bulk put writes as the caller is denied', async () => {
    const m = withoutSid('BulkErrorReports');
    expect(denied(await evaluateAll(m, provable(casesOfRun(m, runOf('bulk', RECOVERY)))))).toEqual([
      expect.stringMatching(/may not s3:PutObject on arn:aws:s3:::shop-replica-123456789012-eu-central-1\/restore-reports\//),
    ]);
  });
  test('negative (bulk, primary region): without RestoreJournal, the journal of the target is denied in the backup bucket', async () => {
    const m = withoutSid('RestoreJournal');
    const reasons = denied(await evaluateAll(m, provable(casesOfRun(m, runOf('bulk', PRIMARY)))));
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/may not s3:(Get|Put)Object on arn:aws:s3:::shop-backups-123456789012-eu-west-1\/restores\/orders\.json/);
  });
});
