/**
 * Issue 21, item 7: cdk-nag's NIST 800-53 R5 pack beside AwsSolutions, over the shipped config,
 * the two-account variant, the standard profile and a config with existing tables and an owned
 * data bucket: zero unacknowledged errors in both packs, each acknowledgement one rule with a reason.
 */
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { DrConfig } from '../../lib/config';
import { acknowledgeFindings } from '../../lib/nag';
import { acknowledgeNistFindings } from '../../lib/nag-nist';
import { build, configWith, exampleConfig, type Built } from './app-fixture';
import { acknowledgements, existingResourcesConfig, nagErrors as errors } from './nag-fixture';
import { twoAccountConfig } from './two-account-fixture';

const CONFIGS: [string, () => DrConfig][] = [
  ['shipped (hardened)', exampleConfig],
  ['two accounts (hardened, off-account)', twoAccountConfig],
  ['standard', () => configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } })],
  ['existing tables, owned data bucket, no restore test', existingResourcesConfig],
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
