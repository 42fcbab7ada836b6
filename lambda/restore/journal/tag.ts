/**
 * The restore tag on a target table: `dr-stack:restore` = `unfinished:<backupId>`, then
 * `verified:<backupId>`. It travels with the table, so a restore started from another bucket (the
 * replica) still sees it. DynamoDB Local has no tagging: there the tag is simply absent.
 */
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand, TagResourceCommand, type Tag } from '@aws-sdk/client-dynamodb';
import { isUnsupportedApi } from '../tables';
import type { JournalState } from './record';

/** The tag on a restore target. Keys and values allow letters, digits, spaces and `+ - = . _ : /` (DynamoDB "Tagging restrictions"). */
export const RESTORE_TAG_KEY = 'dr-stack:restore';

/** The tag value for a state: `unfinished:<backupId>`. */
export function restoreTagValue(state: JournalState, backupId: string): string {
  return `${state}:${backupId}`;
}

/** What a target's tag says, or undefined for a value that is not ours. */
export function parseRestoreTag(value: string | undefined): { state: JournalState; backupId: string } | undefined {
  const m = /^(unfinished|verified|failed):(.+)$/.exec(value ?? '');
  return m ? { state: m[1] as JournalState, backupId: m[2] } : undefined;
}

/** The tag to pass to CreateTable, so a new table is marked from its first second. */
export function unfinishedTags(backupId: string): Tag[] {
  return [{ Key: RESTORE_TAG_KEY, Value: restoreTagValue('unfinished', backupId) }];
}

/** True when an error is an authorization refusal (the caller may not tag). */
function isAccessDenied(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation';
}

/**
 * The target's restore tag, or undefined: no such tag, or an endpoint without tagging (DynamoDB
 * Local answers UnknownOperationException), or no right to read tags.
 */
export async function readRestoreTag(dynamodb: DynamoDBClient, table: string): Promise<{ state: JournalState; backupId: string } | undefined> {
  try {
    const arn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
    if (!arn) return undefined;
    const res = await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    return parseRestoreTag(res.Tags?.find((t) => t.Key === RESTORE_TAG_KEY)?.Value);
  } catch (e) {
    if (isUnsupportedApi(e) || isAccessDenied(e)) return undefined;
    throw e;
  }
}

/** Sets the target's restore tag. Returns a warning when it could not (no tagging here, or not allowed). */
export async function writeRestoreTag(dynamodb: DynamoDBClient, table: string, state: JournalState, backupId: string): Promise<string | undefined> {
  try {
    const arn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
    await dynamodb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: RESTORE_TAG_KEY, Value: restoreTagValue(state, backupId) }] }));
    return undefined;
  } catch (e) {
    // DynamoDB Local: "Tagging is not currently supported": the journal alone marks the target.
    if (isUnsupportedApi(e)) return undefined;
    if (isAccessDenied(e))
      return `tag ${RESTORE_TAG_KEY} on "${table}" not set (${(e as Error).message}): the journal s3 object still records the restore; allow dynamodb:TagResource to mark the table itself`;
    throw e;
  }
}
