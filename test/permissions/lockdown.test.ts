/**
 * Issue 21, item 4: the lockdown proven with the permissions harness (the IAM simulator over the
 * synthesized policies of the hardened profile, with a break-glass role named).
 *
 * Principals (each a role holding `*` on `*`, as the bootstrap's CloudFormation execution role
 * does by default):
 * - a stolen admin of the production account: denied every guarded action;
 * - the break-glass role of the config: allowed them;
 * - the CloudFormation execution role (the deploy role): allowed the calls CloudFormation makes
 *   for the stack (PutKeyPolicy, ScheduleKeyDeletion on a rolled-back create, bucket policy,
 *   lifecycle, replication, Object Lock configuration, vault access policy and lock), so the
 *   stack stays updatable.
 *
 * No lock-out: KMS's key policy lockout safety check refuses a key policy that does not let the
 * caller of CreateKey/PutKeyPolicy call PutKeyPolicy again; here the caller is the deploy role and
 * the new key policy is the template's, so "the deploy role may PutKeyPolicy under the template's
 * key policy" is that check. The account keeps the key's IAM delegation (an admin may still
 * DescribeKey, Decrypt and enable rotation through its identity policy alone).
 *
 * What the simulator cannot show is said in the test names: Object Lock COMPLIANCE (S3 refuses a
 * locked version's deletion whatever IAM allows; proven on a real S3 in test/integration) and
 * Vault Lock (AWS Backup refuses deletion before the minimum retention; proven on the template).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { GUARD_SIDS } from '../../lib/constructs/lockdown-guards';
import { build, configWith } from '../lib/app-fixture';
import { evaluate, type Principal, type Verdict } from './evaluate';
import type { IamRequest } from './recorder';
import { measuredRow, proofRows } from './proof-table';
import { ACCOUNT, logicalIds, resolve, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/dr-break-glass`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/stolen-admin`;
const deployRole = (region: string) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${region}`;
const STAR = { name: 'AdministratorAccess', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } };

const built = build(configWith({ breakGlassRoleArn: BREAK_GLASS }));
const templates: StackTemplate[] = [
  { id: 'recovery', name: built.stacks.recovery.stackName, region: 'eu-central-1', template: structuredClone(built.recovery.toJSON()) },
  { id: 'production', name: built.stacks.production.stackName, region: 'eu-west-1', template: structuredClone(built.production.toJSON()) },
];
const model: PolicyModel = synthesizePolicyModel(templates);

/** Adds a role with `*` on `*` to the model (its identity), returning the principal. */
function adminRole(arn: string, label: string): Principal {
  model.roles.set(arn, { arn, logicalId: label, stack: 'production', policies: [STAR], awsManagedPolicies: [] });
  return { kind: 'role', arn, label };
}
const admin = adminRole(ADMIN, 'stolen admin (* on *)');
const breakGlass = adminRole(BREAK_GLASS, 'break-glass role');
const deployers = Object.fromEntries(['eu-west-1', 'eu-central-1'].map((r) => [r, adminRole(deployRole(r), `CloudFormation execution role (${r})`)])) as Record<
  string,
  Principal
>;

/** Every KMS key of both templates, as (region, key ARN). */
const keys = templates.flatMap((s) => logicalIds(s, 'AWS::KMS::Key').map((id) => ({ region: s.region, arn: `arn:aws:kms:${s.region}:${ACCOUNT}:key/${id}` })));
const BUCKETS = [
  { region: 'eu-west-1', name: `shop-backups-${ACCOUNT}-eu-west-1` },
  { region: 'eu-central-1', name: `shop-replica-${ACCOUNT}-eu-central-1` },
];
/** Each vault and a recovery point in it: AWS consults the vault's access policy for its recovery points. */
const VAULTS = templates.map((s) => {
  const id = logicalIds(s, 'AWS::Backup::BackupVault')[0];
  const p = resolve(s, s.template.Resources[id].Properties);
  const vaultArn = `arn:aws:backup:${s.region}:${ACCOUNT}:backup-vault:${p.BackupVaultName}`;
  const recoveryPoint = `arn:aws:backup:${s.region}:${ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45`;
  for (const arn of [vaultArn, recoveryPoint]) model.resourcePolicies.set(arn, p.AccessPolicy);
  return { region: s.region, name: p.BackupVaultName as string, vaultArn, recoveryPoint, lock: p.LockConfiguration };
});

const r = (action: string, resource: string, because: string): IamRequest => ({ action, resource, because });
const LOCKED_OBJECT = (bucket: string) => `arn:aws:s3:::${bucket}/backups/daily/2026-12-01T02-00-00Z/orders/data-00000.json.gz`;

/** The guarded requests, per resource. */
function guardedRequests(): { region: string; request: IamRequest }[] {
  return [
    ...keys.flatMap((k) =>
      ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy'].map((a) => ({ region: k.region, request: r(a, k.arn, 'key guard') })),
    ),
    ...BUCKETS.flatMap((b) => [
      { region: b.region, request: r('s3:BypassGovernanceRetention', LOCKED_OBJECT(b.name), 'delete a locked version with the governance bypass') },
      ...[
        's3:PutBucketObjectLockConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutReplicationConfiguration',
        's3:DeleteBucketPolicy',
        's3:PutBucketPolicy',
      ].map((a) => ({ region: b.region, request: r(a, `arn:aws:s3:::${b.name}`, 'bucket guard') })),
    ]),
    ...VAULTS.flatMap((v) => [
      { region: v.region, request: r('backup:DeleteRecoveryPoint', v.recoveryPoint, 'delete a recovery point') },
      { region: v.region, request: r('backup:UpdateRecoveryPointLifecycle', v.recoveryPoint, 'shorten a recovery point') },
      ...[
        'backup:DeleteBackupVault',
        'backup:PutBackupVaultAccessPolicy',
        'backup:DeleteBackupVaultAccessPolicy',
        'backup:DeleteBackupVaultLockConfiguration',
      ].map((a) => ({ region: v.region, request: r(a, v.vaultArn, 'vault guard') })),
    ]),
  ];
}

const run = (who: Principal, requests: IamRequest[]) => Promise.all(requests.map((q) => evaluate(model, who, q)));
/** Runs that the proof table reports too, simulated once (keyed by a name). */
const shared = new Map<string, Promise<Verdict[]>>();
const once = (name: string, who: Principal, requests: () => IamRequest[]) => {
  if (!shared.has(name)) shared.set(name, run(who, requests()));
  return shared.get(name)!;
};
const ordinaryKeyUse = () => keys.flatMap((k) => ['kms:DescribeKey', 'kms:Decrypt', 'kms:EnableKeyRotation'].map((a) => r(a, k.arn, 'ordinary key use')));
const adminGuarded = () => once('admin guarded', admin, () => guardedRequests().map((g) => g.request));
const adminOrdinary = () => once('admin ordinary', admin, ordinaryKeyUse);
const breakGlassGuarded = () => once('break-glass guarded', breakGlass, () => guardedRequests().map((g) => g.request));
const allowedOnes = (v: Verdict[]) => v.filter((x) => x.allowed).map((x) => `${x.request.action} ${x.request.resource}`);
const deniedOnes = (v: Verdict[]) => v.filter((x) => !x.allowed).map((x) => x.reason);

describe('the stolen admin of the production account (* on * in its identity policy)', () => {
  test('is denied every guarded action on every key, backup bucket and vault, each by the guard statement', async () => {
    expect(keys).toHaveLength(6); // backup, replica, and per region the alert-topic and log-group keys
    const verdicts = await adminGuarded();
    expect(verdicts).toHaveLength(6 * 3 + 2 * 6 + 2 * 6);
    expect(allowedOnes(verdicts)).toEqual([]);
    for (const v of verdicts)
      expect(v.reason).toMatch(new RegExp(`explicitly denied by the resource policy of .* \\(statement (${Object.values(GUARD_SIDS).join('|')})\\)`));
  });
  test('is denied scheduling the deletion of every KMS key (both regions)', async () => {
    const verdicts = await run(
      admin,
      keys.map((k) => r('kms:ScheduleKeyDeletion', k.arn, 'ransomware: make every backup unreadable')),
    );
    expect(verdicts.length).toBe(keys.length);
    expect(allowedOnes(verdicts)).toEqual([]);
  });
  test('is denied the governance bypass on a locked backup version; the COMPLIANCE lock itself is S3 (template here, real S3 in test/integration)', async () => {
    const verdicts = await run(
      admin,
      BUCKETS.map((b) => r('s3:BypassGovernanceRetention', LOCKED_OBJECT(b.name), 'bypass the lock')),
    );
    expect(allowedOnes(verdicts)).toEqual([]);
    for (const b of [built.production, built.recovery])
      b.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: Match.objectLike({ Mode: 'COMPLIANCE' }) } },
      });
  });
  test('is denied deleting a recovery point in either vault (simulator); Vault Lock beyond the simulator, proven on the template', async () => {
    const verdicts = await run(
      admin,
      VAULTS.map((v) => r('backup:DeleteRecoveryPoint', v.recoveryPoint, 'delete the AWS Backup copies')),
    );
    expect(allowedOnes(verdicts)).toEqual([]);
    for (const v of VAULTS) expect(v.lock).toEqual({ ChangeableForDays: 3, MinRetentionDays: 30, MaxRetentionDays: 365 });
  });
  test('still uses the keys through IAM (the account keeps the root delegation: no lock-out)', async () => {
    expect(deniedOnes(await adminOrdinary())).toEqual([]);
  });
});

describe('the break-glass role', () => {
  test('is allowed every guarded action', async () => {
    expect(deniedOnes(await breakGlassGuarded())).toEqual([]);
  });
});

describe("the stack's own deploy-time calls (CloudFormation execution role of each region)", () => {
  const deployCalls = (region: string): IamRequest[] => [
    ...keys
      .filter((k) => k.region === region)
      .flatMap((k) => [
        // KMS lockout safety check: the template's key policy must let the caller PutKeyPolicy again.
        r('kms:PutKeyPolicy', k.arn, 'CloudFormation updates the key policy (and the lockout safety check)'),
        r('kms:ScheduleKeyDeletion', k.arn, 'CloudFormation deletes a key whose own create rolled back'),
      ]),
    ...BUCKETS.filter((b) => b.region === region).flatMap((b) =>
      ['s3:PutBucketPolicy', 's3:PutLifecycleConfiguration', 's3:PutReplicationConfiguration', 's3:PutBucketObjectLockConfiguration'].map((a) =>
        r(a, `arn:aws:s3:::${b.name}`, 'CloudFormation applies the template'),
      ),
    ),
    ...VAULTS.filter((v) => v.region === region).flatMap((v) =>
      ['backup:PutBackupVaultAccessPolicy', 'backup:PutBackupVaultLockConfiguration'].map((a) => r(a, v.vaultArn, 'CloudFormation applies the template')),
    ),
  ];
  const deployVerdicts = (region: string) => once(`deploy ${region}`, deployers[region], () => deployCalls(region));
  test.each(['eu-west-1', 'eu-central-1'])('%s: every call allowed', async (region) => {
    const verdicts = await deployVerdicts(region);
    expect(verdicts.length).toBeGreaterThanOrEqual(2 * 2 + 4 + 2);
    expect(deniedOnes(verdicts)).toEqual([]);
  });
  test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const guarded = await adminGuarded();
    const refused = guarded.filter((v) => !v.allowed).length;
    const notExempt = "a region's deploy role is not exempt in the other region's guards";
    const rows = [
      measuredRow({
        principal: 'stolen admin of the production account (* on *)',
        ran: `ordinary use of the ${keys.length} keys; the ${guarded.length} guarded requests (keys, backup buckets, vaults): ${refused} refused by the guards, as they must be`,
        verdicts: await adminOrdinary(),
        negative: 'without the key guard, the stolen admin may schedule key deletion',
      }),
      measuredRow({
        principal: 'break-glass role of the config (* on *)',
        ran: 'the same guarded requests, exempt from the guards',
        verdicts: await breakGlassGuarded(),
        negative: 'is denied every guarded action on every key, backup bucket and vault, each by the guard statement',
      }),
      ...(await Promise.all(
        ['eu-west-1', 'eu-central-1'].map(async (region) =>
          measuredRow({
            principal: `CloudFormation execution role (${region})`,
            ran: `the stack's deploy-time calls on its keys, bucket and vault in ${region} (PutKeyPolicy: KMS's lockout check)`,
            verdicts: await deployVerdicts(region),
            negative: notExempt,
          }),
        ),
      )),
    ];
    const { documented, measured } = proofRows('lockdown.test.ts', rows);
    expect(documented).toEqual(measured);
  });
  test("a region's deploy role is not exempt in the other region's guards", async () => {
    const other = keys.filter((k) => k.region === 'eu-central-1').map((k) => r('kms:PutKeyPolicy', k.arn, 'wrong region'));
    expect(allowedOnes(await run(deployers['eu-west-1'], other))).toEqual([]);
  });
});

describe('the proof can fail', () => {
  test('without the key guard, the stolen admin may schedule key deletion', async () => {
    const copy = structuredClone(templates);
    for (const s of copy)
      for (const id of logicalIds(s, 'AWS::KMS::Key')) {
        const policy: Json = s.template.Resources[id].Properties.KeyPolicy;
        policy.Statement = policy.Statement.filter((st: Json) => st.Sid !== GUARD_SIDS.key);
      }
    const m = synthesizePolicyModel(copy);
    m.roles.set(ADMIN, { arn: ADMIN, logicalId: 'admin', stack: 'production', policies: [STAR], awsManagedPolicies: [] });
    const v = await evaluate(m, admin, r('kms:ScheduleKeyDeletion', keys[0].arn, 'no guard'));
    expect(v.allowed).toBe(true);
  });
});

/**
 * recovery.vault "airGapped": the logically air-gapped vault's access policy carries the same vault
 * guard (AWS::Backup::LogicallyAirGappedBackupVault AccessPolicy, consulted for the vault and its
 * recovery points like a standard vault's). The compliance lock AWS puts on such a vault from
 * creation is beyond the simulator: proven on the template (min/max retention, test/lib/air-gapped-vault.test.ts).
 */
describe('recovery.vault "airGapped": the air-gapped vault guard in the simulator (its AWS compliance lock: template only)', () => {
  const lag = build(configWith({ breakGlassRoleArn: BREAK_GLASS, recovery: { region: 'eu-central-1', vault: 'airGapped' } }));
  const recovery: StackTemplate = {
    id: 'recovery',
    name: lag.stacks.recovery.stackName,
    region: 'eu-central-1',
    template: structuredClone(lag.recovery.toJSON()),
  };
  const vaultFor = (template: StackTemplate, withoutGuard = false) => {
    const m = synthesizePolicyModel([template]);
    const id = logicalIds(template, 'AWS::Backup::LogicallyAirGappedBackupVault')[0];
    const p = resolve(template, template.template.Resources[id].Properties);
    const policy = structuredClone(p.AccessPolicy);
    if (withoutGuard) policy.Statement = policy.Statement.filter((st: Json) => st.Sid !== GUARD_SIDS.vault);
    const vaultArn = `arn:aws:backup:eu-central-1:${ACCOUNT}:backup-vault:${p.BackupVaultName}`;
    const recoveryPoint = `arn:aws:backup:eu-central-1:${ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45`;
    for (const arn of [vaultArn, recoveryPoint]) m.resourcePolicies.set(arn, policy);
    for (const [arn, label] of [
      [ADMIN, 'stolen admin (* on *)'],
      [BREAK_GLASS, 'break-glass role'],
    ])
      m.roles.set(arn, { arn, logicalId: label, stack: 'recovery', policies: [STAR], awsManagedPolicies: [] });
    const requests = [
      r('backup:DeleteRecoveryPoint', recoveryPoint, 'delete an air-gapped copy'),
      r('backup:UpdateRecoveryPointLifecycle', recoveryPoint, 'shorten an air-gapped copy'),
      ...['backup:DeleteBackupVault', 'backup:PutBackupVaultAccessPolicy', 'backup:DeleteBackupVaultAccessPolicy'].map((a) => r(a, vaultArn, 'vault guard')),
    ];
    return { name: p.BackupVaultName as string, model: m, requests };
  };
  const guarded = vaultFor(recovery);

  test('the stolen admin is denied deleting or shortening its recovery points and removing the vault or its policy, each by the vault guard', async () => {
    expect(guarded.name).toBe('shop-dr-recovery');
    const verdicts = await Promise.all(guarded.requests.map((q) => evaluate(guarded.model, admin, q)));
    expect(allowedOnes(verdicts)).toEqual([]);
    for (const v of verdicts) expect(v.reason).toMatch(new RegExp(`explicitly denied by the resource policy of .* \\(statement ${GUARD_SIDS.vault}\\)`));
  });
  test('the break-glass role is allowed them', async () => {
    expect(deniedOnes(await Promise.all(guarded.requests.map((q) => evaluate(guarded.model, breakGlass, q))))).toEqual([]);
  });
  test('the proof can fail: without the vault guard the stolen admin may delete an air-gapped recovery point', async () => {
    const bare = vaultFor(recovery, true);
    expect((await evaluate(bare.model, admin, bare.requests[0])).allowed).toBe(true);
  });
});
