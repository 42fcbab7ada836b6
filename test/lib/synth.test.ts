/**
 * `npx cdk synth` as a new user runs it: no AWS credentials, real esbuild bundling, cdk-nag
 * registered by bin/app.ts (an unacknowledged error fails the synth). The slowest test of the
 * suite (~35-70 s on two busy cores; the time limit allows for a loaded machine): one synth for the file.
 *
 * Issue 18 item 11 (every Lambda bundle carries the SDK pinned in package-lock.json) is proven
 * here on the example config's seven bundles (it has an existing bucket and incremental exports:
 * every handler the stacks can bundle); synth-variant.test.ts synthesises its config without esbuild.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './app-fixture';

let out: string;
beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-synth-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_CONFIG_FILE: path.join(out, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CDK_DEFAULT_ACCOUNT']) delete env[k];
  execFileSync('npx', ['cdk', 'synth', '-q', '-o', out], { cwd: ROOT, env, stdio: 'pipe', timeout: 280_000 });
}, 300_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

it('writes both templates without AWS credentials', () => {
  expect(fs.existsSync(path.join(out, 'Shop-Production.template.json'))).toBe(true);
  expect(fs.existsSync(path.join(out, 'Shop-Recovery.template.json'))).toBe(true);
});

it('bundles each handler with esbuild into a small CommonJS index.js with a source map', () => {
  // Our five handlers (backup, export finalizer, incremental export, restore test, replica monitor) carry a
  // source map; the aws-cdk-lib custom-resource provider asset does not.
  const ours = fs.readdirSync(out).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(out, d, 'index.js.map')));
  expect(ours).toHaveLength(5);
  for (const a of ours) {
    expect(fs.statSync(path.join(out, a, 'index.js')).size).toBeLessThan(5 * 1024 * 1024);
    expect(fs.readFileSync(path.join(out, a, 'index.js'), 'utf8')).toMatch(/module\.exports|exports\./);
  }
});

/** Our Lambda bundles: the asset directories whose index.js is not aws-cdk-lib's own provider. */
const bundles = () =>
  fs
    .readdirSync(out)
    .filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(out, d, 'index.js')))
    .map((d) => ({ dir: d, code: fs.readFileSync(path.join(out, d, 'index.js'), 'utf8') }))
    .filter((b) => !b.code.includes('AWS679f53fac002430cb0da5b7982bd2287') && !/cfn-response|isCompleteHandler/.test(b.code.slice(0, 4000)));

it('issue 18 item 11: every Lambda bundle holds the pinned SDK and never requires @aws-sdk/* from the runtime', () => {
  const ours = bundles();
  // backup, export finalizer, incremental export, restore test, replica monitor, the existing-bucket and deletion-protection custom resources.
  expect(ours.length).toBeGreaterThanOrEqual(7);
  const sizes = ours.map((b) => ({ asset: b.dir.slice(6, 18), kib: Math.round(fs.statSync(path.join(out, b.dir, 'index.js')).size / 1024) }));
  process.stdout.write(`bundle sizes (KiB, minified, SDK bundled): ${sizes.map((s) => `${s.asset} ${s.kib}`).join(', ')}\n`);
  for (const b of ours) {
    // The clients and lib-storage are inside the bundle (the only @aws-sdk requires left are the
    // optional signers S3 loads in a try/catch for multi-region access points, which we never use).
    expect({ asset: b.dir, external: /require\(["'](@aws-sdk\/(client-|lib-)|@smithy\/)/.test(b.code) }).toEqual({ asset: b.dir, external: false });
    expect(fs.statSync(path.join(out, b.dir, 'index.js')).size).toBeLessThan(5 * 1024 * 1024);
  }
});

it('synthesises for the placeholder account when no account is known', () => {
  const template = fs.readFileSync(path.join(out, 'Shop-Production.template.json'), 'utf8');
  expect(template).toContain('shop-backups-000000000000-eu-west-1');
});

it("passes CDK's built-in CloudFormation validation with no finding (the test fixture skips it: app-fixture.ts)", () => {
  // aws-cdk-lib's CloudFormationValidatePlugin checks both templates against the resource schemas
  // and its default rules; in an App a finding is only a warning, written to this report.
  const report = JSON.parse(fs.readFileSync(path.join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
  expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
});
