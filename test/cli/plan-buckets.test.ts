/**
 * The DR plan's data-bucket parts (cli/plan/buckets.ts): the restore horizon per bucket, the
 * restore rate the last drill measured (scenario 6), the estimated RTO for the bucket's size, and
 * the runbook "media encrypted or deleted".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config';
import { renderPlan } from '../../cli/plan/render';
import type { ScenarioResult } from '../../cli/drill/report';
import { drillReport } from '../support/drill-report';

const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '../../dr.config.json'), 'utf8')) as Record<string, unknown>;
const withBuckets = (dataBuckets: unknown[]) => parseConfig({ ...shipped, dataBuckets });

const uploads = (extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
  id: 'uploads-encrypted',
  title: 'uploads encrypted by ransomware',
  passed: true,
  rtoMs: 19_300,
  rpoMs: 60_000,
  items: 2296,
  itemsPerSecond: 100,
  tables: ['drill-uploads'],
  verification: [],
  notes: [],
  ...extra,
});
const report = (s: ScenarioResult) =>
  drillReport({
    passed: s.passed,
    dataset: { seed: 1, requestedItems: 20000, totalItems: 18370, perTable: {} },
    backup: { backupId: 'daily/x', durationMs: 1, items: 1, metrics: [] },
    scenarios: [s],
    targets: {},
  });

/** The row of `bucket` in the data-bucket table. */
const row = (md: string, bucket: string) => md.split('\n').find((l) => l.startsWith(`| ${bucket} |`));

test('the horizon of a bucket the stack creates is its versionsDays; an existing bucket keeps its own lifecycle, its replica has versionsDays', () => {
  const md = renderPlan(withBuckets([{ name: 'media', existing: false, versionsDays: 14 }, { name: 'legacy' }]));
  expect(row(md, 'media')).toContain('| 14 days (lifecycle `noncurrent-versions`); 14 days on the replica `media-dr-eu-central-1` |');
  expect(row(md, 'legacy')).toContain("| the bucket's own lifecycle (`dr doctor` shows it); 35 days on the replica `legacy-dr-eu-central-1` |");
});

test("the drill's measured rate gives the estimated RTO for the bucket's expected objects", () => {
  const md = renderPlan(withBuckets([{ name: 'media', expectedObjects: 50_000 }]), report(uploads()));
  expect(row(md, 'media')).toContain(
    '| 100 objects/s (drill scenario 6: 2,296 objects, RTO 19.3 s) | 8.3 min for 50,000 objects, every one copied (within the 240 min RTO target) |',
  );
});

test('a bucket too large for the RTO target at the measured rate is flagged', () => {
  const md = renderPlan(withBuckets([{ name: 'media', expectedObjects: 10_000_000 }]), report(uploads()));
  expect(row(md, 'media')).toMatch(/1666\.7 min for 10,000,000 objects, every one copied \(\*\*over\*\* the 240 min RTO target\)/);
});

test('without a passed scenario 6 the rate says "not drilled", and without expectedObjects the estimate says how to get one', () => {
  const failed = renderPlan(withBuckets([{ name: 'media', expectedObjects: 50_000 }]), report(uploads({ passed: false })));
  expect(row(failed, 'media')).toContain('| not drilled | not drilled (run `npm run drill`) |');
  expect(row(renderPlan(withBuckets([{ name: 'media' }])), 'media')).toContain('set `dataBuckets[].expectedObjects` for an estimate');
});

test("the runbook 'Media encrypted or deleted' has this deployment's restore-bucket commands", () => {
  const md = renderPlan(withBuckets([{ name: 'media' }]));
  const runbook = md.slice(md.indexOf('### Media encrypted or deleted'), md.indexOf('## Verification checklist'));
  const p = '--region eu-west-1 --bucket shop-backups-$ACCOUNT-eu-west-1';
  expect(runbook).toContain(`dr restore-bucket media --at <T - 1 min, ISO> --in-place --dry-run ${p}`);
  expect(runbook).toContain(`dr restore-bucket media --at <T - 1 min, ISO> --in-place --confirm ${p}`);
  expect(runbook).toContain(
    'dr restore-bucket media --from-replica --at <T - 1 min, ISO> --to media-restored-dr --region eu-central-1 --bucket shop-replica-$ACCOUNT-eu-central-1',
  );
});

test('a config without data buckets has neither the section nor the runbook', () => {
  const md = renderPlan(withBuckets([]));
  expect(md).not.toContain('## Data buckets');
  expect(md).not.toContain('### Media encrypted or deleted');
});
