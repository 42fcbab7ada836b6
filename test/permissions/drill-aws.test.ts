/**
 * The permissions proof for `dr drill` on AWS (without --local): the drill's AWS environment
 * (cli/drill/environment.ts `awsEnvironment`: the recovery region, scratch tables
 * `<app>-drill-<time>-<table>`, the operator's two scratch buckets, the uploads scenario's own
 * scratch bucket, cleanup) runs every scenario it runs on AWS with its clients pointed by the
 * SDK's endpoint variables at DynamoDB Local and the real local versioned S3 (Ceph RGW, which
 * serves every S3 call of the drill, versions included). Its requests are recorded and each is
 * evaluated as a principal holding `<app>-dr-operator`, `<app>-dr-operator-restore` and
 * `<app>-dr-operator-drill` against the synthesized templates (same harness as
 * permissions.test.ts, whose opening comment holds the contract).
 *
 * Off-account, the same recorded drill is evaluated as a principal of the recovery account holding
 * `<app>-dr-operator-recovery` and that account's `<app>-dr-operator-drill` (the last describe).
 *
 * Not covered here: an `auto` restore that picks import (tables over restore.importThresholdBytes,
 * 1 GiB by default; a drill of a few hundred items never does) sends ImportTable on the same
 * scratch tables, granted by the same statement as the write path (RESTORE_TARGET_ACTIONS).
 */
import { CreateBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { awsEnvironment } from '../../cli/drill/environment';
import { runDrill } from '../../cli/drill/run';
import type { DrillReport } from '../../cli/drill/report';
import { drillScratchPrefix, operatorDrillPolicyName, operatorPolicyName, recoveryOperatorPolicyName } from '../../lib/config';
import { build, exampleConfig } from '../lib/app-fixture';
import { RECOVERY_ACCOUNT, twoAccountConfig } from '../lib/two-account-fixture';
import { useLocalServers } from '../support/use-local-servers';
import { useVersionedS3 } from '../support/use-versioned-s3';
import { evaluateAll, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel } from './proof';
import { measuredRow, proofRows } from './proof-table';
import { startRecorder, type SdkCall } from './recorder';
import { builtTemplates, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

jest.setTimeout(300_000);

const config = exampleConfig();
const OPERATOR_POLICY = operatorPolicyName(config);
const DRILL_POLICY = operatorDrillPolicyName(config);
const SCRATCH = drillScratchPrefix(config);
const BUCKET = `${SCRATCH}backups`;
const REPLICA = `${SCRATCH}replica`;
const WHO = 'drill';
const templates = builtTemplates(config);
const model = synthesizePolicyModel(templates);
const local = useLocalServers();
const rgw = useVersionedS3({ region: config.recovery.region });
const calls: SdkCall[] = [];
let report: DrillReport;
let savedEnv: NodeJS.ProcessEnv;

/** The operator running the drill: the two operator policies and the drill's. */
const drillOperator = (holds = [OPERATOR_POLICY, `${OPERATOR_POLICY}-restore`, DRILL_POLICY]): Principal => ({
  kind: 'managed-policy',
  name: DRILL_POLICY,
  holds,
  label: `operator (${holds.join(', ')}) running dr drill on AWS`,
});

beforeAll(async () => {
  savedEnv = { ...process.env };
  // The drill's AWS clients, pointed by the SDK's variables: DynamoDB Local, and RGW for S3.
  Object.assign(process.env, rgw.server.env, { AWS_ENDPOINT_URL_DYNAMODB: local.servers.dynamodbEndpoint });
  const where = { CreateBucketConfiguration: { LocationConstraint: config.recovery.region as BucketLocationConstraint } };
  for (const b of [BUCKET, REPLICA]) await rgw.s3.send(new CreateBucketCommand({ Bucket: b, ...where }));
  const env = awsEnvironment({ config, bucket: BUCKET, replicaBucket: REPLICA });
  const recorder = startRecorder();
  try {
    report = await recorder.as(WHO, () => runDrill({ config, env, items: 200, log: () => undefined }));
  } finally {
    recorder.stop();
  }
  calls.push(...recorder.calls);
}, 300_000);

afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** The verdicts against the shipped templates, simulated once (4,000 evaluations: the proof test, the delete check and the table's). */
let shipped: Promise<Verdict[]> | undefined;
const verdicts = (): Promise<Verdict[]> => (shipped ??= evaluateAll(model, casesOf(model, calls, WHO, drillOperator())));

/**
 * The negative tests evaluate one request per action and bucket (an object's key cut off) or
 * table: what they look for is denied for every key alike, and 3,000 evaluations take 14 s.
 */
function oneEach(m: PolicyModel, who: Principal): Promise<Verdict[]> {
  const seen = new Set<string>();
  const cases = casesOf(m, calls, WHO, who).filter((c) => {
    const k = `${c.request.action} ${c.request.resource.replace(/^(arn:aws:s3:::[^/]+)\/.*$/, '$1/*')}`;
    return !seen.has(k) && seen.add(k);
  });
  return evaluateAll(m, cases);
}

describe(`dr drill on AWS: recorded requests against ${DRILL_POLICY} (DynamoDB Local + real local versioned S3)`, () => {
  test('the drill ran every scenario it runs on AWS, and passed', () => {
    expect(report.mode).toBe('aws');
    expect(report.scenarios.map((s) => [s.id, s.passed, s.error])).toEqual([
      ['table-deleted', true, undefined],
      ['bad-deploy', true, undefined],
      ['ransomware', true, undefined],
      ['region-lost', true, undefined],
      ['uploads-encrypted', true, undefined],
    ]);
  });

  test("it sent the scratch resources' whole life: tables and a bucket created, used, deleted", () => {
    const ops = new Set(calls.filter((c) => c.who === WHO).map((c) => c.operation));
    for (const op of [
      'CreateTable',
      'BatchWriteItem',
      'DeleteTable',
      'ListTables',
      'CreateBucket',
      'PutBucketVersioning',
      'CopyObject',
      'ListBuckets',
      'DeleteObjects',
      'DeleteBucket',
    ])
      expect([op, ops.has(op)]).toEqual([op, true]);
  });

  test('every request is allowed', async () => {
    const v = await verdicts();
    expect(v.length).toBeGreaterThanOrEqual(4000); // measured 4,253 (3,073 SDK calls at --items 200)
    expect(denied(v)).toEqual([]);
  });

  test('emptying the scratch uploads bucket (DeleteObjects by version) is evaluated per key as s3:DeleteObject and s3:DeleteObjectVersion, both allowed', async () => {
    const deletes = (await verdicts()).filter((x) => x.request.because.startsWith('s3 DeleteObjects'));
    const keys = new Set(deletes.map((x) => x.request.resource));
    expect(keys.size).toBeGreaterThan(0);
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion'])
      expect({ action, keys: new Set(deletes.filter((x) => x.request.action === action).map((x) => x.request.resource)).size }).toEqual({
        action,
        keys: keys.size,
      });
    expect(denied(deletes)).toEqual([]);
  });

  test(`the proof can fail: without ${DRILL_POLICY} the scratch tables and buckets are denied`, async () => {
    const v = await oneEach(model, drillOperator([OPERATOR_POLICY, `${OPERATOR_POLICY}-restore`]));
    const deniedActions = new Set(v.filter((x) => !x.allowed).map((x) => x.request.action));
    expect([...deniedActions]).toEqual(
      expect.arrayContaining(['dynamodb:CreateTable', 'dynamodb:DeleteTable', 's3:CreateBucket', 's3:DeleteBucket', 's3:PutObject']),
    );
  });

  test('the proof can fail: a bucket outside <app>-drill-* is denied even with the drill policy', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      for (const s of p.PolicyDocument.Statement as { Sid?: string; Resource: unknown }[])
        if (s.Sid === 'DrillScratchBuckets') s.Resource = `arn:aws:s3:::${SCRATCH}uploads-*`;
    });
    const v = await oneEach(m, drillOperator());
    expect(v.filter((x) => !x.allowed).map((x) => `${x.request.action} ${x.request.resource}`)).toEqual(
      expect.arrayContaining([`s3:ListBucket arn:aws:s3:::${BUCKET}`]),
    );
  });
});

/**
 * Off-account (`recovery.offAccount`): the recovery region is the recovery account's, and the
 * recovery stack creates `<app>-dr-operator-drill` there, beside `<app>-dr-operator-recovery`.
 * The same recorded drill (every request in the recovery region, scratch resources only) is
 * evaluated as a principal of the recovery account holding those two, against the two-account
 * fixture's recovery template (synthesized for that account).
 */
describe(`off-account: the recorded drill in the recovery account (${RECOVERY_ACCOUNT})`, () => {
  const twoAccount = twoAccountConfig();
  const recoveryPolicy = recoveryOperatorPolicyName(twoAccount);
  const built = build(twoAccount);
  const recoveryTemplates: StackTemplate[] = [
    {
      id: 'recovery',
      name: built.stacks.recovery.stackName,
      region: twoAccount.recovery.region,
      account: RECOVERY_ACCOUNT,
      template: structuredClone(built.recovery.toJSON()),
    },
  ];
  const recoveryModel = synthesizePolicyModel(recoveryTemplates, RECOVERY_ACCOUNT);
  const recoveryDriller = (holds = [recoveryPolicy, DRILL_POLICY]): Principal => ({
    kind: 'managed-policy',
    name: DRILL_POLICY,
    holds,
    label: `operator (${holds.join(', ')}; recovery account) running dr drill on AWS`,
  });
  let offAccountProof: Promise<Verdict[]> | undefined;
  const offAccountVerdicts = () => (offAccountProof ??= evaluateAll(recoveryModel, casesOf(recoveryModel, calls, WHO, recoveryDriller())));

  test('the drill config and the two-account config name the same scratch prefix and recovery region', () => {
    expect([drillScratchPrefix(twoAccount), twoAccount.recovery.region]).toEqual([SCRATCH, config.recovery.region]);
  });

  test(`every request is allowed in the recovery account by ${recoveryPolicy} and its ${DRILL_POLICY}`, async () => {
    const v = await offAccountVerdicts();
    expect(v.length).toBeGreaterThanOrEqual(4000);
    expect(v.filter((x) => x.request.resource.startsWith('arn:aws:dynamodb')).every((x) => x.request.resource.split(':')[4] === RECOVERY_ACCOUNT)).toBe(true);
    expect(denied(v)).toEqual([]);
  });

  test(`the proof can fail: with ${recoveryPolicy} alone (no drill policy in the recovery account) the scratch tables and buckets are denied`, async () => {
    const v = await oneEach(recoveryModel, recoveryDriller([recoveryPolicy]));
    expect([...new Set(v.filter((x) => !x.allowed).map((x) => x.request.action))]).toEqual(
      expect.arrayContaining(['dynamodb:CreateTable', 'dynamodb:DeleteTable', 's3:CreateBucket', 's3:DeleteBucket', 's3:PutObject']),
    );
  });

  test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const rows = [
      measuredRow({
        principal: `operator (${OPERATOR_POLICY}, ${DRILL_POLICY})`,
        ran: `dr drill on AWS in ${config.recovery.region}: 5 scenarios, scratch tables and buckets created, used, deleted (DynamoDB Local + local versioned S3)`,
        verdicts: await verdicts(),
        negative: `the proof can fail: without ${DRILL_POLICY} the scratch tables and buckets are denied`,
      }),
      measuredRow({
        principal: `operator (${recoveryPolicy}, ${DRILL_POLICY}; recovery account)`,
        ran: `the same recorded drill in ${twoAccount.recovery.region} of the recovery account (off-account)`,
        verdicts: await offAccountVerdicts(),
        negative: `the proof can fail: with ${recoveryPolicy} alone (no drill policy in the recovery account) the scratch tables and buckets are denied`,
      }),
    ];
    const { documented, measured } = proofRows('drill-aws.test.ts', rows);
    expect(documented).toEqual(measured);
  });
});
