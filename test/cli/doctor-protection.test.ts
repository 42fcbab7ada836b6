/**
 * Issue 21: `dr doctor` reports the protection level it finds (locks, guards, tamper rules, from
 * each stack's Protection output as the synthesized templates write it) and WARNs on standard.
 */
import { protectionOutputKey, type DrConfig } from '../../lib/config';
import { protectionCheck } from '../../cli/doctor/protection';
import { build, configWith, exampleConfig } from '../lib/app-fixture';

const STACKS = { production: 'Shop-Production', recovery: 'Shop-Recovery' };

/** The outputs the two templates of `config` declare (what DescribeStacks returns after a deploy). */
function deployedOutputs(config: DrConfig): Record<string, string> {
  const built = build(config);
  const out: Record<string, string> = {};
  for (const t of [built.production, built.recovery])
    for (const [k, v] of Object.entries(t.toJSON().Outputs ?? {}) as [string, { Value: unknown }][]) if (typeof v.Value === 'string') out[k] = v.Value;
  return out;
}

describe('dr doctor: protection', () => {
  it('PASSes on hardened stacks, naming the locks, guards and tamper rules of each region', () => {
    const outputs = deployedOutputs(exampleConfig());
    const r = protectionCheck(exampleConfig(), outputs, STACKS);
    expect(r.status).toBe('PASS');
    expect(r.detail).toBe(
      'hardened: primary (Object Lock COMPLIANCE; Vault Lock; guards on every KMS key, 1 bucket(s), 1 vault(s); 5 tamper rules), ' +
        'recovery (Object Lock COMPLIANCE; Vault Lock; guards on every KMS key, 1 bucket(s), 1 vault(s); 5 tamper rules)',
    );
    expect(outputs[protectionOutputKey('primary')]).toBe(
      'hardened | locks: Object Lock COMPLIANCE; Vault Lock | guards: every KMS key, 1 bucket(s), 1 vault(s) | tamper rules: shop-tamper-keys, shop-tamper-buckets, shop-tamper-tables, shop-tamper-tableprotection, shop-tamper-vaults',
    );
  });
  it('WARNs on standard, saying what an admin can do and the fix', () => {
    const config = configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } });
    const r = protectionCheck(config, deployedOutputs(config), STACKS);
    expect(r).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/^standard: GOVERNANCE Object Lock/),
      fix: expect.stringMatching(/"protection": "hardened"/),
    });
  });
  it('WARNs when the config says hardened but a deployed stack does not declare it (deployed before the change)', () => {
    const outputs = deployedOutputs(exampleConfig());
    delete outputs[protectionOutputKey('recovery')];
    expect(protectionCheck(exampleConfig(), outputs, STACKS)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/asks for hardened, but Shop-Recovery does not declare it \(no ProtectionRecovery output\)/),
      fix: 'deploy both stacks again (npx cdk deploy --all)',
    });
  });
});
