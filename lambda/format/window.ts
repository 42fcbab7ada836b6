/**
 * The format of a chain of incremental exports: one *window* per ExportTableToPointInTime with
 * `ExportType: INCREMENTAL_EXPORT`, its data lines, its commit marker and its catalog entry.
 *
 * Keys, per table (under `backups/` so the backup roles' grants, the lifecycle and the whole-bucket
 * replication cover them):
 * - `backups/incremental/<table>/<fromId>/`                 the export prefix of the window [from, to)
 * - `backups/incremental/<table>/<fromId>/window.json`      commit marker (written last, by the finalizer)
 * - `backups/incremental/<table>/_catalog/<fromId>.json`    catalog entry, `kind: 'incremental'` (after window.json)
 * - `backups/incremental/<table>/_latest.json`              the newest committed window (after the entry):
 *                                                           one GET for monitors, whatever the chain's length
 *
 * A data line, as AWS documents the incremental export output (DynamoDB JSON), one per changed
 * key, compacted to the key's last change in the window:
 * `{"Metadata":{"WriteTimestampMicros":{"N":"1700000000000000"}},"Keys":{...},"OldImage":{...},"NewImage":{...}}`
 * `NewImage` absent: the item was deleted. `OldImage` (NEW_AND_OLD_IMAGES): the item at the window's start.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BACKUPS_PREFIX, FORMAT_VERSION, backupIdFor, parseBackupId } from './backup-set';

/** `backups/incremental/` */
export const INCREMENTAL_PREFIX = `${BACKUPS_PREFIX}incremental/`;
/** The window's commit marker. */
export const WINDOW_FILE = 'window.json';
/** Shortest window DynamoDB exports (ExportFromTime to ExportToTime), ms. */
export const MIN_WINDOW_MS = 15 * 60_000;
/** Longest window DynamoDB exports, ms. */
export const MAX_WINDOW_MS = 24 * 60 * 60_000;

/** A window of one table's chain: [from, to). */
export interface WindowRef {
  readonly table: string;
  readonly from: Date;
  readonly to: Date;
}

/** `backups/incremental/<table>/` */
export function chainPrefix(table: string): string {
  return `${INCREMENTAL_PREFIX}${table}/`;
}

/** `backups/incremental/<table>/<fromId>/`: the export prefix of a window (without the slash for S3Prefix). */
export function windowPrefix(w: Pick<WindowRef, 'table' | 'from'>): string {
  return `${chainPrefix(w.table)}${backupIdFor(w.from)}/`;
}

/** `backups/incremental/<table>/_catalog/` */
export function windowCatalogPrefix(table: string): string {
  return `${chainPrefix(table)}_catalog/`;
}

/** `backups/incremental/<table>/_catalog/<fromId>.json` */
export function windowEntryKey(w: Pick<WindowRef, 'table' | 'from'>): string {
  return `${windowCatalogPrefix(w.table)}${backupIdFor(w.from)}.json`;
}

/** `backups/incremental/<table>/_latest.json` */
export function latestWindowKey(table: string): string {
  return `${chainPrefix(table)}_latest.json`;
}

/** The window start encoded in a catalog entry key of `table`, or undefined for any other key. */
export function windowFromOfEntryKey(table: string, key: string): Date | undefined {
  const prefix = windowCatalogPrefix(table);
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  try {
    return parseBackupId(key.slice(prefix.length, -'.json'.length));
  } catch {
    return undefined;
  }
}

/** `orders 2026-11-23T14:00:00.000Z..14:15:00.000Z`: how messages name a window. */
export function describeWindow(w: WindowRef): string {
  return `${w.table} ${w.from.toISOString()}..${w.to.toISOString()}`;
}

/** One data file of a committed window. */
export interface WindowFile {
  /** Full object key. */
  readonly key: string;
  readonly bytes: number;
  /** hex sha256 of the stored (gzipped) bytes. */
  readonly sha256: string;
  /** Lines (changed keys) in the file. */
  readonly lines: number;
}

/** window.json: a committed window. */
export interface WindowMetadata {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly kind: 'window';
  readonly table: string;
  /** Inclusive start (ISO). */
  readonly from: string;
  /** Exclusive end (ISO). */
  readonly to: string;
  /** The full set the chain starts from: `<tier>/<backupId>`. */
  readonly baseSet: string;
  /** The export's ARN (`standin:` for the local stand-in). */
  readonly exportArn: string;
  readonly exportFolder: string;
  readonly files: WindowFile[];
  /** Changed keys: puts (NewImage present) and deletes (absent). */
  readonly counts: { readonly puts: number; readonly deletes: number };
  readonly committedAt: string;
}

/** The catalog entry of a committed window. */
export interface WindowEntry {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly kind: 'incremental';
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly baseSet: string;
  readonly counts: WindowMetadata['counts'];
  /** hex sha256 and byte length of window.json as written. */
  readonly metadataSha256: string;
  readonly metadataBytes: number;
}

/** One changed key of a window. */
export interface ChangeLine {
  /** Microseconds since the epoch of the key's last write in the window. */
  readonly writeMicros: number;
  readonly keys: Record<string, AttributeValue>;
  /** The item after the change; undefined: deleted. */
  readonly newImage?: Record<string, AttributeValue>;
}

/** The window start and end of a committed window's metadata or entry. */
export function windowOf(m: Pick<WindowMetadata, 'table' | 'from' | 'to'>): WindowRef {
  return { table: m.table, from: new Date(m.from), to: new Date(m.to) };
}
