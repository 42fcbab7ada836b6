/**
 * `dr list`'s restorable ranges: per table, from the oldest full set its chain of incremental
 * exports follows (older sets, whose windows expired, restore to their own points only) to the
 * furthest point its full sets and chain reach, and the gaps between (a missing window): what
 * `dr restore --at` can be given. Costs one listing of the chains, one
 * listing per 1,000 windows and one GET per window since the table's oldest full set.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { restorableRange, type RestorableRange } from '../lambda/incremental/chain';
import { listChainTables, listWindows } from '../lambda/incremental/window-store';
import { recoveryPoint } from '../lambda/format/trusted-time';
import type { BackupSetSummary } from '../lambda/store/catalog';

/** The recovery points of the complete sets, per table they hold. */
export function fullSetPoints(sets: readonly BackupSetSummary[]): Map<string, Date[]> {
  const points = new Map<string, Date[]>();
  for (const s of sets) {
    if (s.status !== 'complete' || !s.summary) continue;
    for (const t of s.summary.tables) points.set(t, [...(points.get(t) ?? []), recoveryPoint(s.summary)]);
  }
  return points;
}

/** The restorable range of every table of the complete sets and of every chain in the bucket, by table name. */
export async function restorableRanges(s3: S3Client, bucket: string, sets: readonly BackupSetSummary[]): Promise<RestorableRange[]> {
  const points = fullSetPoints(sets);
  const chains = new Set(await listChainTables(s3, bucket));
  const out: RestorableRange[] = [];
  for (const table of [...new Set([...points.keys(), ...chains])].sort()) {
    const full = points.get(table) ?? [];
    const oldest = full.reduce<Date | undefined>((a, p) => (!a || p < a ? p : a), undefined);
    // Windows are at most a day long: one that started a day before the oldest set still reaches it.
    const windows = chains.has(table) && oldest ? await listWindows(s3, bucket, table, new Date(oldest.getTime() - 86_400_000)) : [];
    const range = restorableRange(table, full, windows);
    if (range) out.push(range);
  }
  return out;
}

/** The ranges as text under `dr list`'s table (drawn by its `renderTable`): one row per table, then each gap named. */
export function renderRanges(ranges: readonly RestorableRange[], renderTable: (header: string[], rows: string[][]) => string): string {
  if (!ranges.length) return '';
  const rows = ranges.map((r) => [
    r.table,
    r.from.toISOString(),
    r.to.toISOString(),
    r.windows ? String(r.windows) : 'full sets only',
    r.gaps.length ? String(r.gaps.length) : '-',
  ]);
  const gaps = ranges.flatMap((r) =>
    r.gaps.map(
      (g) =>
        `GAP ${r.table}: no window from ${g.from.toISOString()} to ${g.to.toISOString()}: "dr restore --at" refuses a time in it; restore to ${g.from.toISOString()} or earlier, or to a full set after it`,
    ),
  );
  const older = ranges.flatMap((r) =>
    r.olderFullSets
      ? [
          `OLDER ${r.table}: ${r.olderFullSets.count} full set(s) from ${r.olderFullSets.oldest.toISOString()} to before ${r.from.toISOString()} restore to their own DATA AS OF only ("dr restore <set>"): the windows after them expired (retention.windowDays)`,
        ]
      : [],
  );
  return [
    '',
    "restorable range per table (dr restore --at <time> within it; a table with full sets only restores to a full set's DATA AS OF):",
    renderTable(['TABLE', 'FROM (OLDEST FULL SET WITH ITS WINDOWS)', 'TO (NEWEST POINT)', 'WINDOWS', 'GAPS'], rows),
    ...gaps,
    ...older,
    '',
  ].join('\n');
}
