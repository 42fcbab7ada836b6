/**
 * Issue 21: `dr doctor` reports the protection each deployed stack declares in its Protection
 * output (level, locks, guards, tamper rules, as the synthesized templates write it, both
 * profiles), WARNs on standard, and compares with the live account only where a read-only call
 * exists: the tamper rules' state (EventBridge DescribeRule), Vault Lock (AWS Backup
 * DescribeBackupVault) and the trail that feeds the rules (CloudTrail DescribeTrails,
 * GetTrailStatus, GetEventSelectors), all mocked.
 */
import { DescribeBackupVaultCommand } from '@aws-sdk/client-backup';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { protectionOutputKey, type DrConfig } from '../../lib/config';
import { parseProtectionSummary } from '../../lib/protection-summary';
import { protectionCheck } from '../../cli/doctor/protection';
import { configWith, exampleConfig, templates } from '../lib/app-fixture';
import { awsError, doctorJson, healthyAccount, mocks, protectionSummary, result, TAMPER_RULES, TRAIL } from '../support/doctor-fixture';

const STACKS = { production: 'Shop-Production', recovery: 'Shop-Recovery' };
const STANDARD = () => configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } });

/** The outputs the two templates of `config` declare (what DescribeStacks returns after a deploy). */
function deployedOutputs(config: DrConfig): Record<string, string> {
  const built = templates(config);
  const out: Record<string, string> = {};
  for (const t of [built.production, built.recovery])
    for (const [k, v] of Object.entries(t.toJSON().Outputs ?? {}) as [string, { Value: unknown }][]) if (typeof v.Value === 'string') out[k] = v.Value;
  return out;
}

let hardened: Record<string, string>;
let standard: Record<string, string>;
beforeAll(() => {
  hardened = deployedOutputs(exampleConfig());
  standard = deployedOutputs(STANDARD());
});

describe('the Protection output of each stack (templates)', () => {
  it('hardened: level, COMPLIANCE lock, Vault Lock from the tiers, guards and tamper rules, what the doctor fixture mocks', () => {
    expect(parseProtectionSummary(hardened[protectionOutputKey('primary')])).toEqual(protectionSummary('shop-dr-primary'));
    expect(parseProtectionSummary(hardened[protectionOutputKey('recovery')])).toEqual(protectionSummary('shop-dr-recovery'));
  });
  it('standard declares itself too: GOVERNANCE, vaults without a lock, no guards, no tamper rules', () => {
    expect(parseProtectionSummary(standard[protectionOutputKey('recovery')])).toEqual({
      level: 'standard',
      objectLock: { mode: 'GOVERNANCE', days: 7 },
      vaults: [{ name: 'shop-dr-recovery', kind: 'locked' }],
      guards: { keys: false, buckets: 0, vaults: 0 },
      tamperRules: [],
    });
  });
});

describe('dr doctor: protection, from the outputs', () => {
  it('PASSes on hardened stacks, naming the locks, guards and tamper rules of each region', () => {
    expect(protectionCheck(exampleConfig(), hardened, STACKS)).toEqual({
      check: 'protection',
      status: 'PASS',
      detail:
        'hardened: primary (Object Lock COMPLIANCE 7 d; Vault Lock 30-365 d on shop-dr-primary; guards on every KMS key, 1 bucket, 1 vault; 5 tamper rules), ' +
        'recovery (Object Lock COMPLIANCE 7 d; Vault Lock 30-365 d on shop-dr-recovery; guards on every KMS key, 1 bucket, 1 vault; 5 tamper rules)',
      fix: null,
    });
  });
  it('WARNs on standard stacks, from what they declare, saying what an admin can do and the fix', () => {
    expect(protectionCheck(STANDARD(), standard, STACKS)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/^Shop-Production and Shop-Recovery are deployed "standard": GOVERNANCE Object Lock/),
      fix: expect.stringMatching(/"protection": "hardened"/),
    });
  });
  it('WARNs when the config asks for hardened but the stacks are deployed standard', () => {
    expect(protectionCheck(exampleConfig(), standard, STACKS)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/dr\.config\.json asks for hardened but it is not deployed$/),
      fix: 'deploy both stacks again (npx cdk deploy --all)',
    });
  });
  it('WARNs when the config says standard but the stacks are hardened (the next deploy lowers the protection)', () => {
    expect(protectionCheck(STANDARD(), hardened, STACKS)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/^hardened: .*dr\.config\.json says "standard": the next deploy removes the guards/),
    });
  });
  it('WARNs when a stack has no readable output (deployed before, or the old text format)', () => {
    const outputs = { ...hardened, [protectionOutputKey('recovery')]: 'hardened | locks: Object Lock COMPLIANCE' };
    delete (outputs as Record<string, string>)[protectionOutputKey('primary')];
    expect(protectionCheck(exampleConfig(), outputs, STACKS)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(
        /^Shop-Production and Shop-Recovery do not declare a protection level \(no readable ProtectionPrimary, ProtectionRecovery output\)/,
      ),
      fix: 'deploy both stacks again (npx cdk deploy --all)',
    });
  });
});

describe('dr doctor: the declared protection against the live account (mocked AWS)', () => {
  beforeEach(() => healthyAccount());

  it('PASSes the tamper rules of both regions and both Vault Locks, with the date each became immutable', async () => {
    const { results } = await doctorJson();
    expect(result(results, 'tamper rules eu-west-1')).toMatchObject({ status: 'PASS', detail: '5 rules enabled in eu-west-1' });
    expect(result(results, 'vault lock shop-dr-recovery')).toMatchObject({
      status: 'PASS',
      detail: 'shop-dr-recovery: Vault Lock 30-365 days, immutable since 2026-11-04',
    });
    const asked = mocks.events.commandCalls(DescribeRuleCommand).map((c) => c.args[0].input.Name);
    expect(asked.sort()).toEqual([...TAMPER_RULES, ...TAMPER_RULES].sort());
  });
  it('FAILs a disabled or deleted tamper rule, naming it and the fix', async () => {
    mocks.events.on(DescribeRuleCommand, { Name: 'shop-tamper-keys' }).resolves({ Name: 'shop-tamper-keys', State: 'DISABLED' });
    mocks.events
      .on(DescribeRuleCommand, { Name: 'shop-tamper-vaults' })
      .rejects(awsError('ResourceNotFoundException', 'Rule shop-tamper-vaults does not exist.'));
    const { code, results } = await doctorJson();
    expect(code).toBe(1);
    expect(result(results, 'tamper rules eu-central-1')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/^shop-tamper-keys is DISABLED, shop-tamper-vaults is MISSING in eu-central-1: tampering .* would not page/),
      fix: expect.stringMatching(/CloudTrail \(DisableRule, DeleteRule\).*aws events enable-rule --region eu-central-1 --name shop-tamper-keys$/),
    });
  });
  it('FAILs a vault whose Vault Lock is gone (removed during the cooling-off period)', async () => {
    mocks.backup.on(DescribeBackupVaultCommand, { BackupVaultName: 'shop-dr-primary' }).resolves({ BackupVaultName: 'shop-dr-primary', Locked: false });
    const { results } = await doctorJson();
    expect(result(results, 'vault lock shop-dr-primary')).toMatchObject({
      status: 'FAIL',
      detail: 'shop-dr-primary in eu-west-1 has no Vault Lock (declared 30-365 days): recovery points there can be deleted',
      fix: expect.stringMatching(/DeleteBackupVaultLockConfiguration/),
    });
  });
  it('WARNs a live Vault Lock that differs from the declared one, still in its cooling-off period', async () => {
    mocks.backup.on(DescribeBackupVaultCommand, { BackupVaultName: 'shop-dr-recovery' }).resolves({
      BackupVaultName: 'shop-dr-recovery',
      Locked: true,
      MinRetentionDays: 1,
      MaxRetentionDays: 365,
      LockDate: new Date('2026-12-03T10:00:00Z'),
    });
    const { results } = await doctorJson();
    expect(result(results, 'vault lock shop-dr-recovery')).toMatchObject({
      status: 'WARN',
      detail: 'shop-dr-recovery: Vault Lock 1-365 days, can still be changed until 2026-12-03 (cooling-off), but the stack declares 30-365 days',
    });
  });
  it('sends no live protection call for standard stacks', async () => {
    const std = (vault: string) =>
      JSON.stringify({ ...protectionSummary(vault), level: 'standard', guards: { keys: false, buckets: 0, vaults: 0 }, tamperRules: [] });
    mocks.cloudformation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [
        {
          StackName: input.StackName,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date('2026-11-01T10:00:00Z'),
          Outputs: [{ OutputKey: input.StackName === 'Shop-Production' ? 'ProtectionPrimary' : 'ProtectionRecovery', OutputValue: std('v') }],
        },
      ],
    }));
    const { results } = await doctorJson();
    expect(result(results, 'protection').status).toBe('WARN');
    expect(results.filter((r) => /^(tamper rules|vault lock) /.test(r.check))).toEqual([]);
    expect(mocks.events.commandCalls(DescribeRuleCommand)).toHaveLength(0);
    expect(mocks.backup.commandCalls(DescribeBackupVaultCommand)).toHaveLength(0);
  });
});

describe('dr doctor: CloudTrail feeds the tamper rules (mocked AWS)', () => {
  beforeEach(() => healthyAccount());
  const trailOf = async (region: string) => result((await doctorJson()).results, `CloudTrail ${region}`);

  it('PASSes a logging multi-region trail with the default selectors, in both regions (its ARN read from each)', async () => {
    expect(await trailOf('eu-central-1')).toMatchObject({
      status: 'PASS',
      detail: 'trail management (multi-region) logs write management events: the tamper rules receive them',
    });
    expect(mocks.cloudtrail.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input.Name)).toEqual([TRAIL.TrailARN, TRAIL.TrailARN]);
  });
  it('WARNs when no trail covers the region, with the create-trail fix', async () => {
    mocks.cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [{ ...TRAIL, IsMultiRegionTrail: false }] });
    expect(await trailOf('eu-central-1')).toMatchObject({
      status: 'WARN',
      detail: 'no CloudTrail trail covers eu-central-1: the shop-tamper-* rules there would never page',
      fix: expect.stringMatching(/aws cloudtrail create-trail --name shop-management .* --is-multi-region-trail/),
    });
  });
  it('WARNs a trail that stopped logging', async () => {
    mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    expect((await trailOf('eu-west-1')).detail).toMatch(/^no trail in eu-west-1 feeds the tamper rules \(management: it is not logging \(StopLogging\)\)/);
  });
  it('WARNs a trail whose selectors exclude KMS management events', async () => {
    mocks.cloudtrail
      .on(GetEventSelectorsCommand)
      .resolves({ EventSelectors: [{ ReadWriteType: 'All', ExcludeManagementEventSources: ['kms.amazonaws.com'] }] });
    expect((await trailOf('eu-west-1')).detail).toMatch(/management: it excludes KMS management events \(ScheduleKeyDeletion would not page\)/);
  });
  it('WARNs a trail whose advanced selectors log read-only management events only', async () => {
    mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
      AdvancedEventSelectors: [
        {
          Name: 'read only',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Management'] },
            { Field: 'readOnly', Equals: ['true'] },
          ],
        },
      ],
    });
    expect((await trailOf('eu-west-1')).detail).toMatch(/management: its advanced event selectors log no write management events/);
  });
});
