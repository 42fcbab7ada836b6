/**
 * `dr doctor`'s CloudTrail check (issue 21): the tamper rules match "AWS API Call via CloudTrail"
 * events, which EventBridge receives where CloudTrail records the write management events of
 * KMS, S3, AWS Backup and DynamoDB. Per region: some trail that covers the region (its home region,
 * or multi-region) is logging (GetTrailStatus) and its event selectors include write management
 * events without excluding KMS (GetEventSelectors; by default a trail logs all read and write
 * management events, and `ExcludeManagementEventSources` can drop KMS's). A WARN with the fix
 * when none does: the rules are deployed but nothing would reach them.
 */
import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type AdvancedEventSelector,
  type EventSelector,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { describeError, isAccessDenied, isCredentialsError, pass, warn, type CheckResult } from './result';
import type { RegionClients } from './target';

/** Why a trail does not feed the tamper rules, or undefined when it does. */
type Gap = string | undefined;

function basicGap(selectors: readonly EventSelector[]): Gap {
  const management = selectors.filter((s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly');
  if (!management.length) return 'its event selectors log no write management events';
  if (management.every((s) => (s.ExcludeManagementEventSources ?? []).includes('kms.amazonaws.com')))
    return 'it excludes KMS management events (ScheduleKeyDeletion would not page)';
  return undefined;
}

function advancedGap(selectors: readonly AdvancedEventSelector[]): Gap {
  const field = (s: AdvancedEventSelector, name: string) => s.FieldSelectors?.find((f) => f.Field === name);
  const management = selectors.filter((s) => field(s, 'eventCategory')?.Equals?.includes('Management') && !field(s, 'readOnly')?.Equals?.includes('true'));
  if (!management.length) return 'its advanced event selectors log no write management events';
  if (management.every((s) => field(s, 'eventSource')?.NotEquals?.includes('kms.amazonaws.com')))
    return 'it excludes KMS management events (ScheduleKeyDeletion would not page)';
  return undefined;
}

/** Whether `trail` feeds the tamper rules of its region: undefined, or why not. */
async function trailGap(r: RegionClients, trail: Trail): Promise<Gap> {
  const name = trail.TrailARN ?? trail.Name!;
  const status = await r.cloudtrail.send(new GetTrailStatusCommand({ Name: name }));
  if (!status.IsLogging) return 'it is not logging (StopLogging)';
  const selectors = await r.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: name }));
  if (selectors.AdvancedEventSelectors?.length) return advancedGap(selectors.AdvancedEventSelectors);
  return basicGap(selectors.EventSelectors ?? [{}]);
}

/** At least one trail of `r`'s region records the write management events the tamper rules match. */
export async function trailCheck(r: RegionClients, check: string, app: string): Promise<CheckResult> {
  const { trailList = [] } = await r.cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const covering = trailList.filter((t) => t.HomeRegion === r.region || t.IsMultiRegionTrail);
  const gaps: string[] = [];
  for (const trail of covering) {
    let gap: Gap;
    try {
      gap = await trailGap(r, trail);
    } catch (e) {
      // An organization trail is read in its management account; a member may not read its status.
      if (isCredentialsError(e) || !(trail.IsOrganizationTrail || isAccessDenied(e))) throw e;
      gap = `its status could not be read from this account (${describeError(e)})`;
    }
    if (!gap)
      return pass(
        check,
        `trail ${trail.Name} (${trail.IsMultiRegionTrail ? 'multi-region' : r.region}) logs write management events: the tamper rules receive them`,
      );
    gaps.push(`${trail.Name}: ${gap}`);
  }
  return warn(
    check,
    `${covering.length ? `no trail in ${r.region} feeds the tamper rules (${gaps.join('; ')})` : `no CloudTrail trail covers ${r.region}`}: the ${app}-tamper-* rules there would never page`,
    `log write management events in ${r.region} (incl. KMS) with a logging multi-region trail, e.g. aws cloudtrail create-trail --name ${app}-management --s3-bucket-name <log bucket> --is-multi-region-trail, then aws cloudtrail start-logging --name ${app}-management (an organization trail does too; docs/threat-model.md "Tamper pages")`,
  );
}
