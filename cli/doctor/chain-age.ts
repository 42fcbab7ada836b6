/**
 * `dr doctor`'s check of each chained table's RPO across regions: the newest window the replica
 * bucket holds (one GET of `backups/incremental/<table>/_latest.json` in the recovery region, the
 * pointer the finalizer moves forward and the replica monitor reads) against the table's RPO and
 * the worst case its schedule allows (interval + export + replication, docs/rpo.md).
 */
import { incrementalIntervalOf, rpoOf, worstCaseRpoMinutes, type DrConfig, type TableConfig } from '../../lib/config';
import { dataAge } from '../../lambda/format/trusted-time';
import { readLatestWindow } from '../../lambda/incremental/window-store';
import { formatAge } from './data-checks';
import { CheckResult, fail, pass, warn } from './result';
import type { RegionClients } from './target';

/** Where the chain's windows come from, for the fixes. */
export interface ChainAgeContext {
  /** The recovery region's clients (the replica bucket's region). */
  readonly recovery: RegionClients;
  readonly replicaBucket: string;
  /** The primary region, where the incremental-export function runs. */
  readonly primaryRegion: string;
  readonly now: Date;
}

/** PASS within the schedule's worst case, WARN past it but within the RPO, FAIL past the RPO or without a window. */
export async function chainAgeCheck(ctx: ChainAgeContext, config: DrConfig, table: TableConfig): Promise<CheckResult> {
  const check = `chain age ${table.name}`;
  const rpo = rpoOf(config, table);
  const worst = worstCaseRpoMinutes(config, table);
  const interval = incrementalIntervalOf(config, table) ?? 0;
  const where = `--region ${ctx.recovery.region} --bucket ${ctx.replicaBucket}`;
  const logs = `read the incremental-export function's log group in ${ctx.primaryRegion} (the ${table.name} ReplicaChainStale alarm pages on the same age)`;
  const latest = await readLatestWindow(ctx.recovery.s3, ctx.replicaBucket, table.name);
  if (!latest)
    return fail(
      check,
      `no window of ${table.name} in s3://${ctx.replicaBucket}: across regions it restores only to a full set (up to a day old, RPO ${formatAge(rpo)})`,
      `the chain starts at the first full set holding the table: take one (dr --region ${ctx.primaryRegion} backup), then the first window replicates within ${formatAge(worst)}; if a full set exists already, ${logs}`,
    );
  const point = new Date(latest.to);
  const age = dataAge(point, ctx.now);
  if (age.future)
    return fail(
      check,
      `the newest window of ${table.name} ends ${point.toISOString()}, after this machine's clock (${ctx.now.toISOString()}): a window cannot hold data from the future`,
      `check this machine's clock; if it is right, check the chain: dr ${where} validate --chain ${table.name}`,
    );
  const mins = Math.round(age.minutes);
  const detail = `newest replicated window ends ${point.toISOString()}, ${formatAge(mins)} old (RPO ${formatAge(rpo)}; the ${interval}-minute schedule's worst case ${formatAge(worst)})`;
  const fix = `${logs}; "dr ${where} list" names any gap (a failed window is exported again by the next run, never skipped)`;
  if (mins <= worst) return pass(check, detail);
  if (mins <= rpo) return warn(check, `${detail}: the chain lags behind its schedule`, fix);
  return fail(check, `${detail}: a region loss now would lose more data than the RPO allows`, fix);
}
