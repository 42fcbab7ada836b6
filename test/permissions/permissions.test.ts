/**
 * The permissions proof: every AWS request our code sends, and every request AWS services send on
 * our behalf, evaluated against the synthesized templates' policies with an IAM policy simulator.
 *
 * Harness contract (test/permissions/, one harness: later work adds rows, not harnesses):
 * - recorder.ts records SDK v3 requests (`startRecorder`, `recorder.as(who, fn)`, `recordMocked`)
 *   and maps each SDK operation to the IAM requests AWS authorizes (`ACTIONS`, `toIamRequests`);
 *   an operation missing from `ACTIONS` fails the proof with its name. New API calls (ImportTable,
 *   bulk puts, incremental exports) add a line to `ACTIONS`.
 * - templates.ts synthesizes both stacks for account 123456789012 and resolves the policies:
 *   identity policies per role and per customer-managed policy, resource policies per ARN.
 * - evaluate.ts takes (who, request) cases and returns verdicts: `allowed`, and a `reason` naming
 *   the principal, action, resource and the deciding policy. `who` is a role of the templates, a
 *   customer-managed policy (the operator), or a service principal with its source ARN.
 * - service-paths.ts derives the service-principal cases from the templates.
 * - scenario.ts runs the code (handlers with the template's env, CLI commands) under `who` labels;
 *   WHO_TO_PRINCIPAL below maps each label to the principal that runs that code in AWS. A new
 *   role (a lockdown break-glass role, an importer) adds a label, a principal and a floor.
 * - doctor.test.ts runs `dr doctor` and `dr doctor --page-test` against the mocked account of
 *   test/support/doctor-fixture.ts and records the mocks' calls (`recordMocked`), evaluated as the
 *   operator policy like the CLI here; it is a file of its own because that fixture mocks the S3
 *   and DynamoDB clients of its whole module registry. proof.ts holds what both files share
 *   (operator principal, cases of a label, denials, template copies for the negative tests).
 * - Each principal's evaluated count must reach a measured floor (so a scenario that silently
 *   stops sending requests fails), and 0 may be denied. The negative tests remove a grant from a
 *   template copy and expect the denial, named.
 *
 * AWS rules encoded (see the links next to each mapping in recorder.ts and service-paths.ts):
 * HeadObject needs s3:GetObject; ListObjectsV2 needs s3:ListBucket on the bucket ARN; multipart
 * uploads are s3:PutObject; SSE-KMS writes need kms:GenerateDataKey and reads kms:Decrypt on the
 * bucket key, checked against the caller (multipart both); a Scan or Query on an index is
 * authorized on the index ARN; ExportTableToPointInTime is authorized on the table ARN and writes
 * to S3 as the caller; RestoreTableToPointInTime needs the source table plus read/write on the
 * target; SetAlarmState, DescribeAlarmHistory and DescribeAlarms are authorized on the alarm ARN
 * in the client's region, ListMetrics and GetMetricData on "*"; DescribeStacks on the stack ARN;
 * sts:GetCallerIdentity needs no permission and cannot be denied; KMS requires the key policy to allow (identity grants work only through a key policy
 * that delegates to the account root).
 */
import { operatorPolicyName } from '../../lib/config';
import { exampleConfig } from '../lib/config-fixture';
import { useLocalServers } from '../support/use-local-servers';
import { evaluateAll, formatTally, tally, type Case, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel as editedCopy, operatorPrincipal, withoutAction } from './proof';
import { proofRows, measuredRow, type ProofRow } from './proof-table';
import { startRecorder, type Recorder } from './recorder';
import { BIG_TABLE_ITEMS, FUNCTIONS, runScenario, UNFINISHED_TARGET, type ScenarioOutcome } from './scenario';
import { awsBackupCases, cloudWatchCases, eventBridgeCases, replicationCases } from './service-paths';
import type { Principal as ProofPrincipal } from './evaluate';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

jest.setTimeout(600_000);

const OPERATOR_POLICY = operatorPolicyName(exampleConfig());
const REGIONS = { primary: exampleConfig().primary.region, recovery: exampleConfig().recovery.region };
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);

/** The principal that runs the code recorded under each label. */
function principalOf(m: PolicyModel, who: string): Principal {
  if (who === 'cli') return operatorPrincipal(OPERATOR_POLICY);
  const fn = functionOf(m, FUNCTIONS[who as keyof typeof FUNCTIONS], who);
  return { kind: 'role', arn: fn.roleArn, label: `${who} (role ${fn.roleArn.split('/').pop()})` };
}

/** Measured request counts of the scenario (the floors sit a little under them). */
const FLOORS: Record<string, number> = {
  BackupFunction: 200, // measured 222-223
  ExportFinalizerFunction: 80, // measured 92
  RestoreTestFunction: 750, // measured 798
  ReplicaMonitorFunction: 3, // measured 3
  cli: 150, // measured 381 (dr list in text mode in both regions since the journal check; 170 before)
};

const local = useLocalServers();
let recorder: Recorder;
let outcome: ScenarioOutcome;

beforeAll(async () => {
  recorder = startRecorder();
  try {
    outcome = await runScenario(model, local, recorder);
  } finally {
    recorder.stop();
  }
}, 600_000);

/** The recorded requests of `who` as cases against `m`'s principal for it. */
function recordedCases(m: PolicyModel, who: string): Case[] {
  return casesOf(m, recorder.calls, who, principalOf(m, who));
}
const printed: Verdict[] = [];
afterAll(() => {
  if (!printed.length) return;
  // Denials grouped by principal, action and resource (many alarms share one topic).
  const groups = new Map<string, { reason: string; n: number }>();
  for (const v of printed.filter((x) => !x.allowed)) {
    const k = `${v.who.label} ${v.request.action} ${v.request.resource}`;
    groups.set(k, { reason: groups.get(k)?.reason ?? v.reason, n: (groups.get(k)?.n ?? 0) + 1 });
  }
  const lines = [...groups.values()].map((g) => `DENIED x${g.n}: ${g.reason}`);
  if (!evaluated.has('cli'))
    lines.unshift(`operator CLI: ${recordedCases(model, 'cli').length} requests recorded, evaluated once ${OPERATOR_POLICY} is in the stacks`);
  process.stdout.write(`permissions proof, requests evaluated per principal:\n${formatTally(tally(printed))}\n${lines.join('\n')}\n`);
});

/** Verdicts per principal label, evaluated once and added to the printed table. */
const evaluated = new Map<string, Promise<Verdict[]>>();
function verdictsOf(key: string, cases: () => Case[]): Promise<Verdict[]> {
  if (!evaluated.has(key))
    evaluated.set(
      key,
      evaluateAll(model, cases()).then((v) => (printed.push(...v), v)),
    );
  return evaluated.get(key)!;
}
const recorded = (who: string) => verdictsOf(who, () => recordedCases(model, who));

/**
 * Two tests per principal: the count reaches the measured floor (so a scenario or mapping that
 * silently stops producing requests fails), and nothing is denied. They are apart so a known
 * defect marked `test.failing` (as items 4 and 5 of issue 13 were) can only fail for its denials.
 */
function provesCount(name: string, verdicts: () => Promise<Verdict[]>, floor: number): void {
  test(`${name}: at least ${floor} requests evaluated`, async () => expect((await verdicts()).length).toBeGreaterThanOrEqual(floor));
}
const allowed = async (verdicts: () => Promise<Verdict[]>) => expect(denied(await verdicts())).toEqual([]);

describe('recorded requests of the deployed functions', () => {
  test('the scenario ran each handler for real (scan set, native-export set, restore test, monitor)', () => {
    expect(outcome.handlers.backupScan).toMatchObject({ tier: 'daily', status: 'complete' });
    expect(outcome.handlers.backupExport).toMatchObject({ tier: 'weekly', status: 'pending' });
    expect(outcome.handlers.finalizer).toMatchObject({ outcomes: [{ tier: 'weekly', status: 'complete' }] });
    expect(outcome.handlers.restoreTest).toMatchObject({
      tables: expect.arrayContaining([expect.objectContaining({ source: 'orders', items: BIG_TABLE_ITEMS })]),
    });
    expect(outcome.handlers.replicaMonitor).toMatchObject({ backupId: expect.any(String) });
    const ops = new Set(recorder.calls.filter((c) => c.who === 'BackupFunction').map((c) => c.operation));
    for (const op of ['Scan', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'PutObject', 'ListObjectsV2', 'ExportTableToPointInTime'])
      expect(ops).toContain(op);
  });

  for (const who of Object.keys(FUNCTIONS)) provesCount(who, () => recorded(who), FLOORS[who]);
  test('BackupFunction: every request allowed by its role, the bucket policy and the key policy', () => allowed(() => recorded('BackupFunction')));
  test('ExportFinalizerFunction: every request allowed (mocked DescribeExport recorded from the mock)', () =>
    allowed(() => recorded('ExportFinalizerFunction')));
  test('ReplicaMonitorFunction: every request allowed', () => allowed(() => recorded('ReplicaMonitorFunction')));
  test("ReplicaMonitorFunction: the chain age reads each chained table's _latest.json pointer, allowed by its role", async () => {
    const chained = functionOf(model, 'recovery', 'ReplicaMonitor').env.CHAINED_TABLES.split(',').filter(Boolean);
    expect(chained.length).toBeGreaterThan(0);
    const reads = (await recorded('ReplicaMonitorFunction')).filter((v) => v.request.action === 's3:GetObject' && /_latest\.json$/.test(v.request.resource));
    expect(reads.map((v) => v.request.resource.split('/').at(-2)).sort()).toEqual([...chained].sort());
    expect(denied(reads)).toEqual([]);
  });
  // Issue 13 item 5: before the fix the role could CreateTable *-drtest-* but not UpdateTimeToLive (wishlists has TTL).
  test('RestoreTestFunction: every request allowed, UpdateTimeToLive on *-drtest-* included (issue 13 item 5)', () =>
    allowed(() => recorded('RestoreTestFunction')));
});

describe('recorded requests of the operator CLI against the operator managed policy', () => {
  const hasOperatorPolicy = model.managedPolicies.has(OPERATOR_POLICY);
  test('the CLI commands ran (list in both regions, validate, restore, mocked pitr-restore) and their requests map to IAM requests', () => {
    for (const name of ['list', 'listRecovery', 'validate', 'restore', 'pitr'])
      expect({ name, code: outcome.cli[name].code, stderr: outcome.cli[name].stderr }).toMatchObject({ name, code: 0 });
    const ops = new Set(recorder.calls.filter((c) => c.who === 'cli').map((c) => c.operation));
    for (const op of ['ListObjectsV2', 'GetObject', 'CreateTable', 'BatchWriteItem', 'RestoreTableToPointInTime']) expect(ops).toContain(op);
    expect(recordedCases(model, 'cli').length).toBeGreaterThanOrEqual(FLOORS.cli);
  });
  // Skipped only for a config or branch whose stacks have no operator policy (the requests are still recorded and mapped, above).
  if (hasOperatorPolicy) test(`every CLI request allowed by ${OPERATOR_POLICY}`, () => allowed(() => recorded('cli')));
  else test.skip(`every CLI request allowed by ${OPERATOR_POLICY} (skipped: no ${OPERATOR_POLICY} in the stacks yet)`, () => undefined);
  // dr list judges an unfinished journal against its live table (lambda/restore/journal/standing.ts).
  test(`dr list in each region checks the unfinished journal's table there: DescribeTable of ${UNFINISHED_TARGET} in both regions, allowed`, async () => {
    const checks = (await recorded('cli')).filter(
      (v) => v.request.action === 'dynamodb:DescribeTable' && v.request.resource.endsWith(`:table/${UNFINISHED_TARGET}`),
    );
    expect(new Set(checks.map((v) => v.request.resource.split(':')[3]))).toEqual(new Set([REGIONS.primary, REGIONS.recovery]));
    expect(denied(checks)).toEqual([]);
    // The table is in neither region here: each list says so, in its own region.
    expect(outcome.cli.list.stdout).toContain(
      `"${UNFINISHED_TARGET}" (restore of daily/2026-12-01T02-00-00-000Z): the target table no longer exists in ${REGIONS.primary}`,
    );
    expect(outcome.cli.listRecovery.stdout).toContain(
      `"${UNFINISHED_TARGET}" (restore of daily/2026-12-01T02-00-00-000Z): the target table no longer exists in ${REGIONS.recovery}`,
    );
  });
});

describe('service-principal paths no code of ours sends', () => {
  const cloudWatch = () => verdictsOf('cloudwatch', () => cloudWatchCases(model));
  const replication = () => verdictsOf('replication', () => replicationCases(model));
  const awsBackup = () => verdictsOf('aws-backup', () => awsBackupCases(model));
  const eventBridge = () => verdictsOf('eventbridge', () => eventBridgeCases(model));
  provesCount('CloudWatch alarm actions', cloudWatch, 150);
  provesCount('S3 replication', replication, 19);
  provesCount('AWS Backup', awsBackup, 8);
  provesCount('EventBridge', eventBridge, 16);
  // Issue 13 item 4: before the fix enforceSSL left the topic policies with only a Deny, so nothing let CloudWatch publish.
  test('CloudWatch -> every alarm action topic: sns:Publish and the topic key (issue 13 item 4)', () => allowed(cloudWatch));
  test('S3 replication role -> source read, source key, replica write, replica key', () => allowed(replication));
  test('AWS Backup -> the vault keys of the plan and of its copy destination', () => allowed(awsBackup));
  test('EventBridge -> target functions and DLQs; functions -> their async DLQs', () => allowed(eventBridge));
});

/** A model of a copy of the templates with `edit` applied to every `type` resource of `stackId`. */
const editedModel = (stackId: StackTemplate['id'], type: string, edit: Parameters<typeof editedCopy>[3]) => editedCopy(templates, stackId, type, edit);

describe('the proof can fail', () => {
  test("without the backup role's s3:PutObject, the backup function's writes are denied, naming role, action and object", async () => {
    const backupRole = functionOf(model, 'production', 'BackupFunction').roleArn.split('/').pop()!;
    const m = editedModel('production', 'AWS::IAM::Policy', (p) => {
      if (JSON.stringify(p.Roles).includes(backupRole.replace(/^Shop-Production-/, ''))) withoutAction(p.PolicyDocument, 's3:PutObject');
    });
    const verdicts = await evaluateAll(m, recordedCases(m, 'BackupFunction'));
    const reasons = denied(verdicts);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => r.includes(' may not s3:PutObject on '))).toBe(true);
    expect(reasons[0]).toMatch(
      new RegExp(
        `^BackupFunction \\(role ${backupRole}\\) may not s3:PutObject on arn:aws:s3:::shop-backups-123456789012-eu-west-1/backups/.*ImplicitlyDenied; no Allow in the identity policies`,
      ),
    );
  });

  const operatorEdit = model.managedPolicies.has(OPERATOR_POLICY) ? test : test.skip;
  operatorEdit(`without ${OPERATOR_POLICY}'s s3:GetObject, the CLI's reads of backup sets are denied, naming the policy and object`, async () => {
    const m = editedModel('production', 'AWS::IAM::ManagedPolicy', (p) => withoutAction(p.PolicyDocument, 's3:GetObject'));
    const reasons = denied(await evaluateAll(m, recordedCases(m, 'cli')));
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => r.includes(' may not s3:GetObject on '))).toBe(true);
    expect(reasons[0]).toMatch(
      new RegExp(`^operator \\(${OPERATOR_POLICY}\\) may not s3:GetObject on arn:aws:s3:::shop-(backups|replica)-123456789012-.*/backups/`),
    );
  });

  operatorEdit(`without ${OPERATOR_POLICY}'s dynamodb:DescribeTable, dr list cannot check an unfinished journal's table in either region`, async () => {
    const m = editedModel('production', 'AWS::IAM::ManagedPolicy', (p) => withoutAction(p.PolicyDocument, 'dynamodb:DescribeTable'));
    const reasons = denied(await evaluateAll(m, recordedCases(m, 'cli'))).filter((r) => r.includes(`:table/${UNFINISHED_TARGET} `));
    for (const region of [REGIONS.primary, REGIONS.recovery])
      expect(reasons).toContainEqual(
        expect.stringContaining(`may not dynamodb:DescribeTable on arn:aws:dynamodb:${region}:123456789012:table/${UNFINISHED_TARGET} `),
      );
  });

  test('without a topic policy statement that allows cloudwatch.amazonaws.com, alarm notifications are denied, naming the topic', async () => {
    const m = editedModel('production', 'AWS::SNS::TopicPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter(
        (s: { Effect: string; Principal?: unknown }) => !(s.Effect === 'Allow' && JSON.stringify(s.Principal ?? '').includes('cloudwatch')),
      );
    });
    const reasons = denied(
      await evaluateAll(
        m,
        cloudWatchCases(m).filter((c) => c.request.action === 'sns:Publish' && c.request.resource.includes('eu-west-1')),
      ),
    );
    expect(reasons).toContainEqual(
      expect.stringMatching(
        /^cloudwatch\.amazonaws\.com \(alarm actions\) may not sns:Publish on arn:aws:sns:eu-west-1:123456789012:shop-dr-critical-primary .*no Allow in the resource policy/,
      ),
    );
  });

  test('and it can pass: a topic policy that allows cloudwatch.amazonaws.com from this account lets every primary alarm publish', async () => {
    const m = editedModel('production', 'AWS::SNS::TopicPolicy', (p) => {
      p.PolicyDocument.Statement.push({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: p.Topics[0],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      });
    });
    const verdicts = await evaluateAll(
      m,
      cloudWatchCases(m).filter((c) => c.request.resource.includes('eu-west-1')),
    );
    expect(verdicts.length).toBeGreaterThan(100);
    expect(denied(verdicts)).toEqual([]);
  });
});

/** Removes `action` from the inline policies of the role whose ARN is `roleArn` (its name minus the stack prefix names it in `Roles`). */
const withoutRoleAction = (stackId: StackTemplate['id'], roleArn: string, action: string) =>
  editedModel(stackId, 'AWS::IAM::Policy', (p) => {
    if (
      JSON.stringify(p.Roles).includes(
        roleArn
          .split('/')
          .pop()!
          .replace(/^Shop-(Production|Recovery)-/, ''),
      )
    )
      withoutAction(p.PolicyDocument, action);
  });

describe('a negative test per row of the proof table', () => {
  for (const [who, stackId, action] of [
    ['ExportFinalizerFunction', 'production', 's3:PutObject'],
    ['RestoreTestFunction', 'recovery', 'dynamodb:CreateTable'],
    ['ReplicaMonitorFunction', 'recovery', 's3:ListBucket'],
  ] as const)
    test(`negative: without its role's ${action}, ${who} is denied ${action}, naming its role`, async () => {
      const roleArn = functionOf(model, stackId, who).roleArn;
      const m = withoutRoleAction(stackId, roleArn, action);
      const reasons = denied(await evaluateAll(m, recordedCases(m, who)));
      expect(reasons.length).toBeGreaterThan(0);
      for (const r of reasons) expect(r).toMatch(new RegExp(`^${who} \\(role ${roleArn.split('/').pop()}\\) may not ${action} on `));
    });

  test('negative: without s3:ReplicateObject in the replication role, replicas are denied, naming the destination bucket', async () => {
    const roleArn = replicationCases(model)[0].who as Extract<ProofPrincipal, { kind: 'role' }>;
    const m = withoutRoleAction('production', roleArn.arn, 's3:ReplicateObject');
    const reasons = denied(await evaluateAll(m, replicationCases(m)));
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/^S3 replication role .* may not s3:ReplicateObject on arn:aws:s3:::shop-(replica|uploads)-/);
  });

  test("negative: without AWS's service-role policy for backups, AWS Backup may not use the vault keys", async () => {
    const cases = awsBackupCases(model).map((c) => ({ ...c, who: { ...(c.who as Extract<ProofPrincipal, { kind: 'role' }>), standIns: [] } }));
    const reasons = denied(await evaluateAll(model, cases));
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/^AWS Backup selection role may not kms:\w+ on arn:aws:kms:/);
  });

  test("negative: with the functions' invoke permissions granted to another service, EventBridge may not invoke them", async () => {
    const m = editedModel('production', 'AWS::Lambda::Permission', (p) => {
      if (p.Principal === 'events.amazonaws.com') p.Principal = 'sns.amazonaws.com';
    });
    const reasons = denied(
      await evaluateAll(
        m,
        eventBridgeCases(m).filter((c) => c.request.action === 'lambda:InvokeFunction'),
      ),
    );
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/^events\.amazonaws\.com .* may not lambda:InvokeFunction on arn:aws:lambda:eu-west-1:/);
  });
});

/** The rows this file owns in docs/security.md's proof table: what ran, and the negative test of each. */
const ROWS: { key: string; ran: string; negative: string; verdicts: () => Promise<Verdict[]> }[] = [
  ...(
    [
      [
        'BackupFunction',
        'the backup handler: a scan set and a native-export set',
        "without the backup role's s3:PutObject, the backup function's writes are denied",
      ],
      [
        'ExportFinalizerFunction',
        'the export finalizer (DescribeExport mocked)',
        "negative: without its role's s3:PutObject, ExportFinalizerFunction is denied",
      ],
      [
        'RestoreTestFunction',
        'the weekly restore test (write and import engines)',
        "negative: without its role's dynamodb:CreateTable, RestoreTestFunction is denied",
      ],
      ['ReplicaMonitorFunction', 'the replica monitor', "negative: without its role's s3:ListBucket, ReplicaMonitorFunction is denied"],
      [
        'cli',
        'dr list (both regions, an unfinished journal in each), validate, restore (recovery region), pitr-restore (mocked)',
        `without ${OPERATOR_POLICY}'s s3:GetObject, the CLI's reads of backup sets are denied`,
      ],
    ] as const
  ).map(([key, ran, negative]) => ({ key, ran, negative, verdicts: () => recorded(key) })),
  {
    key: 'cloudwatch',
    ran: 'alarm actions (service path from the templates)',
    negative: 'without a topic policy statement that allows cloudwatch.amazonaws.com, alarm notifications are denied',
    verdicts: () => verdictsOf('cloudwatch', () => cloudWatchCases(model)),
  },
  {
    key: 'replication',
    ran: 'S3 replication of the backup and data buckets (service path)',
    negative: 'negative: without s3:ReplicateObject in the replication role, replicas are denied',
    verdicts: () => verdictsOf('replication', () => replicationCases(model)),
  },
  {
    key: 'aws-backup',
    ran: 'AWS Backup writing recovery points and copies (service path)',
    negative: "negative: without AWS's service-role policy for backups, AWS Backup may not use the vault keys",
    verdicts: () => verdictsOf('aws-backup', () => awsBackupCases(model)),
  },
  {
    key: 'eventbridge',
    ran: 'schedules -> functions and DLQs, functions -> async DLQs (service path)',
    negative: "negative: with the functions' invoke permissions granted to another service, EventBridge may not invoke them",
    verdicts: () => verdictsOf('eventbridge', () => eventBridgeCases(model)),
  },
];

test('the proof table in docs/security.md says what this file measured (distinct requests; UPDATE_PROOF_TABLE=1 regenerates)', async () => {
  const rows: ProofRow[] = [];
  for (const r of ROWS) {
    const v = await r.verdicts();
    const principal = r.key === 'eventbridge' ? 'events.amazonaws.com and the functions (async DLQs)' : v[0].who.label;
    rows.push(measuredRow({ principal, ran: r.ran, verdicts: v, negative: r.negative }));
  }
  const { documented, measured } = proofRows('permissions.test.ts', rows);
  expect(documented).toEqual(measured);
});
