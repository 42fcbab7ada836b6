/**
 * Issue 18: the variant config holding an existing SSE-KMS, Object-Locked uploads bucket and an
 * owned locked bucket (test/lib/fixtures/dr.config.kms-locked.json) synthesises both stacks as
 * bin/app.ts does (cdk-nag registered: an unacknowledged error fails the synth; no account
 * known) and passes CDK's built-in CloudFormation validation.
 *
 * In this process, without esbuild: what the variant changes is the templates. `npx cdk synth`
 * (no credentials, real bundling) runs in test/lib/synth.test.ts, which also proves item 11 (every
 * bundle carries the pinned SDK) on the example config's bundles, a superset of the variant's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config';
import { buildStacks } from '../../lib/dr-app';
import { applyNag } from '../../lib/nag';
import { testApp } from './app-fixture';

let out: string;
beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-synth-variant-'));
  const app = testApp({ outdir: out, cloudFormationValidation: true });
  // No CDK_DEFAULT_ACCOUNT: the placeholder account, as a new user without credentials gets.
  applyNag(app, buildStacks(app, loadConfig(path.join(__dirname, 'fixtures', 'dr.config.kms-locked.json')), {}));
  app.synth();
}, 120_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const template = (name: string) => JSON.parse(fs.readFileSync(path.join(out, `${name}.template.json`), 'utf8'));

it('synthesises both stacks with the existing SSE-KMS locked bucket and the owned locked bucket', () => {
  const resources = Object.values(template('Shop-Production').Resources) as { Type: string; Properties: Record<string, unknown> }[];
  const existing = resources.find((r) => r.Type === 'Custom::ExistingBucketReplication');
  expect(existing?.Properties).toMatchObject({ BucketName: 'shop-uploads-example', ObjectLock: 'true' });
  const replicas = (Object.values(template('Shop-Recovery').Resources) as { Type: string; Properties: Record<string, unknown> }[]).filter(
    (r) => r.Type === 'AWS::S3::Bucket' && String(r.Properties.BucketName).includes('-dr-eu-central-1'),
  );
  expect(replicas.map((r) => r.Properties.ObjectLockEnabled)).toEqual([true, true]);
});

it("passes CDK's built-in CloudFormation validation with no finding in the variant's templates", () => {
  const report = JSON.parse(fs.readFileSync(path.join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
  expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
});
