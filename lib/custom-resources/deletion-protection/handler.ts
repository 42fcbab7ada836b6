/**
 * Custom resource `Custom::TableDeletionProtection`: deletion protection switched on once the
 * stack has created a table, and switched off again only when CloudFormation deletes that table
 * because the operation that created it is rolling back.
 *
 * Why not `DeletionProtectionEnabled: true` in the template: the tables carry DeletionPolicy
 * RetainExceptOnCreate, so when the first deploy fails, the rollback deletes the tables it created
 * ("If the stack operation that created the resource is rolled back, CloudFormation deletes the
 * resource", CloudFormation DeletionPolicy). DynamoDB refuses DeleteTable on a protected table,
 * so the rollback would leave them behind (ROLLBACK_FAILED or ROLLBACK_COMPLETE with the tables
 * kept) and the retry fails "already exists".
 *
 * Create/Update: waits (bounded) for the table to be ACTIVE, then UpdateTable
 * DeletionProtectionEnabled true unless it already is.
 * Delete: CloudFormation deletes this resource before the table (it depends on the table). Only
 * when the stack is ROLLBACK_IN_PROGRESS (a failed create) or
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (removing what a failed update created) is
 * protection switched off, so CloudFormation can delete the table it just created. In every other
 * case (stack deleted, table removed from the config) the table is retained and stays protected.
 * A table already gone (ResourceNotFoundException) is done. A failed Create answers a marker
 * physical id whose Delete does nothing (CloudFormation sends Delete with it during the rollback).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { FAILED_CREATE_MARKER, applyAndRespond } from '../respond';

/** ResourceProperties of the custom resource. */
export interface TableDeletionProtectionProperties {
  readonly TableName: string;
}

/** The fields of a CloudFormation custom-resource request this handler reads. */
export interface DeletionProtectionEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: TableDeletionProtectionProperties;
}

/** The clients the handler uses. */
export interface DeletionProtectionClients {
  readonly dynamodb: DynamoDBClient;
  readonly cloudformation: CloudFormationClient;
}

export { FAILED_CREATE_MARKER } from '../respond';

/**
 * Stack states in which a Delete of this resource means CloudFormation is deleting a table the
 * failing operation created (CloudFormation stack status codes: ROLLBACK_IN_PROGRESS "removal of
 * one or more stacks after a failed stack creation"; UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS
 * "removal of new resources ... after a failed stack update").
 */
export const ROLLBACK_STATES: readonly string[] = ['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'];

/** Seconds a Create waits for the table to be ACTIVE (the function's timeout is longer). */
const ACTIVE_WAIT_SECONDS = 600;

const isNotFound = (e: unknown) => (e as { name?: string }).name === 'ResourceNotFoundException';

async function setProtection(dynamodb: DynamoDBClient, table: string, enabled: boolean): Promise<void> {
  const current = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.DeletionProtectionEnabled ?? false;
  if (current !== enabled) await dynamodb.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: enabled }));
}

/** Applies one request; returns the physical id. */
export async function apply(clients: DeletionProtectionClients, event: DeletionProtectionEvent): Promise<string> {
  const table = event.ResourceProperties.TableName;
  const physicalId = `${table}-deletion-protection`;
  if (event.RequestType !== 'Delete') {
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: ACTIVE_WAIT_SECONDS, minDelay: 2, maxDelay: 10 }, { TableName: table });
    await setProtection(clients.dynamodb, table, true);
    return physicalId;
  }
  const id = event.PhysicalResourceId ?? physicalId;
  if (id.startsWith(FAILED_CREATE_MARKER)) return id;
  const stack = (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: event.StackId }))).Stacks?.[0];
  if (!stack?.StackStatus || !ROLLBACK_STATES.includes(stack.StackStatus)) return id;
  try {
    await setProtection(clients.dynamodb, table, false);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return id;
}

const clients: DeletionProtectionClients = { dynamodb: new DynamoDBClient({}), cloudformation: new CloudFormationClient({}) };

/** Lambda entry point: applies the request and answers CloudFormation either way. */
export async function handler(event: DeletionProtectionEvent): Promise<void> {
  await applyAndRespond(
    event,
    event.ResourceProperties.TableName,
    `${event.ResourceProperties.TableName}-deletion-protection`,
    { table: event.ResourceProperties.TableName },
    () => apply(clients, event),
  );
}
