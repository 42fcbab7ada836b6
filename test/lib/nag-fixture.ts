/**
 * Shared by the cdk-nag tests (nag.test.ts: AwsSolutions; nag-nist.test.ts: NIST 800-53 R5 beside
 * it): the unacknowledged errors of a pack, the acknowledgements recorded in the tree, and the
 * config variant with existing tables, an owned data bucket and no restore test.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { DrConfig } from '../../lib/config';
import { configWith, type Built } from './app-fixture';

/** Unacknowledged error findings of `pack` as `rule @ construct path`. */
export function nagErrors(built: Built, pack: NagPack = new AwsSolutionsChecks()): string[] {
  return pack
    .validateScope(built.app)
    .violations.filter((v) => v.severity === 'error')
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${(r as { constructPath?: string }).constructPath ?? r.resourceLogicalId}`));
}

/** Every acknowledgement recorded in the tree: finding id (without `Annotation::`) -> reason. */
export function acknowledgements(root: IConstruct): [string, string][] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason] as [string, string]);
}

/** The example config with existing tables beside a new one, an owned data bucket beside an existing one, and no restore test. */
export function existingResourcesConfig(): DrConfig {
  return configWith({
    tables: [
      { name: 'legacy_orders', existing: true },
      { name: 'carts', partitionKey: { name: 'cartId', type: 'S' } },
    ],
    dataBuckets: [
      { name: 'shop-media-owned', existing: false },
      { name: 'shop-uploads-example', existing: true },
    ],
    restoreTest: { enabled: false },
  });
}
