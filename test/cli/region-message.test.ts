/**
 * Without a region the SDK fails with a bare "Region is missing"; `dr` names the option, the
 * variable and where to find the value instead. No server needed: the SDK fails before sending.
 */
import { registerListCommand } from '../../cli/list';
import { errorMessage } from '../../cli/context';
import { runCli, testProgram } from '../support/run-cli';

const saved = { ...process.env };
beforeEach(() => {
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
  delete process.env.AWS_PROFILE;
  // No shared config file either, or a developer's ~/.aws/config would supply the region.
  process.env.AWS_CONFIG_FILE = '/nonexistent/dr-stack-test-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/dr-stack-test-credentials';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});
afterEach(() => {
  process.env = { ...saved };
});

test('dr list without any region names --region and AWS_REGION, exit 1', async () => {
  const run = await runCli(testProgram(registerListCommand), ['list', '--bucket', 'shop-backups-123456789012-eu-west-1']);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/no AWS region: pass --region <region> or set AWS_REGION/);
  expect(run.stderr).not.toMatch(/^error: Region is missing$/m);
});

test('other messages pass through unchanged', () => {
  expect(errorMessage(new Error('bucket "x" does not exist'))).toBe('bucket "x" does not exist');
});
