import { AwsSolutionsChecks } from 'cdk-nag';
import { build, configWith } from '../test/lib/app-fixture';
import { acknowledgeFindings } from '../lib/nag';
const { app, stacks } = build(configWith({
  tables: [{ name: 'legacy_orders', existing: true }, { name: 'carts', partitionKey: { name: 'id', type: 'S' } }],
  dataBuckets: [{ name: 'shop-media-owned', existing: false }, { name: 'shop-uploads-example', existing: true }],
  restoreTest: { enabled: false },
}));
acknowledgeFindings(stacks);
const r = new AwsSolutionsChecks().validateScope(app);
for (const v of r.violations) for (const res of v.violatingResources) console.log(v.severity, v.ruleName, JSON.stringify(res).slice(0,300));
