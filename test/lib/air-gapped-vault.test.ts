/**
 * Issue 21: `recovery.vault: "airGapped"` puts AWS Backup's copies in a logically air-gapped vault
 * (AWS::Backup::LogicallyAirGappedBackupVault) of the recovery stack, under the name the copy rules
 * already target; refused at synth where AWS would refuse it. Template tests: no local engine has
 * AWS Backup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config';
import { GUARD_SIDS } from '../../lib/constructs/lockdown-guards';
import { parseProtectionSummary } from '../../lib/protection-summary';
import { problemsOf } from '../support/config-problems';
import { build, ROOT, type Built } from './app-fixture';
import { PRIMARY_ACCOUNT, RECOVERY_ACCOUNT, TWO_ACCOUNT_CONFIG } from './two-account-fixture';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8'));
const airGapped = (extra: Record<string, unknown> = {}) => ({ ...example, recovery: { ...example.recovery, vault: 'airGapped' }, ...extra });

describe('config', () => {
  it('defaults to the standard locked vault', () => {
    expect(parseConfig(example).recovery.vault).toBe('locked');
  });
  it('refuses an unknown vault kind, naming the two', () => {
    expect(problemsOf({ ...example, recovery: { ...example.recovery, vault: 'offline' } })).toMatch(/recovery\.vault must be "locked".* or "airGapped"/);
  });
  it('refuses airGapped without AWS Backup (nothing would be copied into it)', () => {
    expect(problemsOf(airGapped({ awsBackup: { ...example.awsBackup, enabled: false } }))).toMatch(
      /recovery\.vault is "airGapped" but awsBackup\.enabled is false: .*turn awsBackup on or remove recovery\.vault/,
    );
  });
  it("refuses airGapped when the shortest tier is under AWS's 7-day minimum retention", () => {
    expect(problemsOf(airGapped({ retention: { ...example.retention, dailyDays: 5 } }))).toMatch(
      /shortest tier \(5 days\), but AWS Backup refuses a logically air-gapped vault under 7 days/,
    );
  });
});

describe('templates (hardened, one account)', () => {
  let built: Built;
  beforeAll(() => {
    built = build(parseConfig(airGapped()));
  });

  it('the recovery stack holds a logically air-gapped vault shop-dr-recovery with min/max from the tiers, kept on deletion, and no standard vault', () => {
    const vaults = Object.values(built.recovery.findResources('AWS::Backup::LogicallyAirGappedBackupVault')) as Json[];
    expect(vaults).toHaveLength(1);
    expect(vaults[0]).toMatchObject({
      Properties: { BackupVaultName: 'shop-dr-recovery', MinRetentionDays: 30, MaxRetentionDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(built.recovery.findResources('AWS::Backup::BackupVault')).toEqual({});
  });
  it('its access policy carries the vault guard (deleting recovery points denied to all but the deploy role)', () => {
    const [vault] = Object.values(built.recovery.findResources('AWS::Backup::LogicallyAirGappedBackupVault')) as Json[];
    const guard = vault.Properties.AccessPolicy.Statement.find((s: Json) => s.Sid === GUARD_SIDS.vault);
    expect(guard).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(guard.Action).toContain('backup:DeleteRecoveryPoint');
  });
  it('the production plan copies every tier into it (same backup-vault ARN form)', () => {
    const plan = Object.values(built.production.findResources('AWS::Backup::BackupPlan'))[0] as Json;
    const targets = plan.Properties.BackupPlan.BackupPlanRule.flatMap((r: Json) => r.CopyActions.map((a: Json) => JSON.stringify(a.DestinationBackupVaultArn)));
    expect(targets).toHaveLength(3);
    for (const t of targets) expect(t).toContain('backup-vault:shop-dr-recovery');
  });
  it('the recovery stack declares it in its Protection output (dr doctor checks its lock)', () => {
    const out = parseProtectionSummary(built.recovery.toJSON().Outputs.ProtectionRecovery.Value);
    expect(out?.vaults).toEqual([{ name: 'shop-dr-recovery', kind: 'airGapped', lock: { minRetentionDays: 30, maxRetentionDays: 365, changeableForDays: 3 } }]);
  });
  // What AWS Backup checks when it copies into the vault.
  it("keeps each tier's copy inside the vault's min/max retention (a locked vault fails a copy job outside it), with no cold-storage step", () => {
    const [vault] = Object.values(built.recovery.findResources('AWS::Backup::LogicallyAirGappedBackupVault')) as Json[];
    const { MinRetentionDays: min, MaxRetentionDays: max } = vault.Properties;
    const plan = Object.values(built.production.findResources('AWS::Backup::BackupPlan'))[0] as Json;
    const copies = plan.Properties.BackupPlan.BackupPlanRule.flatMap((r: Json) => r.CopyActions.map((a: Json) => a.Lifecycle));
    expect(copies.map((l: Json) => l.DeleteAfterDays).sort((a: number, b: number) => a - b)).toEqual([30, 90, 365]);
    for (const l of copies) {
      expect(l.DeleteAfterDays).toBeGreaterThanOrEqual(min);
      expect(l.DeleteAfterDays).toBeLessThanOrEqual(max);
      expect(l.MoveToColdStorageAfterDays).toBeUndefined();
    }
  });
  it("is encrypted with AWS Backup's AWS-owned key (no EncryptionKeyArn: no key of ours an admin could disable or schedule for deletion)", () => {
    const [vault] = Object.values(built.recovery.findResources('AWS::Backup::LogicallyAirGappedBackupVault')) as Json[];
    expect(vault.Properties.EncryptionKeyArn).toBeUndefined();
  });
});

describe('templates (hardened, two accounts)', () => {
  it("lives in the recovery account and lets the primary account's AWS Backup copy into it, nothing more", () => {
    const two = JSON.parse(fs.readFileSync(TWO_ACCOUNT_CONFIG, 'utf8'));
    const built = build(parseConfig({ ...two, recovery: { ...two.recovery, vault: 'airGapped' } }));
    const [vault] = Object.values(built.recovery.findResources('AWS::Backup::LogicallyAirGappedBackupVault')) as Json[];
    const allows = vault.Properties.AccessPolicy.Statement.filter((s: Json) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({ Action: 'backup:CopyIntoBackupVault', Principal: { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:root` } })]);
    const plan = Object.values(built.production.findResources('AWS::Backup::BackupPlan'))[0] as Json;
    for (const rule of plan.Properties.BackupPlan.BackupPlanRule)
      expect(JSON.stringify(rule.CopyActions[0].DestinationBackupVaultArn)).toContain(`:${RECOVERY_ACCOUNT}:backup-vault:shop-dr-recovery`);
  });
});
