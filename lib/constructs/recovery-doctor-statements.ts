import * as iam from 'aws-cdk-lib/aws-iam';
import { dataReplicaBucketName, incrementalTables, replicaBucketName, type DrConfig } from '../config';
import { doctorStatements } from './doctor-statements';

/** Where the recovery stack lives: its partition, region and account. */
export interface RecoveryPlace {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The replica key's ARN: the chain-age check reads an SSE-KMS object of the replica bucket. */
  readonly replicaKeyArn: string;
}

/**
 * What `dr doctor --recovery-profile` reads in the recovery account of an off-account deployment
 * (cli/doctor/recovery-reach.ts), for `<app>-dr-operator-recovery-doctor`: the doctor statements
 * of the primary operator policy (doctor-statements.ts, the one home of a check's permission)
 * narrowed to the recovery region and account, plus the chain-age reads, which the primary
 * operator policy holds through its backup-set reads. All read-only except SetAlarmState on the
 * page-test alarm (`--page-test`). Proven in test/permissions/doctor.test.ts.
 */
export function recoveryDoctorStatements(c: DrConfig, at: RecoveryPlace): iam.PolicyStatement[] {
  const { partition, region, account } = at;
  const replicaBucket = `arn:${partition}:s3:::${replicaBucketName(c, account)}`;
  const chained = incrementalTables(c).map((t) => t.name);
  return [
    ...doctorStatements(c, {
      partition,
      account,
      regions: [{ side: 'recovery', region }],
      buckets: [replicaBucketName(c, account), ...c.dataBuckets.map((b) => dataReplicaBucketName(c, b.name))],
    }),
    // The chain-age check (cli/doctor/chain-age.ts): each chained table's newest replicated window,
    // an SSE-KMS object decrypted through S3 with the replica key.
    ...(chained.length
      ? [
          new iam.PolicyStatement({
            sid: 'DoctorChainAge',
            actions: ['s3:GetObject'],
            resources: chained.map((t) => `${replicaBucket}/backups/incremental/${t}/_latest.json`),
          }),
          new iam.PolicyStatement({
            sid: 'DoctorChainAgeKey',
            actions: ['kms:Decrypt'],
            resources: [at.replicaKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
          }),
        ]
      : []),
  ];
}
