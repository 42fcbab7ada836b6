/**
 * Issue 18: `npx cdk synth` as a new user runs it with a variant config holding an existing
 * SSE-KMS, Object-Locked uploads bucket and an owned locked bucket
 * (test/lib/fixtures/dr.config.kms-locked.json), real esbuild bundling, no credentials; and
 * item 11: every Lambda bundle carries the SDK pinned in package-lock.json (bundleAwsSDK), so it
 * never resolves `@aws-sdk/*` from the runtime. Prints the bundle sizes (BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './app-fixture';

let out: string;
beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-synth-variant-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DR_CONFIG: path.join(__dirname, 'fixtures', 'dr.config.kms-locked.json'),
    AWS_CONFIG_FILE: path.join(out, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CDK_DEFAULT_ACCOUNT']) delete env[k];
  execFileSync('npx', ['cdk', 'synth', '-q', '-o', out], { cwd: ROOT, env, stdio: 'pipe', timeout: 280_000 });
}, 300_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const template = (name: string) => JSON.parse(fs.readFileSync(path.join(out, `${name}.template.json`), 'utf8'));
/** Our Lambda bundles: the asset directories whose index.js is not aws-cdk-lib's own provider. */
const bundles = () =>
  fs
    .readdirSync(out)
    .filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(out, d, 'index.js')))
    .map((d) => ({ dir: d, code: fs.readFileSync(path.join(out, d, 'index.js'), 'utf8') }))
    .filter((b) => !b.code.includes('AWS679f53fac002430cb0da5b7982bd2287') && !/cfn-response|isCompleteHandler/.test(b.code.slice(0, 4000)));

it('synthesises both stacks with the existing SSE-KMS locked bucket and the owned locked bucket', () => {
  const resources = Object.values(template('Shop-Production').Resources) as { Type: string; Properties: Record<string, unknown> }[];
  const existing = resources.find((r) => r.Type === 'Custom::ExistingBucketReplication');
  expect(existing?.Properties).toMatchObject({ BucketName: 'shop-uploads-example', ObjectLock: 'true' });
  const replicas = (Object.values(template('Shop-Recovery').Resources) as { Type: string; Properties: Record<string, unknown> }[]).filter(
    (r) => r.Type === 'AWS::S3::Bucket' && String(r.Properties.BucketName).includes('-dr-eu-central-1'),
  );
  expect(replicas.map((r) => r.Properties.ObjectLockEnabled)).toEqual([true, true]);
});

it('item 11: every Lambda bundle holds the pinned SDK and never requires @aws-sdk/* from the runtime', () => {
  const ours = bundles();
  // backup, export finalizer, restore test, replica monitor, the existing-bucket and deletion-protection custom resources.
  expect(ours.length).toBeGreaterThanOrEqual(6);
  const sizes = ours.map((b) => ({
    asset: b.dir.slice(6, 18),
    kib: Math.round(fs.statSync(path.join(out, b.dir, 'index.js')).size / 1024),
    marker: b.code.slice(0, 0),
  }));
  process.stdout.write(`bundle sizes (KiB, minified, SDK bundled): ${sizes.map((s) => `${s.asset} ${s.kib}`).join(', ')}\n`);
  for (const b of ours) {
    // The clients and lib-storage are inside the bundle (the only @aws-sdk requires left are the
    // optional signers S3 loads in a try/catch for multi-region access points, which we never use).
    expect({ asset: b.dir, external: /require\(["'](@aws-sdk\/(client-|lib-)|@smithy\/)/.test(b.code) }).toEqual({ asset: b.dir, external: false });
    expect(fs.statSync(path.join(out, b.dir, 'index.js')).size).toBeLessThan(5 * 1024 * 1024);
  }
});

it("passes CDK's built-in CloudFormation validation with no finding in the variant's templates", () => {
  const report = JSON.parse(fs.readFileSync(path.join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
  expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
});
