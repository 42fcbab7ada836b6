/**
 * What the replica monitor measures in the recovery region: the age of the newest complete full
 * set, and per chained table the age of the newest point the replica restores it to (the newest
 * replicated window's end, or the newest full set's recovery point when that is newer): the RPO
 * across regions at this moment.
 *
 * Cost per run, whatever the number of windows: the catalog's look-up of the newest set (O(sets),
 * catalog.ts) plus ONE GET per chained table (`_latest.json`, the pointer the finalizer moves
 * forward), never a listing of windows: a month of 30-minute windows is 1,440 entries per table.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { dataAge, recoveryPoint } from '../format/trusted-time';
import { latestCompleteSet } from '../store/catalog';
import { readLatestWindow } from './window-store';

/** Age reported when there is nothing to restore from (about a year, in minutes): the alarm fires rather than staying silent. */
export const NO_BACKUP_AGE_MINUTES = 525_600;

/** The age of one chained table's newest restorable point in the replica. */
export interface ChainAge {
  readonly table: string;
  /** The newest point it restores to, ISO; undefined when neither a window nor a full set holds it. */
  readonly point?: string;
  /** What that point is. */
  readonly from: 'window' | 'full set' | 'none';
  readonly ageMinutes: number;
}

/** What one run of the replica monitor measured. */
export interface ReplicaAges {
  /** The newest complete full set. */
  readonly backupId?: string;
  readonly ageMinutes: number;
  readonly chains: ChainAge[];
}

/** Measures the replica: the newest full set's age, and each chained table's (one GET per table). */
export async function measureReplicaAges(o: {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly chainedTables: readonly string[];
  readonly now: Date;
}): Promise<ReplicaAges> {
  const newest = await latestCompleteSet({ s3: o.s3, bucket: o.bucket });
  const fullPoint = newest?.metadata ? recoveryPoint(newest.metadata) : undefined;
  const age = (p: Date) => dataAge(p, o.now).minutes;
  const chains = await Promise.all(
    o.chainedTables.map(async (table): Promise<ChainAge> => {
      const latest = await readLatestWindow(o.s3, o.bucket, table);
      const windowEnd = latest ? new Date(latest.to) : undefined;
      const holdsTable = newest?.metadata?.tables.includes(table) ? fullPoint : undefined;
      if (windowEnd && (!holdsTable || windowEnd >= holdsTable)) return { table, point: windowEnd.toISOString(), from: 'window', ageMinutes: age(windowEnd) };
      if (holdsTable) return { table, point: holdsTable.toISOString(), from: 'full set', ageMinutes: age(holdsTable) };
      return { table, from: 'none', ageMinutes: NO_BACKUP_AGE_MINUTES };
    }),
  );
  return { backupId: newest?.backupId, ageMinutes: fullPoint ? age(fullPoint) : NO_BACKUP_AGE_MINUTES, chains };
}
