/**
 * Issue 21, item 7: cdk-nag's NIST 800-53 R5 pack beside AwsSolutions, over the shipped config,
 * the two-account variant, the standard profile and a config with existing tables and an owned
 * data bucket: zero unacknowledged errors in both packs, each acknowledgement one rule with a reason.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { DrConfig } from '../../lib/config';
import { acknowledgeFindings } from '../../lib/nag';
import { acknowledgeNistFindings } from '../../lib/nag-nist';
import { build, configWith, exampleConfig, type Built } from './app-fixture';
import { twoAccountConfig } from './two-account-fixture';

/** Unacknowledged error findings of `pack` as `rule @ construct path`. */
function errors(built: Built, pack: NagPack): string[] {
  return pack
    .validateScope(built.app)
    .violations.filter((v) => v.severity === 'error')
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${(r as { constructPath?: string }).constructPath ?? r.resourceLogicalId}`));
}

function acknowledgements(root: IConstruct): [string, string][] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason] as [string, string]);
}

const CONFIGS: [string, () => DrConfig][] = [
  ['shipped (hardened)', exampleConfig],
  ['two accounts (hardened, off-account)', twoAccountConfig],
  ['standard', () => configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } })],
  [
    'existing tables, owned data bucket, no restore test',
    () =>
      configWith({
        tables: [
          { name: 'legacy_orders', existing: true },
          { name: 'carts', partitionKey: { name: 'cartId', type: 'S' } },
        ],
        dataBuckets: [
          { name: 'shop-media-owned', existing: false },
          { name: 'shop-uploads-example', existing: true },
        ],
        restoreTest: { enabled: false },
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
