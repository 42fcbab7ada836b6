/**
 * Builds the two stacks of a config into an App: used by bin/app.ts and by the tests.
 */
import { Annotations, App, Stage } from 'aws-cdk-lib';
import { breakGlassAccountProblem, ConfigError, stackNames, type DrConfig } from './config';
import { ProductionStack } from './stacks/production-stack';
import { RecoveryStack } from './stacks/recovery-stack';

/**
 * Account used when neither the config nor the CLI's credentials name one, so `cdk synth`
 * works on a fresh clone without AWS credentials. Such templates are for reading only: a
 * deploy always has credentials, so CDK_DEFAULT_ACCOUNT replaces it there.
 */
export const PLACEHOLDER_ACCOUNT = '000000000000';

/** The accounts the stacks are built for, and whether the primary one is the placeholder. */
export interface ResolvedAccounts {
  /** The production stack's account. */
  readonly account: string;
  /** The recovery stack's account: `account` unless `recovery.offAccount`. */
  readonly recoveryAccount: string;
  readonly placeholder: boolean;
}

/**
 * The account of each stack. Off-account configs name both accounts (config-rules.ts); otherwise
 * the recovery stack shares the primary account, and a different recovery.account (only known
 * here when primary.account comes from the credentials) is refused naming the choice.
 */
export function resolveAccount(config: DrConfig, env: NodeJS.ProcessEnv = process.env): ResolvedAccounts {
  const file = env.DR_CONFIG ?? 'dr.config.json';
  const account = config.primary.account ?? env.CDK_DEFAULT_ACCOUNT;
  if (!config.recovery.offAccount && config.recovery.account && config.recovery.account !== (account ?? config.recovery.account)) {
    throw new ConfigError(file, [
      `recovery.account (${config.recovery.account}) differs from primary.account (${account}); set "offAccount": true in recovery to deploy the recovery stack into the second account (docs/deploy.md, "Two accounts"), or leave recovery.account out`,
    ]);
  }
  const resolved = account ?? config.recovery.account;
  if (!resolved) return { account: PLACEHOLDER_ACCOUNT, recoveryAccount: PLACEHOLDER_ACCOUNT, placeholder: true };
  const breakGlass = breakGlassAccountProblem(config, resolved);
  if (breakGlass) throw new ConfigError(file, [breakGlass]);
  return { account: resolved, recoveryAccount: config.recovery.offAccount ? config.recovery.account! : resolved, placeholder: false };
}

/** The two stacks of a deployment. */
export interface DrStacks {
  /** Primary region. */
  readonly production: ProductionStack;
  /** Recovery region; deploys first. */
  readonly recovery: RecoveryStack;
}

/** Adds the recovery and production stacks of `config` to `scope`, production depending on recovery. */
export function buildStacks(scope: App | Stage, config: DrConfig, env: NodeJS.ProcessEnv = process.env): DrStacks {
  const { account, recoveryAccount, placeholder } = resolveAccount(config, env);
  const names = stackNames(config);
  const recovery = new RecoveryStack(scope, names.recovery, {
    config,
    env: { account: recoveryAccount, region: config.recovery.region },
    description: `${config.appName} disaster recovery: replica, vault and restore tests (${config.recovery.region})`,
    terminationProtection: !placeholder,
  });
  const production = new ProductionStack(scope, names.production, {
    config,
    env: { account, region: config.primary.region },
    description: `${config.appName} disaster recovery: backups, replication, alarms (${config.primary.region})`,
    terminationProtection: !placeholder,
  });
  // The replica bucket, key alias and vault must exist before replication and copy actions name them.
  production.addStackDependency(recovery, 'replication and AWS Backup copies target the recovery region');
  if (placeholder) {
    for (const stack of [recovery, production]) {
      Annotations.of(stack).addWarningV2(
        'dr-stack:placeholder-account',
        `No AWS account found (config primary.account or credentials): synthesised for ${PLACEHOLDER_ACCOUNT}. Deploy with credentials, or set primary.account in dr.config.json.`,
      );
    }
  }
  return { production, recovery };
}
