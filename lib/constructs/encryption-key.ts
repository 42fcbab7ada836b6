import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Alias of the key, with or without the `alias/` prefix. */
  readonly alias: string;
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /**
   * AWS service principals (e.g. `cloudwatch.amazonaws.com`) that may encrypt with the key,
   * for services that publish to encrypted resources (SNS topics) on their own, on behalf of
   * this account only (`aws:SourceAccount`).
   * @default - no service principal besides the account's IAM policies
   */
  readonly servicePrincipals?: readonly string[];
  /**
   * What happens to the key when the stack is deleted. Data encrypted with a deleted key is
   * lost, so keys are kept unless this is set by name.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the create itself rolls back)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A customer-managed KMS key with yearly automatic rotation, kept on stack deletion. */
export class EncryptionKey extends Construct {
  /** The key. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const alias = props.alias.startsWith('alias/') ? props.alias : `alias/${props.alias}`;
    if (alias.startsWith('alias/aws/')) {
      throw new Error(`EncryptionKey alias "${alias}" uses the reserved prefix alias/aws/; pick another alias`);
    }
    this.key = new kms.Key(this, 'Key', {
      alias,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    for (const service of props.servicePrincipals ?? []) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${service.split('.')[0]}ToUseTheKey`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          // Only for this account's resources (confused deputy).
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
  }
}
