import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { acknowledgeFindings } from '../../lib/nag';
import { build, configWith, type Built } from './app-fixture';

/** Unacknowledged error findings as `rule @ construct path`. */
function errors(built: Built): string[] {
  const report = new AwsSolutionsChecks().validateScope(built.app);
  return report.violations
    .filter((v) => v.severity === 'error')
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${(r as { constructPath?: string }).constructPath ?? r.resourceLogicalId}`));
}

/** Every acknowledgement recorded in the tree: finding id -> reason. */
function acknowledgements(root: IConstruct): [string, string][] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>));
}

describe('cdk-nag AwsSolutions over both stacks (example config)', () => {
  let built: Built;
  let before: string[];
  beforeAll(() => {
    built = build();
    before = errors(built);
    acknowledgeFindings(built.stacks);
  });

  it('finds the wildcard grants before anything is acknowledged (the check can fail)', () => {
    expect(before).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[Resource::.*\/backups\/\*\] @ Shop-Production\/BackupFunction/));
  });
  it('leaves zero unacknowledged errors', () => {
    expect(errors(built)).toEqual([]);
  });
  it('acknowledges one named finding at a time, each with a reason', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-IAM[45]\[(Resource|Policy)::.+\]$/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});

describe('cdk-nag AwsSolutions over both stacks (existing tables, owned data bucket, no restore test)', () => {
  it('leaves zero unacknowledged errors', () => {
    const built = build(
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
    );
    acknowledgeFindings(built.stacks);
    expect(errors(built)).toEqual([]);
  });
});
