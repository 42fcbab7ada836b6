/**
 * The chain's rules as plain functions over committed windows: which window comes next (always
 * contiguous with the last committed one, so a FAILED window is retried, never skipped), which
 * windows a restore to a point needs, where a chain has a gap, and what a chain can restore to.
 */
import { describeWindow, MIN_WINDOW_MS, type WindowEntry, type WindowRef } from '../format/window';

/** Thrown when a restore point is not covered by the chain; names the gap and the last restorable time. */
export class ChainGapError extends Error {
  constructor(
    readonly table: string,
    /** The missing window [from, to). */
    readonly missingFrom: Date,
    readonly missingTo: Date | undefined,
    /** The latest point the chain restores to without crossing the gap. */
    readonly lastRestorable: Date,
    readonly at: Date,
  ) {
    super(
      `table "${table}" cannot be restored to ${at.toISOString()}: its chain of incremental exports has no window from ${missingFrom.toISOString()}${
        missingTo ? ` to ${missingTo.toISOString()}` : ' on'
      } (missing or not committed yet); the last restorable time is ${lastRestorable.toISOString()}: restore with --at ${lastRestorable.toISOString()}, or wait for the window's export and replication`,
    );
    this.name = 'ChainGapError';
  }
}

/** Committed windows as [from, to) times. */
function refs(windows: readonly WindowEntry[]): WindowRef[] {
  return windows.map((w) => ({ table: w.table, from: new Date(w.from), to: new Date(w.to) })).sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * The next window of a table: from the end of the newest committed window (or the base full
 * set's export time when none is), `intervalMs` long, or undefined when it has not closed yet.
 * A window whose export FAILED was never committed, so it is the next window again.
 */
export function nextWindow(table: string, lastCommittedEnd: Date, intervalMs: number, now: Date): WindowRef | undefined {
  if (intervalMs < MIN_WINDOW_MS) throw new Error(`a window of ${intervalMs / 60_000} minutes is below the 15 minutes DynamoDB exports`);
  const to = new Date(lastCommittedEnd.getTime() + intervalMs);
  return to.getTime() <= now.getTime() ? { table, from: lastCommittedEnd, to } : undefined;
}

/**
 * The windows that carry `base` (the full set's export time) forward to `at`, in order: the first
 * starts at or before `base`, each starts where the previous ended, the last ends at or after
 * `at`. Throws {@link ChainGapError} at the first gap.
 */
export function windowsForPoint(table: string, windows: readonly WindowEntry[], base: Date, at: Date): WindowRef[] {
  if (at.getTime() <= base.getTime()) return [];
  const out: WindowRef[] = [];
  let covered = base;
  for (const w of refs(windows)) {
    if (w.to.getTime() <= covered.getTime()) continue; // before the base, or a duplicate
    if (w.from.getTime() > covered.getTime()) break; // a gap: reported below
    out.push(w);
    covered = w.to;
    if (covered.getTime() >= at.getTime()) return out;
  }
  const next = refs(windows).find((w) => w.from.getTime() > covered.getTime());
  throw new ChainGapError(table, covered, next?.from, covered, at);
}

/** The latest point a chain restores to from `base` (its contiguous end), `base` itself without windows. */
export function restorableUntil(windows: readonly WindowEntry[], base: Date): Date {
  let covered = base;
  for (const w of refs(windows)) {
    if (w.to.getTime() <= covered.getTime()) continue;
    if (w.from.getTime() > covered.getTime()) break;
    covered = w.to;
  }
  return covered;
}

/** A problem of a chain's shape: a gap or an overlap between windows, named. */
export function chainShapeProblems(windows: readonly WindowEntry[]): string[] {
  const problems: string[] = [];
  const r = refs(windows);
  for (let i = 1; i < r.length; i++) {
    const prev = r[i - 1];
    const cur = r[i];
    if (cur.from.getTime() > prev.to.getTime())
      problems.push(`gap: no window from ${prev.to.toISOString()} to ${cur.from.toISOString()} (between ${describeWindow(prev)} and ${describeWindow(cur)})`);
    else if (cur.from.getTime() < prev.to.getTime()) problems.push(`overlap: ${describeWindow(cur)} starts before ${describeWindow(prev)} ends`);
  }
  return problems;
}

/** What a table can be restored to: from the oldest full set its chain follows to the furthest point its chains reach, and the gaps between. */
export interface RestorableRange {
  readonly table: string;
  /** The recovery point of the oldest full set whose windows are there (the oldest full set when the table has no windows). */
  readonly from: Date;
  /** The newest point: the newest full set's, or the end of the chain that reaches furthest. */
  readonly to: Date;
  /** Committed windows from `from` on. */
  readonly windows: number;
  /** Stretches inside [from, to] that no full set and chain reach (a missing window), oldest first. */
  readonly gaps: { readonly from: Date; readonly to: Date }[];
  /**
   * Full sets older than the oldest window (its windows expired: retention.windowDays): each
   * restores to its own point only, and no gap is named between them. Absent when there are none.
   */
  readonly olderFullSets?: { readonly count: number; readonly oldest: Date };
}

/**
 * The restorable range of a table from its full sets' recovery points and its committed windows:
 * each full set reaches as far as its chain is contiguous ({@link restorableUntil}); the stretches
 * between those reaches are the gaps. The range starts at the oldest full set at or after the
 * oldest window's start: older sets (their windows expired, `retention.windowDays`) restore to
 * their own points only and are counted apart, never as gaps. A table without windows restores to
 * its full sets' points only: its range has no gaps named (there is no chain to have one).
 * Undefined without a full set.
 */
export function restorableRange(table: string, fullSets: readonly Date[], windows: readonly WindowEntry[]): RestorableRange | undefined {
  const all = [...fullSets].sort((a, b) => a.getTime() - b.getTime());
  if (!all.length) return undefined;
  const firstWindow = refs(windows)[0]?.from;
  const followed = firstWindow ? all.filter((p) => p.getTime() >= firstWindow.getTime()) : [];
  // No set at or after the oldest window: the windows follow no kept set; every set is a point of its own.
  const points = followed.length ? followed : all;
  const from = points[0];
  const relevant = windows.filter((w) => Date.parse(w.to) > from.getTime());
  const reach: { from: Date; to: Date }[] = [];
  for (const p of points) {
    const end = restorableUntil(relevant, p);
    const last = reach.at(-1);
    if (last && p.getTime() <= last.to.getTime()) {
      if (end.getTime() > last.to.getTime()) last.to = end;
    } else reach.push({ from: p, to: end });
  }
  const gaps = relevant.length ? reach.slice(1).map((r, i) => ({ from: reach[i].to, to: r.from })) : [];
  // Windows past the last reach (after a gap, with no newer full set) are no restorable point: a gap up to them is named too.
  const beyond = refs(relevant).find((w) => w.from.getTime() > reach.at(-1)!.to.getTime());
  if (beyond) gaps.push({ from: reach.at(-1)!.to, to: beyond.from });
  const older = all.length - points.length;
  const range = { table, from, to: reach.at(-1)!.to, windows: relevant.length, gaps };
  return older ? { ...range, olderFullSets: { count: older, oldest: all[0] } } : range;
}
