/**
 * The AWS SDK's Node version warning: said once, before any output, by us; never by the SDK in
 * the middle of progress; not at all for `dr drill --local`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SDK_NODE_WARNING_SWITCH, settleSdkNodeWarning, settleSdkNodeWarningBeforeActions } from '../../cli/support/sdk-warning';
import { registerPlanCommand } from '../../cli/plan';
import { runCli, testProgram } from '../support/run-cli';

const saved = process.env[SDK_NODE_WARNING_SWITCH];
afterEach(() => {
  if (saved === undefined) delete process.env[SDK_NODE_WARNING_SWITCH];
  else process.env[SDK_NODE_WARNING_SWITCH] = saved;
});

test('on Node 20 one line of ours, once; the SDK switch set so the SDK says nothing', () => {
  const env: NodeJS.ProcessEnv = {};
  const lines: string[] = [];
  expect(settleSdkNodeWarning({ quiet: false, nodeVersion: 'v20.20.2', env, write: (l) => lines.push(l) })).toBe(true);
  expect(settleSdkNodeWarning({ quiet: false, nodeVersion: 'v20.20.2', env, write: (l) => lines.push(l) })).toBe(false);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^note: Node v20\.20\.2: AWS SDK releases after early January 2027 need Node 22 or later/);
  expect(env[SDK_NODE_WARNING_SWITCH]).toBe('true');
});

test('dr drill --local (quiet) and Node 22: nothing printed, the SDK still silenced', () => {
  const lines: string[] = [];
  const env: NodeJS.ProcessEnv = {};
  expect(settleSdkNodeWarning({ quiet: true, nodeVersion: 'v20.1.0', env, write: (l) => lines.push(l) })).toBe(false);
  expect(settleSdkNodeWarning({ quiet: false, nodeVersion: 'v22.3.0', env: {}, write: (l) => lines.push(l) })).toBe(false);
  expect(lines).toEqual([]);
  expect(env[SDK_NODE_WARNING_SWITCH]).toBe('true');
});

test('the dr program (bin/dr.ts hook) settles it before the command runs: the note first, and no SDK warning event after clients exist', async () => {
  delete process.env[SDK_NODE_WARNING_SWITCH];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(String(w.message));
  process.on('warning', onWarning);
  try {
    const r = await runCli(settleSdkNodeWarningBeforeActions(testProgram(registerPlanCommand)), [
      '--config',
      '/nonexistent/dr.config.json',
      'plan',
      '--out',
      '-',
    ]);
    new DynamoDBClient({ region: 'eu-west-1' }).destroy();
    await new Promise((res) => setImmediate(res));
    if (Number(process.versions.node.split('.')[0]) < 22) expect(r.stderr.split('\n')[0]).toMatch(/^note: Node v\d+/);
    expect(r.stderr.match(/^note: Node/gm) ?? []).toHaveLength(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0);
    expect(warnings.filter((w) => /NodeVersionSupportWarning/.test(w))).toEqual([]);
  } finally {
    process.off('warning', onWarning);
  }
});
