import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from '../test/lib/app-fixture';
import { acknowledgeFindings } from '../lib/nag';
const { app, stacks } = build();
acknowledgeFindings(stacks);
const r = new AwsSolutionsChecks().validateScope(app);
for (const v of r.violations) for (const res of v.violatingResources) console.log(v.severity, v.ruleName, JSON.stringify(res).slice(0,300));
