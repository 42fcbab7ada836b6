/**
 * Issue 21, item 7: cdk-nag's NIST 800-53 R5 pack beside AwsSolutions, over the shipped config,
 * the standard profile, a config with existing tables and an owned data bucket, and two accounts
 * with the logically air-gapped recovery vault (recovery.vault "airGapped"): zero
 * unacknowledged errors in both packs, each acknowledgement one rule with a reason. The
 * two-account variant goes through the app's own entry (lib/app-main.ts, what bin/app.ts runs for
 * `DR_CONFIG=test/lib/fixtures/dr.config.two-account.json npx cdk synth`), where an
 * unacknowledged error of either pack fails the synth.
 */
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { synthesizeApp } from '../../lib/app-main';
import type { DrConfig } from '../../lib/config';
import { acknowledgeFindings } from '../../lib/nag';
import { acknowledgeNistFindings } from '../../lib/nag-nist';
import { build, configWith, exampleConfig, testApp, type Built } from './app-fixture';
import { acknowledgements, existingResourcesConfig, nagErrors as errors } from './nag-fixture';
import { PRIMARY_ACCOUNT, RECOVERY_ACCOUNT, TWO_ACCOUNT_CONFIG } from './two-account-fixture';

const CONFIGS: [string, () => DrConfig][] = [
  ['shipped (hardened)', exampleConfig],
  ['standard', () => configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } })],
  ['existing tables, owned data bucket, no restore test', existingResourcesConfig],
  [
    'two accounts, logically air-gapped recovery vault',
    () =>
      configWith({
        primary: { region: 'eu-west-1', account: PRIMARY_ACCOUNT },
        recovery: { region: 'eu-central-1', account: RECOVERY_ACCOUNT, offAccount: true, vault: 'airGapped' },
      }),
  ],
];

describe.each(CONFIGS)('cdk-nag over both stacks: %s', (_name, config) => {
  let built: Built;
  let before: string[];
  beforeAll(() => {
    built = build(config());
    before = errors(built, new NIST80053R5Checks());
    acknowledgeFindings(built.stacks);
    acknowledgeNistFindings(built.stacks);
  });
  it('finds NIST findings before anything is acknowledged (the check can fail)', () => {
    expect(before).toContainEqual(expect.stringMatching(/^NIST\.800\.53\.R5-LambdaInsideVPC @ /));
  });
  it('leaves zero unacknowledged NIST 800-53 R5 errors', () => {
    expect(errors(built, new NIST80053R5Checks())).toEqual([]);
  });
  it('leaves zero unacknowledged AwsSolutions errors', () => {
    expect(errors(built, new AwsSolutionsChecks())).toEqual([]);
  });
  it('acknowledges one NIST rule at a time, each with a reason', () => {
    const nist = acknowledgements(built.app).filter(([id]) => id.startsWith('NIST'));
    expect(nist.length).toBeGreaterThan(10);
    for (const [id, reason] of nist) {
      expect(id).toMatch(/^NIST\.800\.53\.R5-[A-Za-z0-9]+$/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});

describe('what the hardened profile fixes instead of acknowledging', () => {
  it('encrypts every log group (no CloudWatchLogGroupEncrypted acknowledgement under hardened)', () => {
    const built = build();
    acknowledgeNistFindings(built.stacks);
    expect(acknowledgements(built.app).map(([id]) => id)).not.toContain('NIST.800.53.R5-CloudWatchLogGroupEncrypted');
    for (const t of [built.production, built.recovery]) {
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups)
        expect(g.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LockdownLogsKey/), 'Arn'] }, RetentionInDays: 90 });
    }
  });
});

describe('the two-account config through the app entry (bin/app.ts -> synthesizeApp), both packs registered', () => {
  it('synthesises both stacks into their own accounts with zero unacknowledged findings in AwsSolutions and NIST 800-53 R5', () => {
    // Synth throws aws-cdk-lib's ValidationFailed on any unacknowledged error of either pack.
    const assembly = synthesizeApp(TWO_ACCOUNT_CONFIG, testApp(), {});
    expect(assembly.stacks.map((s) => [s.stackName, s.environment.account]).sort()).toEqual([
      ['Shop-Production', PRIMARY_ACCOUNT],
      ['Shop-Recovery', RECOVERY_ACCOUNT],
    ]);
  });
  it('fails the synth on an unacknowledged finding of either pack (the check can fail)', () => {
    const app = testApp();
    new s3.Bucket(new Stack(app, 'Stray'), 'Unguarded');
    let message = '';
    try {
      synthesizeApp(TWO_ACCOUNT_CONFIG, app, {});
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/^ValidationFailed/);
    expect(message).toContain('AwsSolutions-S10');
    expect(message).toContain('NIST.800.53.R5-S3BucketSSLRequestsOnly');
  });
});
