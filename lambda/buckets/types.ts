/**
 * Folder lambda/buckets/: point-in-time recovery of a versioned S3 bucket (`dr restore-bucket`).
 * Imports restore/ (the journal), store/ and shared/.
 *
 * Types only, and the refusal error, so every file of the folder can import them.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** One entry of a ListObjectVersions listing: an object version or a delete marker. */
export interface VersionEntry {
  readonly key: string;
  readonly versionId: string;
  readonly lastModified: Date;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  /** Bytes (0 for a delete marker). */
  readonly size: number;
  /** As listed, quotes removed (RGW lists ETags without quotes, S3 with). */
  readonly etag: string;
}

/** Every entry of one key, newest first. */
export interface KeyVersions {
  readonly key: string;
  readonly entries: readonly VersionEntry[];
}

/**
 * What the restore does with one key:
 * - `restore`: copy `version` (the one current at the time) to be the newest again (or into `--to`);
 * - `delete`: the key did not exist at the time: add a delete marker (in place only);
 * - `untouched`: the key is already as it was (same bytes as at the time, or absent then and now);
 * - `unrestorable`: the key has no version at or before the time, but its oldest version is old
 *   enough that lifecycle may have expired the one that was current then: named, never guessed.
 */
export type KeyAction =
  | { readonly kind: 'restore'; readonly key: string; readonly version: VersionEntry }
  | { readonly kind: 'delete'; readonly key: string; readonly size: number }
  | { readonly kind: 'untouched'; readonly key: string; readonly size: number }
  | { readonly kind: 'unrestorable'; readonly key: string; readonly oldestRestorable: Date; readonly reason: string };

/** The kinds of {@link KeyAction}. */
export type ActionKind = KeyAction['kind'];

/** Counts of the actions of a plan or a run. */
export type ActionCounts = Record<ActionKind, number>;

/** A bucket's lifecycle facts the planner needs to name expired versions. */
export interface VersionHorizon {
  /** Noncurrent versions are expired this many lifecycle days after they became noncurrent; undefined: never. */
  readonly noncurrentDays?: number;
  /** Length of a lifecycle day (RGW's debug interval in tests). @default 86_400_000 */
  readonly dayMs?: number;
}

/** A refusal before anything was written: the message says the problem and the fix. */
export class BucketRestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BucketRestoreRefusedError';
  }
}

/** The copy of a version differs from it after the restore (size or checksum). */
export class BucketVerifyError extends Error {
  constructor(
    message: string,
    readonly mismatches: readonly string[],
  ) {
    super(message);
    this.name = 'BucketVerifyError';
  }
}

/** Options of {@link restoreBucket}. */
export interface RestoreBucketOptions {
  readonly s3: S3Client;
  /** The versioned bucket to restore from (the replica with `--from-replica`). */
  readonly bucket: string;
  readonly at: Date;
  readonly prefix?: string;
  /** Copy the state into this empty bucket. @default - in place */
  readonly to?: string;
  /** `--confirm` (needed in place). */
  readonly confirm?: boolean;
  readonly dryRun?: boolean;
  readonly resume?: boolean;
  /** The bucket holding the journal (the backup bucket). */
  readonly journalBucket: string;
  /** @default 32 - copies in flight */
  readonly concurrency?: number;
  /** SSE-KMS key for the copies. @default - the destination's default key */
  readonly kmsKeyId?: string;
  /** Tests only: lower the 5 GB CopyObject limit to exercise multipart copy. */
  readonly multipartThreshold?: number;
  readonly partSize?: number;
  /** Tests only: entries per ListObjectVersions request, to make pages of a few keys. @default 1000 */
  readonly listPageSize?: number;
  /** Tests only: the lifecycle day length (RGW) or a fixed horizon. @default - read from the bucket */
  readonly horizon?: VersionHorizon;
  /**
   * Tests only: the length of a lifecycle day, with the rules still read from the bucket (RGW's
   * `rgw lc debug interval` makes a day seconds long). @default 86_400_000
   */
  readonly lifecycleDayMs?: number;
  /**
   * Called once, just before the first write (the journal's claim): from then on the restore is
   * unfinished until verified, and an interrupted run continues with `--resume`.
   */
  readonly onFirstWrite?: () => void;
  /** Called after each key is done (objects and bytes so far). */
  readonly onProgress?: (p: { readonly objects: number; readonly bytes: number }) => void;
}
