/**
 * The permissions proof for `dr doctor` and `dr doctor --page-test` (issue 13: the operator
 * managed policy "proven by the same simulation over the CLI's recorded requests").
 *
 * Same harness as permissions.test.ts (its opening comment holds the contract): doctor runs
 * against the mocked healthy account of test/support/doctor-fixture.ts (as test/cli/doctor.test.ts
 * runs it), `recordMocked` records every request each mock received with the region of the client
 * that sent it, `ACTIONS` maps them to IAM requests (resource ARNs in that region), and each is
 * evaluated as a principal holding only `<app>-dr-operator` against the synthesized templates
 * (the policy, the topic policies, the backup key policy). This file is apart from
 * permissions.test.ts because the doctor fixture mocks S3Client and DynamoDBClient for the whole
 * module registry, which would take the local servers away from that file's scenario.
 *
 * sts:GetCallerIdentity is recorded (doctor's first call) but maps to no IAM request: AWS
 * requires no permission for it and an explicit Deny cannot stop it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CheckResult } from '../../cli/doctor/result';
import { operatorPolicyName, recoveryDoctorPolicyName } from '../../lib/config';
import { ACCOUNT, CONFIG, doctorJson, doctorWith, healthyAccount, inTheSmsSandbox, mocks, RECOVERY_PROFILE, twoAccounts } from '../support/doctor-fixture';
import { build, exampleConfig } from '../lib/app-fixture';
import { PRIMARY_ACCOUNT, RECOVERY_ACCOUNT, TWO_ACCOUNT_CONFIG, twoAccountConfig } from '../lib/two-account-fixture';
import { evaluateAll, formatTally, mappingContext, tally, type Case, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel, operatorPrincipal, withoutAction } from './proof';
import { measuredRow, proofRows } from './proof-table';
import { startRecorder, toIamRequests, type SdkCall } from './recorder';
import { builtTemplates, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

jest.setTimeout(300_000);

const OPERATOR_POLICY = operatorPolicyName(exampleConfig());
const RECOVERY_POLICY = recoveryDoctorPolicyName(twoAccountConfig());
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const REGIONS = ['eu-west-1', 'eu-central-1'];
const PAGE_TEST_ALARMS = REGIONS.map((r) => `arn:aws:cloudwatch:${r}:${ACCOUNT}:alarm:shop-doctor-page-test-Critical`);

/** Measured request counts (the floors sit a little under them). */
const FLOORS: Record<string, number> = {
  doctor: 58, // measured 63 (59 before the account settings): 2 stacks, 9 tables, 5 bucket settings, 1 listing, 1 metadata.json + its kms:Decrypt, 3 metric reads, 8 topic reads, 10 tamper rules, 2 vaults, 2 x 3 trail reads, SMS sandbox and AWS Backup settings in 2 regions
  'doctor (SMS sandbox)': 60, // measured 65: as doctor, plus ListSMSSandboxPhoneNumbers in 2 regions
  'doctor --page-test': 6, // measured 6: SetAlarmState ALARM and OK and DescribeAlarmHistory, in each region
};

const calls: SdkCall[] = [];
const runs: Record<string, Awaited<ReturnType<typeof doctorJson>>> = {};

/** `config` with `recovery.vault: "airGapped"`, written to a temporary file (doctor reads a config file). */
function airGappedVariant(config: string): string {
  const raw = JSON.parse(fs.readFileSync(config, 'utf8')) as { recovery: Record<string, unknown> };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dr-air-gapped-')), path.basename(config));
  fs.writeFileSync(file, JSON.stringify({ ...raw, recovery: { ...raw.recovery, vault: 'airGapped' } }));
  return file;
}

beforeAll(async () => {
  const recorder = startRecorder();
  try {
    for (const [who, args, account] of [
      ['doctor', [], healthyAccount],
      ['doctor --page-test', ['--page-test', '--page-wait', '0'], healthyAccount],
      ['doctor (SMS sandbox)', [], inTheSmsSandbox],
    ] as const) {
      account();
      runs[who] = await doctorJson(...args);
      for (const mock of Object.values(mocks)) await recorder.recordMocked(mock, who);
    }
    // recovery.vault "airGapped" adds the recovery region's air-gapped vault region check.
    healthyAccount();
    const airGapped = await doctorWith(airGappedVariant(CONFIG), '--json');
    runs['doctor (air-gapped vault)'] = { code: airGapped.code, results: JSON.parse(airGapped.stdout) as CheckResult[], stderr: airGapped.stderr };
    for (const mock of Object.values(mocks)) await recorder.recordMocked(mock, 'doctor (air-gapped vault)');
  } finally {
    recorder.stop();
  }
  calls.push(...recorder.calls);
});

const casesOfDoctor = (m: PolicyModel, who: string): Case[] => casesOf(m, calls, who, operatorPrincipal(OPERATOR_POLICY, who));
const evaluated = new Map<string, Promise<Verdict[]>>();
const verdicts = (who: string) => {
  if (!evaluated.has(who)) evaluated.set(who, evaluateAll(model, casesOfDoctor(model, who)));
  return evaluated.get(who)!;
};

afterAll(async () => {
  const all = (await Promise.all([...evaluated.values()])).flat();
  if (all.length) process.stdout.write(`permissions proof (dr doctor), requests evaluated per principal:\n${formatTally(tally(all))}\n`);
});

const opsOf = (who: string) => calls.filter((c) => c.who === who).map((c) => `${c.service}:${c.operation}`);

describe(`dr doctor's recorded requests against ${OPERATOR_POLICY} (mocked AWS)`, () => {
  test('doctor ran every check against the healthy account (exit 0, all PASS) and sent each of its calls', () => {
    expect(runs.doctor.code).toBe(0);
    expect(runs.doctor.results.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(new Set(opsOf('doctor'))).toEqual(
      new Set([
        'sts:GetCallerIdentity',
        'cloudformation:DescribeStacks',
        'dynamodb:DescribeContinuousBackups',
        's3:GetBucketVersioning',
        's3:GetBucketLifecycleConfiguration',
        's3:GetObjectLockConfiguration',
        's3:GetBucketReplication',
        's3:ListObjectsV2',
        's3:GetObject',
        'cloudwatch:ListMetrics',
        'cloudwatch:GetMetricData',
        'sns:ListSubscriptionsByTopic',
        'sns:GetTopicAttributes',
        'sns:GetSMSSandboxAccountStatus',
        'backup:DescribeRegionSettings',
        'events:DescribeRule',
        'backup:DescribeBackupVault',
        'cloudtrail:DescribeTrails',
        'cloudtrail:GetTrailStatus',
        'cloudtrail:GetEventSelectors',
      ]),
    );
  });

  test('in the SMS sandbox doctor also lists the verified numbers in both regions (and WARNs)', () => {
    expect(opsOf('doctor (SMS sandbox)').filter((o) => o === 'sns:ListSMSSandboxPhoneNumbers')).toHaveLength(2);
    expect(runs['doctor (SMS sandbox)'].results.filter((r) => r.status !== 'PASS').map((r) => `${r.status} ${r.check}`)).toEqual([
      'WARN SMS sandbox (eu-west-1)',
      'WARN SMS sandbox (eu-central-1)',
    ]);
  });

  test('doctor --page-test ran (exit 0): SetAlarmState ALARM and OK, and the alarm history, in both regions', () => {
    expect(runs['doctor --page-test'].code).toBe(0);
    expect(opsOf('doctor --page-test').sort()).toEqual(
      ['sts:GetCallerIdentity', ...Array(4).fill('cloudwatch:SetAlarmState'), ...Array(2).fill('cloudwatch:DescribeAlarmHistory')].sort(),
    );
  });

  test("each request's resource ARN is in the region of the client that sent it, and both regions are checked", () => {
    const all = [...casesOfDoctor(model, 'doctor'), ...casesOfDoctor(model, 'doctor --page-test')].map((c) => c.request);
    // A multi-region trail's ARN names its home region wherever it is read from (CloudTrail GetTrailStatus).
    const regional = all.filter((r) => r.resource.split(':')[3] && !r.action.startsWith('cloudtrail:'));
    expect(regional.length).toBeGreaterThan(20);
    for (const r of regional) expect({ resource: r.resource, region: r.region }).toEqual({ resource: r.resource, region: r.resource.split(':')[3] });
    for (const action of ['cloudformation:DescribeStacks', 'sns:ListSubscriptionsByTopic', 'sns:GetTopicAttributes', 'cloudwatch:SetAlarmState'])
      expect({ action, regions: [...new Set(all.filter((r) => r.action === action).map((r) => r.region))].sort() }).toEqual({
        action,
        regions: [...REGIONS].sort(),
      });
    expect([...new Set(all.filter((r) => r.action === 'cloudwatch:SetAlarmState').map((r) => r.resource))].sort()).toEqual([...PAGE_TEST_ALARMS].sort());
    // The catalog reads are SSE-KMS objects: kms:Decrypt on the backup key (alias/shop-dr-backups), via S3 in eu-west-1.
    const backupKey = model.aliasTargets.get(`arn:aws:kms:eu-west-1:${ACCOUNT}:alias/shop-dr-backups`);
    expect(backupKey).toBeDefined();
    expect(all).toContainEqual(
      expect.objectContaining({
        action: 'kms:Decrypt',
        resource: backupKey,
        context: expect.objectContaining({ 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }),
      }),
    );
  });

  for (const who of Object.keys(FLOORS))
    test(`${who}: at least ${FLOORS[who]} requests evaluated`, async () => expect((await verdicts(who)).length).toBeGreaterThanOrEqual(FLOORS[who]));
  test(`dr doctor: every request allowed by ${OPERATOR_POLICY}`, async () => expect(denied(await verdicts('doctor'))).toEqual([]));
  test(`dr doctor in the SMS sandbox: every request allowed by ${OPERATOR_POLICY}`, async () =>
    expect(denied(await verdicts('doctor (SMS sandbox)'))).toEqual([]));
  test(`dr doctor --page-test: every request allowed by ${OPERATOR_POLICY}`, async () => expect(denied(await verdicts('doctor --page-test'))).toEqual([]));
  test(`dr doctor's chain age reads each chained table's _latest.json in the replica bucket (recovery region), allowed by ${OPERATOR_POLICY}`, async () => {
    const reads = (await verdicts('doctor')).filter((v) => v.request.action === 's3:GetObject' && v.request.resource.endsWith('/_latest.json'));
    expect(reads.map((v) => v.request.resource.split('/').at(-2)).sort()).toEqual(['inventory', 'order_items', 'orders', 'users']);
    expect(reads.every((v) => v.request.resource.includes('-replica-') && v.request.region === 'eu-central-1')).toBe(true);
    expect(denied(reads)).toEqual([]);
  });
});

describe(`dr doctor with recovery.vault "airGapped": the region check's listing against ${OPERATOR_POLICY} (mocked AWS)`, () => {
  const listings = (m: PolicyModel) => casesOfDoctor(m, 'doctor (air-gapped vault)').filter((c) => c.request.action === 'backup:ListBackupVaults');
  test('one backup:ListBackupVaults (resource *), sent in the recovery region, allowed by DoctorSettings', async () => {
    expect(runs['doctor (air-gapped vault)'].results.find((r) => r.check.startsWith('air-gapped'))).toMatchObject({
      check: 'air-gapped vault region (eu-central-1)',
      status: 'PASS',
    });
    expect(listings(model).map((c) => [c.request.resource, c.request.region])).toEqual([['*', 'eu-central-1']]);
    expect(denied(await evaluateAll(model, listings(model)))).toEqual([]);
  });
  test(`the proof can fail: without ${OPERATOR_POLICY}'s DoctorSettings the listing is denied`, async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((st: { Sid?: string }) => st.Sid !== 'DoctorSettings');
    });
    expect(denied(await evaluateAll(m, listings(m)))).toEqual([expect.stringMatching(/may not backup:ListBackupVaults on \* /)]);
  });
});

describe('the doctor proof can fail', () => {
  test(`without ${OPERATOR_POLICY}'s DoctorSettings, the SMS sandbox and AWS Backup settings reads are denied in both regions`, async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((st: { Sid?: string }) => st.Sid !== 'DoctorSettings');
    });
    const reasons = denied(await evaluateAll(m, casesOfDoctor(m, 'doctor (SMS sandbox)')));
    expect(reasons.map((r) => /may not (\S+) on \* \((\w+) /.exec(r)?.slice(1).join(' ')).sort()).toEqual([
      'backup:DescribeRegionSettings backup',
      'sns:GetSMSSandboxAccountStatus sns',
      'sns:ListSMSSandboxPhoneNumbers sns',
    ]);
  });

  test(`${OPERATOR_POLICY} grants DescribeStacks on the two dr-stack stacks only: another stack in either region is denied`, async () => {
    const others = REGIONS.map((r) => ({
      who: operatorPrincipal(OPERATOR_POLICY, 'doctor'),
      request: { action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:${r}:${ACCOUNT}:stack/Payments/0000`, because: 'another stack' },
    }));
    expect(denied(await evaluateAll(model, others))).toHaveLength(2);
    // ...and the recorded DescribeStacks of both dr-stack stacks were allowed (the proof above).
    const asked = casesOfDoctor(model, 'doctor').filter((c) => c.request.action === 'cloudformation:DescribeStacks');
    expect(asked.map((c) => c.request.resource.split('/')[1]).sort()).toEqual(['Shop-Production', 'Shop-Recovery']);
  });
  test(`without ${OPERATOR_POLICY}'s DoctorProtection statement, the tamper-rule and Vault Lock reads are denied, named`, async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'DoctorProtection');
    });
    const reasons = denied(await evaluateAll(m, casesOfDoctor(m, 'doctor')));
    expect(reasons).toHaveLength(2 * 5 + 2);
    expect(reasons).toContainEqual(expect.stringMatching(/may not events:DescribeRule on arn:aws:events:eu-central-1:123456789012:rule\/shop-tamper-keys /));
    expect(reasons).toContainEqual(
      expect.stringMatching(/may not backup:DescribeBackupVault on arn:aws:backup:eu-west-1:123456789012:backup-vault:shop-dr-primary /),
    );
  });
  test(`without ${OPERATOR_POLICY}'s cloudwatch:SetAlarmState, the page test is denied, naming the action and each region's alarm ARN`, async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => withoutAction(p.PolicyDocument, 'cloudwatch:SetAlarmState'));
    const reasons = denied(await evaluateAll(m, casesOfDoctor(m, 'doctor --page-test')));
    expect(reasons).toHaveLength(2);
    for (const [i, alarm] of PAGE_TEST_ALARMS.entries())
      expect(reasons[i]).toMatch(
        new RegExp(
          `^operator \\(${OPERATOR_POLICY}\\) running dr doctor --page-test may not cloudwatch:SetAlarmState on ${alarm} \\(cloudwatch SetAlarmState\\): ImplicitlyDenied; no Allow`,
        ),
      );
    // DescribeAlarmHistory keeps its own grant: only SetAlarmState is denied.
    expect(reasons.every((r) => r.includes(' may not cloudwatch:SetAlarmState on '))).toBe(true);
  });
});

/**
 * Off-account (issue 21): `dr doctor --recovery-profile` sends the recovery region's checks with
 * the recovery account's credentials; each of those requests is evaluated as a principal of the
 * recovery account holding only `<app>-dr-operator-recovery-doctor`, against the two-account fixture's
 * recovery template (synthesized for account 444455556666).
 */
describe(`dr doctor --recovery-profile's recovery-region requests against ${RECOVERY_POLICY} (mocked AWS)`, () => {
  const twoAccount = build(twoAccountConfig());
  const recoveryTemplates: StackTemplate[] = [
    {
      id: 'recovery',
      name: twoAccount.stacks.recovery.stackName,
      region: 'eu-central-1',
      account: RECOVERY_ACCOUNT,
      template: structuredClone(twoAccount.recovery.toJSON()),
    },
  ];
  const recoveryModel = synthesizePolicyModel(recoveryTemplates, RECOVERY_ACCOUNT);
  const recoveryOperator = (running: string): Principal => ({
    kind: 'managed-policy',
    name: RECOVERY_POLICY,
    label: `operator (${RECOVERY_POLICY}, recovery account) running dr ${running}`,
  });
  const offAccount: Record<string, { code: number; calls: SdkCall[] }> = {};
  /** The recovery region's requests of a run: every client there was built with --recovery-profile (doctor-recovery-account.test.ts checks the profile). */
  const recoveryCases = (m: PolicyModel, who: string): Case[] =>
    offAccount[who].calls
      .filter((c) => c.region === 'eu-central-1' && c.service !== 'sts')
      .flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who: recoveryOperator(who), request })));

  beforeAll(async () => {
    for (const [who, config, args] of [
      ['doctor --recovery-profile', TWO_ACCOUNT_CONFIG, []],
      ['doctor --recovery-profile --page-test', TWO_ACCOUNT_CONFIG, ['--page-test', '--page-wait', '0']],
      ['doctor --recovery-profile (air-gapped vault)', airGappedVariant(TWO_ACCOUNT_CONFIG), []],
    ] as const) {
      twoAccounts(PRIMARY_ACCOUNT, RECOVERY_ACCOUNT);
      const recorder = startRecorder();
      try {
        const run = await doctorWith(config, '--json', '--recovery-profile', RECOVERY_PROFILE, ...args);
        for (const mock of Object.values(mocks)) await recorder.recordMocked(mock, who);
        offAccount[who] = { code: run.code, calls: recorder.calls };
      } finally {
        recorder.stop();
      }
    }
  });

  test('both runs passed (exit 0) and sent the recovery checks: stack, buckets, topics, tamper rules, vault, trails, settings, metrics, alarm', () => {
    expect(offAccount['doctor --recovery-profile'].code).toBe(0);
    expect(offAccount['doctor --recovery-profile --page-test'].code).toBe(0);
    const ops = new Set(recoveryCases(recoveryModel, 'doctor --recovery-profile').map((c) => c.request.action));
    for (const action of [
      'cloudformation:DescribeStacks',
      's3:GetBucketVersioning',
      's3:GetBucketObjectLockConfiguration',
      's3:GetLifecycleConfiguration',
      'sns:ListSubscriptionsByTopic',
      'sns:GetTopicAttributes',
      'sns:GetSMSSandboxAccountStatus',
      'backup:DescribeRegionSettings',
      'cloudwatch:GetMetricData',
      'events:DescribeRule',
      'backup:DescribeBackupVault',
      'cloudtrail:DescribeTrails',
      'cloudtrail:GetTrailStatus',
      'cloudtrail:GetEventSelectors',
    ])
      expect(ops).toContain(action);
    expect(
      recoveryCases(recoveryModel, 'doctor --recovery-profile --page-test')
        .map((c) => c.request.action)
        .sort(),
    ).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:SetAlarmState', 'cloudwatch:SetAlarmState']);
  });

  /** The recovery-region verdicts of both runs, simulated once (this test and the table's). */
  let recoveryProof: Promise<Verdict[]> | undefined;
  const recoveryVerdicts = () =>
    (recoveryProof ??= evaluateAll(recoveryModel, [
      ...recoveryCases(recoveryModel, 'doctor --recovery-profile'),
      ...recoveryCases(recoveryModel, 'doctor --recovery-profile --page-test'),
    ]));

  test(`every recovery-region request of dr doctor and --page-test is allowed by ${RECOVERY_POLICY}`, async () => {
    const verdicts = await recoveryVerdicts();
    expect(verdicts.length).toBeGreaterThanOrEqual(22); // measured 24: 21 checks' requests and 3 of the page test
    expect(denied(verdicts)).toEqual([]);
  });

  test(`recovery.vault "airGapped": the region check's backup:ListBackupVaults in the recovery region is allowed by ${RECOVERY_POLICY}, and denied without its DoctorSettings`, async () => {
    const listings = (m: PolicyModel) =>
      recoveryCases(m, 'doctor --recovery-profile (air-gapped vault)').filter((c) => c.request.action === 'backup:ListBackupVaults');
    expect(listings(recoveryModel).map((c) => [c.request.resource, c.request.region])).toEqual([['*', 'eu-central-1']]);
    expect(denied(await evaluateAll(recoveryModel, listings(recoveryModel)))).toEqual([]);
    const m = editedModel(recoveryTemplates, 'recovery', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'DoctorSettings');
    });
    expect(denied(await evaluateAll(m, listings(m)))).toEqual([expect.stringMatching(/may not backup:ListBackupVaults on \* /)]);
  });

  test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const operator = `operator (${OPERATOR_POLICY})`;
    const rows = [
      measuredRow({
        principal: operator,
        ran: 'dr doctor against a healthy account, both regions (mocked)',
        verdicts: await verdicts('doctor'),
        negative: `without ${OPERATOR_POLICY}'s DoctorProtection statement, the tamper-rule and Vault Lock reads are denied, named`,
      }),
      measuredRow({
        principal: operator,
        ran: 'dr doctor in the SMS sandbox, both regions (mocked)',
        verdicts: await verdicts('doctor (SMS sandbox)'),
        negative: `without ${OPERATOR_POLICY}'s DoctorSettings, the SMS sandbox and AWS Backup settings reads are denied in both regions`,
      }),
      measuredRow({
        principal: operator,
        ran: 'dr doctor --page-test, both regions (mocked)',
        verdicts: await verdicts('doctor --page-test'),
        negative: `without ${OPERATOR_POLICY}'s cloudwatch:SetAlarmState, the page test is denied, naming the action and each region's alarm ARN`,
      }),
      measuredRow({
        principal: `operator (${RECOVERY_POLICY}, recovery account)`,
        ran: 'dr doctor --recovery-profile and --page-test: the recovery-region requests (mocked)',
        verdicts: await recoveryVerdicts(),
        negative: `the proof can fail: without ${RECOVERY_POLICY}'s Doctor* and PageTestAlarm statements every one of those requests is denied`,
      }),
    ];
    const { documented, measured } = proofRows('doctor.test.ts', rows);
    expect(documented).toEqual(measured);
  });

  test(`the proof can fail: without ${RECOVERY_POLICY}'s Doctor* and PageTestAlarm statements every one of those requests is denied`, async () => {
    const m = editedModel(recoveryTemplates, 'recovery', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => !/^(Doctor|PageTestAlarm)/.test(s.Sid ?? ''));
    });
    const cases = [...recoveryCases(m, 'doctor --recovery-profile'), ...recoveryCases(m, 'doctor --recovery-profile --page-test')];
    const verdicts = await evaluateAll(m, cases);
    expect(verdicts.filter((v) => v.allowed)).toEqual([]);
  });
});
