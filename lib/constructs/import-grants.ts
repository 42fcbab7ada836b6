import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The CloudWatch Logs grants ImportTable needs as the caller: AWS's policy in "Requesting a table
 * import" (DynamoDB developer guide) lists CreateLogGroup, CreateLogStream, DescribeLogGroups,
 * DescribeLogStreams, PutLogEvents and PutRetentionPolicy on `log-group:/aws-dynamodb/*`.
 * DescribeLogGroups has no resource type (Service Authorization Reference, CloudWatch Logs), so a
 * statement scoped to a log group never matches it: it goes on "*" in a statement of its own.
 * Shared by the operator policy and the restore-test role.
 */
export function importLogStatements(logGroups: string, conditions?: Record<string, unknown>): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ImportLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:PutRetentionPolicy'],
      resources: [logGroups],
      ...(conditions ? { conditions } : {}),
    }),
    new iam.PolicyStatement({ sid: 'ImportLogGroupsList', actions: ['logs:DescribeLogGroups'], resources: ['*'], ...(conditions ? { conditions } : {}) }),
  ];
}
