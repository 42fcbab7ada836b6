/**
 * The permissions proof of finding an import again (issue 18 item 7): a retried restore test and
 * `dr restore` look up the import of the same set into the same target with DescribeTable ->
 * ListImports(TableArn) -> DescribeImport (lambda/restore/engines/operations.ts findImport)
 * before they send ImportTable. The three requests, as findImport sends them, are evaluated for
 * the restore-test role (its *-drtest-* tables, recovery region) and the operator (a restore
 * target, both regions). ListImports is evaluated on the table ARN and on "*" (recorder.ts).
 */
import { operatorPolicyName } from '../../lib/config';
import { exampleConfig } from '../lib/app-fixture';
import { evaluateAll, mappingContext, type Case, type Principal, type Verdict } from './evaluate';
import { denied, editedModel, operatorPrincipal } from './proof';
import { toIamRequests, type SdkCall } from './recorder';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel } from './templates';
import { measuredRow, proofRows } from './proof-table';

const config = exampleConfig();
const ACCOUNT = '123456789012';
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);

/** The requests of findImport for `target` in `region`, as sent. */
export function findImportCalls(who: string, region: string, target: string): SdkCall[] {
  const tableArn = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${target}`;
  const call = (operation: string, input: Record<string, unknown>): SdkCall => ({ who, service: 'dynamodb', operation, region, input });
  return [
    call('DescribeTable', { TableName: target }),
    call('ListImports', { TableArn: tableArn, PageSize: 25 }),
    call('DescribeImport', { ImportArn: `${tableArn}/import/01700000000000-aaaa` }),
  ];
}

const casesFor = (m: PolicyModel, who: Principal, calls: SdkCall[]): Case[] =>
  calls.flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who, request })));
const restoreTestRole = (m: PolicyModel): Principal => {
  const fn = functionOf(m, 'recovery', 'RestoreTestFunction');
  return { kind: 'role', arn: fn.roleArn, label: `RestoreTestFunction (role ${fn.roleArn.split('/').pop()}) finding its import` };
};
const actions = (v: readonly Verdict[]) => v.map((x) => `${x.request.action} ${x.request.resource}`);

describe('the restore test finds the import of its earlier attempt (its own role, recovery region)', () => {
  const calls = findImportCalls('RestoreTestFunction', config.recovery.region, 'orders-drtest-20261207t050000z');

  test('DescribeTable, ListImports (table ARN and "*") and DescribeImport are allowed', async () => {
    const v = await evaluateAll(model, casesFor(model, restoreTestRole(model), calls));
    expect(actions(v)).toEqual([
      'dynamodb:DescribeTable arn:aws:dynamodb:eu-central-1:123456789012:table/orders-drtest-20261207t050000z',
      'dynamodb:ListImports arn:aws:dynamodb:eu-central-1:123456789012:table/orders-drtest-20261207t050000z',
      'dynamodb:ListImports *',
      'dynamodb:DescribeImport arn:aws:dynamodb:eu-central-1:123456789012:table/orders-drtest-20261207t050000z/import/01700000000000-aaaa',
    ]);
    expect(denied(v)).toEqual([]);
  });
  test('negative: without FindDrTestImports, ListImports is denied on the table and on "*"', async () => {
    const m = editedModel(templates, 'recovery', 'AWS::IAM::Policy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'FindDrTestImports');
    });
    const reasons = denied(await evaluateAll(m, casesFor(m, restoreTestRole(m), calls)));
    expect(reasons).toEqual([
      expect.stringMatching(/may not dynamodb:ListImports on arn:aws:dynamodb:eu-central-1:123456789012:table\/orders-drtest-/),
      expect.stringMatching(/may not dynamodb:ListImports on \* /),
    ]);
  });
  test("negative: a production table's import is not the restore test's to describe", async () => {
    const v = await evaluateAll(model, casesFor(model, restoreTestRole(model), findImportCalls('RestoreTestFunction', config.recovery.region, 'orders')));
    expect(denied(v)).toEqual([
      expect.stringMatching(/may not dynamodb:DescribeTable on arn:aws:dynamodb:eu-central-1:123456789012:table\/orders /),
      expect.stringMatching(/may not dynamodb:DescribeImport on arn:aws:dynamodb:eu-central-1:123456789012:table\/orders\/import\//),
    ]);
  });
});

describe('dr restore finds the import it started (operator, both regions)', () => {
  const operator = operatorPrincipal(operatorPolicyName(config), 'restore --engine import --resume');
  for (const region of [config.primary.region, config.recovery.region])
    test(`${region}: DescribeTable, ListImports and DescribeImport of orders-restored are allowed`, async () => {
      const v = await evaluateAll(model, casesFor(model, operator, findImportCalls('cli', region, 'orders-restored')));
      expect(v).toHaveLength(4);
      expect(denied(v)).toEqual([]);
    });
  test('negative: in a region that is neither of the two, ListImports is denied', async () => {
    const v = await evaluateAll(model, casesFor(model, operator, findImportCalls('cli', 'us-east-1', 'orders-restored')));
    expect(denied(v)).toContainEqual(expect.stringMatching(/may not dynamodb:ListImports on \* /));
  });
});

test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
  const operator = operatorPrincipal(operatorPolicyName(config), 'restore --engine import --resume');
  const both = [config.primary.region, config.recovery.region].flatMap((region) => findImportCalls('cli', region, 'orders-restored'));
  const rows = [
    measuredRow({
      principal: 'RestoreTestFunction role',
      ran: 'a retry finding its earlier import: DescribeTable, ListImports, DescribeImport (recovery region)',
      verdicts: await evaluateAll(
        model,
        casesFor(model, restoreTestRole(model), findImportCalls('RestoreTestFunction', config.recovery.region, 'orders-drtest-20261207t050000z')),
      ),
      negative: 'negative: without FindDrTestImports, ListImports is denied on the table and on "*"',
    }),
    measuredRow({
      principal: `operator (${operatorPolicyName(config)})`,
      ran: 'dr restore finding the import it started (both regions)',
      verdicts: await evaluateAll(model, casesFor(model, operator, both)),
      negative: 'negative: in a region that is neither of the two, ListImports is denied',
    }),
  ];
  const { documented, measured } = proofRows('reattach.test.ts', rows);
  expect(documented).toEqual(measured);
});
