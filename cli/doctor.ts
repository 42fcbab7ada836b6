/**
 * `dr doctor`: after a deploy, read-only checks of the real account, each PASS, WARN or FAIL with
 * the fix. `--page-test` instead sends one real test page through each region's critical topic.
 *
 *   dr doctor [--json]
 *   dr doctor --page-test [--page-wait <seconds>]
 *
 * Exit codes: 0 nothing failed (WARNs allowed), 1 a check failed (or the config is invalid),
 * 2 doctor could not run at all: no usable AWS credentials.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import type { DrConfig } from '../lib/config';
import { createDynamoDbClient, createS3Client, SILENT_LOGGER } from '../lambda/shared/clients';
import { action, contextFrom, UserError } from './context';
import { runPageTest } from './doctor/page-test';
import { credentialsMessage, heading, renderReport } from './doctor/render';
import { describeError, isCredentialsError, type CheckResult } from './doctor/result';
import { recoveryReach } from './doctor/recovery-reach';
import { runChecks, whoAmI } from './doctor/run';
import { doctorTarget, type DoctorClients, type RegionClients } from './doctor/target';

/** Exit code when doctor cannot run at all (no usable credentials). */
export const EXIT_NO_CREDENTIALS = 2;

/**
 * Clients for both regions of the config (SDK credential chain; --profile when given). With
 * `recoveryProfile` (--recovery-profile, off-account only) the recovery region's clients use that
 * profile, and `recoverySts` asks who it is.
 */
export function doctorClients(config: DrConfig, profile?: string, recoveryProfile?: string): DoctorClients {
  const region = (r: string, p: string | undefined): RegionClients => {
    const common = { profile: p, maxAttempts: 3, logger: SILENT_LOGGER };
    return {
      region: r,
      cloudformation: new CloudFormationClient({ ...common, region: r }),
      cloudwatch: new CloudWatchClient({ ...common, region: r }),
      dynamodb: createDynamoDbClient({ region: r, profile: p, maxAttempts: 3 }),
      s3: createS3Client({ region: r, profile: p, maxAttempts: 3 }),
      sns: new SNSClient({ ...common, region: r }),
      events: new EventBridgeClient({ ...common, region: r }),
      backup: new BackupClient({ ...common, region: r }),
      cloudtrail: new CloudTrailClient({ ...common, region: r }),
    };
  };
  const sts = (p: string | undefined, r: string) => new STSClient({ profile: p, maxAttempts: 3, logger: SILENT_LOGGER, region: r });
  return {
    sts: sts(profile, config.primary.region),
    primary: region(config.primary.region, profile),
    recovery: region(config.recovery.region, recoveryProfile ?? profile),
    ...(recoveryProfile ? { recoverySts: sts(recoveryProfile, config.recovery.region) } : {}),
  };
}

function parseWait(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 300) throw new UserError(`--page-wait must be a number of seconds from 0 to 300 (got "${v}")`);
  return n;
}

/** Registers `dr doctor`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'after deploy: check the real account (stacks, PITR, buckets, replication, alert topics, SMS sandbox, AWS Backup settings, newest backup vs RPO, last restore test)',
    )
    .option(
      '--page-test',
      'instead of the checks, send a real test page: set the alarm <app>-doctor-page-test-Critical of both regions to ALARM, then back to OK',
    )
    .option('--page-wait <seconds>', 'with --page-test: seconds the alarm stays in ALARM', parseWait, 10)
    .option(
      '--recovery-profile <name>',
      "off-account deployments (recovery.offAccount): the AWS profile of the recovery account, for the recovery region's checks",
    )
    .addHelpText(
      'after',
      `
Reads the two regions of dr.config.json (--region may only name one of them); --bucket overrides
the backup bucket. Read-only, except --page-test (cloudwatch:SetAlarmState on the page-test alarm).
Runs with any credentials the AWS SDK finds: AWS_PROFILE / --profile, aws sso login, or a role
with the <app>-dr-operator policy.

With recovery.offAccount the recovery stack is in recovery.account, which does not trust the
primary account's credentials: --recovery-profile <name> runs the recovery region's checks with
that account's (a role with <app>-dr-operator-recovery-doctor); without it they are one SKIP line.

Each check prints PASS, WARN, FAIL or SKIP; every WARN and FAIL says how to fix it. --json prints an
array of {check, status, detail, fix} on stdout.

Exit codes: 0 no check failed (warnings allowed), 1 a check failed or the config is invalid,
2 no usable AWS credentials.

Examples:
  AWS_PROFILE=shop-prod dr doctor
  dr doctor --json | jq '.[] | select(.status != "PASS")'
  dr doctor --page-test
  AWS_PROFILE=shop-prod dr doctor --recovery-profile shop-recovery`,
    )
    .action(
      action(async (opts: { pageTest?: boolean; pageWait: number; recoveryProfile?: string }, command: Command) => {
        const ctx = contextFrom(command);
        const config = ctx.config();
        const regions = [config.primary.region, config.recovery.region];
        if (ctx.options.region && !regions.includes(ctx.options.region))
          throw new UserError(
            `dr doctor checks the regions of dr.config.json (primary.region ${regions[0]}, recovery.region ${regions[1]}); --region ${ctx.options.region} is neither: leave --region out, or pass --config <file> of the deployment in ${ctx.options.region}`,
          );
        if (opts.recoveryProfile && !config.recovery.offAccount)
          throw new UserError(
            `--recovery-profile is for off-account deployments (recovery.offAccount: true); this config's recovery stack is in the primary account, which the same credentials reach: leave --recovery-profile out`,
          );
        const clients = doctorClients(config, ctx.options.profile, opts.recoveryProfile);
        let results: CheckResult[];
        let account: string;
        try {
          const caller = await whoAmI(clients);
          account = caller.account;
          const reach = await recoveryReach(clients, config, caller.account);
          if (opts.pageTest) {
            const target = doctorTarget(config, caller.account, caller.partition, {});
            const paged = reach.run ? regions : [config.primary.region];
            if (!ctx.json) ctx.info(`paging through ${target.pageTestAlarm} in ${paged.join(' and ')} (ALARM, ${opts.pageWait} s, then OK)...`);
            const pages = await runPageTest(clients, target, { caller: caller.arn, waitSeconds: opts.pageWait, recovery: reach.run });
            results = [...reach.lines, ...pages];
          } else {
            results = (await runChecks(clients, config, caller, { bucket: ctx.options.bucket, reach })).results;
          }
        } catch (e) {
          if (isCredentialsError(e)) throw new UserError(credentialsMessage(config, describeError(e)), EXIT_NO_CREDENTIALS);
          throw e;
        }
        if (ctx.json) ctx.printJson(results);
        else process.stdout.write(renderReport(results, heading(config, account)));
        if (results.some((r) => r.status === 'FAIL')) process.exitCode = 1;
      }),
    );
}
