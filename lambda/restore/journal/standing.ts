/**
 * What an unfinished table journal stands for once it is held against the live table, the way
 * `dr restore` would judge it (decide.ts): the restore it records can be resumed, the table was
 * dropped and created again since (the journal is stale: `--resume` is refused as foreign), the
 * table is gone, or it could not be checked here (another region, a journal that does not record
 * its region, DescribeTable refused or unreachable). `dr list` prints each differently.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeError } from '../../shared/errors';
import { describeIdentity, sameIdentity, type RestoreJournalRecord, type TargetIdentity } from './record';

/** A table journal as judged against the live table. */
export type JournalStanding =
  /** The table is the one the restore started on (or the journal has no identity yet to tell): `--resume` continues it. */
  | { readonly kind: 'resumable' }
  /** A table of that name with another creation identity: its items are not this restore's. */
  | { readonly kind: 'stale'; readonly live: TargetIdentity }
  /** No table of that name in the journal's region. */
  | { readonly kind: 'gone'; readonly region: string }
  /** Not checked, and why (said as a clause: "its table is in eu-central-1 ..."). */
  | { readonly kind: 'unchecked'; readonly why: string };

/**
 * Judges a table journal against the live table, with one DescribeTable in the journal's region
 * when `dynamodb` (whose region is `region`) sends there; never throws.
 */
export async function journalStanding(dynamodb: DynamoDBClient, region: string | undefined, j: RestoreJournalRecord): Promise<JournalStanding> {
  if (!j.targetRegion) return { kind: 'unchecked', why: 'the journal does not record the table region (written before dr list could check it)' };
  if (j.targetRegion !== region)
    return {
      kind: 'unchecked',
      why: `its table is in ${j.targetRegion} and this list looked in ${region ?? 'no region'}: rerun dr list with --region ${j.targetRegion}`,
    };
  let live: TargetIdentity | undefined;
  try {
    live = await describeIdentity(dynamodb, j.target);
  } catch (e) {
    return { kind: 'unchecked', why: `DescribeTable "${j.target}" in ${region} failed: ${describeError(e)}` };
  }
  if (!live) return { kind: 'gone', region };
  return sameIdentity(j.targetIdentity, live) ? { kind: 'resumable' } : { kind: 'stale', live };
}
