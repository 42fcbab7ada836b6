/**
 * Issue 21, item 1: the lockdown settings of dr.config.json, and each bad input refused with a
 * message naming the setting, the value and the fix.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeApp } from '../../lib/app-main';
import { ConfigError, parseConfig } from '../../lib/config';
import { resolveAccount } from '../../lib/dr-app';
import { ROOT, testApp } from './app-fixture';
import { problemsOf } from '../support/config-problems';

const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown>;
const withFields = (overrides: Record<string, unknown>) => ({ ...example, ...overrides });
/** The example without the lockdown keys: what an older config looks like. */
const withoutLockdown = () => {
  const { protection: _p, objectLock: _o, vaultLock: _v, ...rest } = example;
  return rest;
};

const PRIMARY = { region: 'eu-west-1', account: '111122223333' };

describe('protection level', () => {
  it('ships hardened: COMPLIANCE lock, Vault Lock changeable for 3 days', () => {
    const c = parseConfig(example);
    expect(c.protection).toBe('hardened');
    expect(c.objectLock).toEqual({ mode: 'COMPLIANCE', days: 7 });
    expect(c.vaultLock.changeableForDays).toBe(3);
  });
  it('defaults to hardened, and its COMPLIANCE mode, when the keys are left out', () => {
    const c = parseConfig(withoutLockdown());
    expect(c.protection).toBe('hardened');
    expect(c.objectLock.mode).toBe('COMPLIANCE');
  });
  it('keeps the behaviour before issue 21 under "standard": GOVERNANCE unless the mode is given', () => {
    expect(parseConfig({ ...withoutLockdown(), protection: 'standard' }).objectLock).toEqual({ mode: 'GOVERNANCE', days: 7 });
    expect(parseConfig({ ...withoutLockdown(), protection: 'standard', objectLock: { mode: 'COMPLIANCE' } }).objectLock.mode).toBe('COMPLIANCE');
  });
  it('refuses an unknown level', () => {
    expect(problemsOf(withFields({ protection: 'paranoid' }))).toMatch(/protection: protection must be "hardened".*or "standard" \(got "paranoid"\)/);
  });
  it('refuses GOVERNANCE under hardened, naming both fixes', () => {
    expect(problemsOf(withFields({ objectLock: { mode: 'GOVERNANCE', days: 7 } }))).toMatch(
      /objectLock\.mode: objectLock\.mode is "GOVERNANCE" but protection is "hardened".*remove objectLock\.mode or set it to "COMPLIANCE", or set "protection": "standard"/,
    );
  });
});

describe('bad lockdown input, each refused at synth with a clear message', () => {
  it('a compliance lock longer than a tier retention', () => {
    const raw = withFields({ objectLock: { mode: 'COMPLIANCE', days: 45 }, retention: { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 } });
    expect(problemsOf(raw)).toMatch(
      /objectLock\.days: objectLock\.days \(45\) must not exceed retention\.dailyDays \(30\): locked daily backups could not expire and COMPLIANCE mode lets nobody delete them early; lower objectLock\.days or raise retention\.dailyDays/,
    );
  });
  it('changeableForDays under 3', () => {
    expect(problemsOf(withFields({ vaultLock: { changeableForDays: 2 } }))).toMatch(
      /vaultLock\.changeableForDays: vaultLock\.changeableForDays must be at least 3: AWS Backup enforces a 72-hour cooling-off period.*\(got 2\)/,
    );
  });
  it('a malformed break-glass role ARN (a user, not a role)', () => {
    expect(problemsOf(withFields({ breakGlassRoleArn: 'arn:aws:iam::111122223333:user/alice' }))).toMatch(
      /breakGlassRoleArn: breakGlassRoleArn must be an IAM role ARN such as "arn:aws:iam::123456789012:role\/dr-break-glass"/,
    );
  });
  it('a break-glass role of another account than primary.account', () => {
    const raw = withFields({ primary: PRIMARY, breakGlassRoleArn: 'arn:aws:iam::999988887777:role/dr-break-glass' });
    expect(problemsOf(raw)).toMatch(
      /breakGlassRoleArn: the break-glass role is in account 999988887777 but the stacks deploy into 111122223333.*create the role in 111122223333/,
    );
  });
  it('a break-glass role of another account than the credentials, when primary.account is left out', () => {
    const c = parseConfig(withFields({ breakGlassRoleArn: 'arn:aws:iam::999988887777:role/dr-break-glass' }));
    expect(() => resolveAccount(c, { CDK_DEFAULT_ACCOUNT: '111122223333' })).toThrow(/breakGlassRoleArn: the break-glass role is in account 999988887777/);
  });
  it('recovery.account equal to the primary when off-account copies are asked for', () => {
    const raw = withFields({ primary: PRIMARY, recovery: { region: 'eu-central-1', account: '111122223333', offAccount: true } });
    expect(problemsOf(raw)).toMatch(
      /recovery\.account: recovery\.account \(111122223333\) equals primary\.account, but recovery\.offAccount asks for copies in another account/,
    );
  });
  it('off-account without both account ids', () => {
    expect(problemsOf(withFields({ recovery: { region: 'eu-central-1', offAccount: true } }))).toMatch(
      /recovery\.offAccount is true, so primary\.account and recovery\.account must both be given/,
    );
  });
  it('a different recovery.account without offAccount, naming the choice', () => {
    const raw = withFields({ primary: PRIMARY, recovery: { region: 'eu-central-1', account: '444455556666' } });
    expect(problemsOf(raw)).toMatch(/recovery\.account \(444455556666\) differs from primary\.account \(111122223333\); set "offAccount": true/);
  });
});

describe('the same bad input through the app entry (lib/app-main.ts, what `npx cdk synth` runs): ConfigError before any stack is built', () => {
  const BAD: [string, Record<string, unknown>, RegExp][] = [
    [
      'a compliance lock longer than a tier',
      { objectLock: { mode: 'COMPLIANCE', days: 45 } },
      /objectLock\.days \(45\) must not exceed retention\.dailyDays \(30\)/,
    ],
    ['changeableForDays under 3', { vaultLock: { changeableForDays: 2 } }, /vaultLock\.changeableForDays must be at least 3/],
    ['a break-glass ARN that is no ARN', { breakGlassRoleArn: 'dr-break-glass' }, /breakGlassRoleArn must be an IAM role ARN/],
    [
      'a break-glass ARN with an 11-digit account',
      { breakGlassRoleArn: 'arn:aws:iam::11112222333:role/dr-break-glass' },
      /breakGlassRoleArn must be an IAM role ARN/,
    ],
    [
      'a break-glass role of another account',
      { primary: PRIMARY, breakGlassRoleArn: 'arn:aws:iam::999988887777:role/dr-break-glass' },
      /the break-glass role is in account 999988887777 but the stacks deploy into 111122223333/,
    ],
    [
      'recovery.account equal to the primary with offAccount',
      { primary: PRIMARY, recovery: { region: 'eu-central-1', account: '111122223333', offAccount: true } },
      /recovery\.account \(111122223333\) equals primary\.account/,
    ],
  ];
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-bad-config-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  it.each(BAD)('%s', (name, overrides, message) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(withFields(overrides)));
    const app = testApp();
    expect(() => synthesizeApp(file, app, {})).toThrow(ConfigError);
    expect(() => synthesizeApp(file, testApp(), {})).toThrow(message);
    expect(app.node.children).toHaveLength(0);
  });
});

describe('off-account', () => {
  it('deploys the recovery stack into the second account', () => {
    const c = parseConfig(withFields({ primary: PRIMARY, recovery: { region: 'eu-central-1', account: '444455556666', offAccount: true } }));
    expect(resolveAccount(c, {})).toEqual({ account: '111122223333', recoveryAccount: '444455556666', placeholder: false });
  });
  it('accepts a break-glass role of the primary account', () => {
    const c = parseConfig(withFields({ primary: PRIMARY, breakGlassRoleArn: 'arn:aws:iam::111122223333:role/ops/dr-break-glass' }));
    expect(c.breakGlassRoleArn).toBe('arn:aws:iam::111122223333:role/ops/dr-break-glass');
  });
});
