/**
 * The DR plan's parts about data buckets (uploads, media): how far back each can be restored,
 * how fast the last drill restored one, what that means for this bucket's size, and the runbook
 * "media encrypted or deleted" with this deployment's commands (docs/bucket-recovery.md).
 */
import { backupBucketName, dataReplicaBucketName, replicaBucketName, type DrConfig } from '../../lib/config';
import { formatDuration, type DrillReport } from '../drill/report';

/** The runbook's title. */
export const MEDIA_RUNBOOK = 'Media encrypted or deleted';

type DataBucket = DrConfig['dataBuckets'][number];

/** The restore rate the last drill measured (scenario 6), when it ran and passed. */
export function drilledBucketRate(report?: DrillReport): { objectsPerSecond: number; objects: number; rtoMs: number } | undefined {
  const s = report?.scenarios.find((x) => x.id === 'uploads-encrypted');
  if (!s?.passed || !(s.itemsPerSecond > 0)) return undefined;
  return { objectsPerSecond: s.itemsPerSecond, objects: s.items, rtoMs: s.rtoMs };
}

function horizon(c: DrConfig, b: DataBucket): string {
  const replica = `${b.versionsDays} days on the replica \`${dataReplicaBucketName(c, b.name)}\``;
  return b.existing
    ? `the bucket's own lifecycle (\`dr doctor\` shows it); ${replica}`
    : `${b.versionsDays} days (lifecycle \`noncurrent-versions\`); ${replica}`;
}

function estimate(c: DrConfig, b: DataBucket, rate?: ReturnType<typeof drilledBucketRate>): string {
  if (b.expectedObjects === undefined) return 'set `dataBuckets[].expectedObjects` for an estimate';
  if (!rate) return 'not drilled (run `npm run drill`)';
  const ms = (b.expectedObjects / rate.objectsPerSecond) * 1000;
  const within = ms <= c.targets.rtoMinutes * 60_000;
  return `${formatDuration(ms)} for ${b.expectedObjects.toLocaleString('en-US')} objects, every one copied (${within ? 'within' : '**over**'} the ${c.targets.rtoMinutes} min RTO target)`;
}

/** "## Data buckets": horizon, measured rate and estimated RTO per bucket; empty without data buckets. */
export function bucketsSection(c: DrConfig, report?: DrillReport): string[] {
  if (!c.dataBuckets.length) return [];
  const rate = drilledBucketRate(report);
  const measured = rate
    ? `${Math.round(rate.objectsPerSecond)} objects/s (drill scenario 6: ${rate.objects.toLocaleString('en-US')} objects, RTO ${formatDuration(rate.rtoMs)})`
    : 'not drilled';
  return [
    '## Data buckets: how far back, how fast',
    '',
    "Versioning keeps every overwritten or deleted object for the horizon below; `dr restore-bucket` brings a bucket back to any time within it and checks every key. The estimate assumes every object must be copied at the drill's rate (a local drill measures the tooling, not AWS throughput; an attack that touched fewer objects takes less).",
    '',
    '| bucket | restore horizon | measured restore rate | estimated RTO |',
    '|---|---|---|---|',
    ...c.dataBuckets.map((b) => `| ${b.name} | ${horizon(c, b)} | ${measured} | ${estimate(c, b, rate)} |`),
    '',
  ];
}

/** The runbook "media encrypted or deleted"; empty without data buckets. */
export function mediaRunbook(c: DrConfig, account: string): string[] {
  const b = c.dataBuckets[0]?.name;
  if (!b) return [];
  const p = `--region ${c.primary.region} --bucket ${backupBucketName(c, account)}`;
  const r = `--region ${c.recovery.region} --bucket ${replicaBucketName(c, account)}`;
  return [
    `### ${MEDIA_RUNBOOK}`,
    `Uploads were overwritten (encrypted) or deleted in ${c.dataBuckets.map((x) => `\`${x.name}\``).join(', ')}. Stop the writer first (the leaked credentials, the upload path), find the first bad write T, and restore to a minute before it. Nothing is deleted for good: the overwritten versions stay.`,
    '',
    '```sh',
    `# what a restore would do (counts, bytes, first keys; UNRESTORABLE lines are beyond the horizon):`,
    `dr restore-bucket ${b} --at <T - 1 min, ISO> --in-place --dry-run ${p}`,
    `dr restore-bucket ${b} --at <T - 1 min, ISO> --in-place --confirm ${p}`,
    `# or first into an empty bucket to inspect: --to ${b}-restored`,
    `# killed or failed: "dr list ${p}" prints the exact command to continue (--resume)`,
    `# primary region lost: from the replica, into a bucket in ${c.recovery.region}:`,
    `dr restore-bucket ${b} --from-replica --at <T - 1 min, ISO> --to ${b}-restored-dr ${r}`,
    '```',
    'Exit 0 means every key was checked against its size and checksum at the time.',
    '',
  ];
}
