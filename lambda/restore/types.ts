/**
 * The restore vocabulary shared by the restore folder: options, plans, reports and the refusal
 * error. Types only (and one error class), so restore.ts, parallel.ts and pitr.ts can all import it
 * without importing each other.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ValidationProblem } from '../validate/validate';
import type { EngineOperationResult, EngineProgress, EngineSettings, RestoreEngineName } from './engines/engine-types';

/** Suffix of restored tables unless told otherwise. */
export const DEFAULT_RESTORE_SUFFIX = '-restored';

/** Thrown when a restore is refused; nothing was written. */
export class RestoreRefusedError extends Error {
  constructor(
    message: string,
    readonly problems: ValidationProblem[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `  - ${p.object ? `${p.object}: ` : ''}${p.message}`).join('\n')}` : message);
    this.name = 'RestoreRefusedError';
  }
}

/**
 * A restore target left unfinished (written in part, never verified): the message says its state
 * and the fix. `resumable` is false when the backup set itself failed its checks (a rerun with
 * --resume would stop at the same data file).
 */
export class TargetUnfinishedError extends Error {
  constructor(
    message: string,
    readonly resumable: boolean,
  ) {
    super(message);
    this.name = 'TargetUnfinishedError';
  }
}

/** Progress of one table's load. */
export interface RestoreProgress {
  readonly table: string;
  readonly target: string;
  /** Items written so far (verified items with `done`). */
  readonly items: number;
  readonly total: number;
  /** `create`: the table started (0 items); `write`: after each batch; `done`: restored and verified. */
  readonly phase: 'create' | 'write' | 'done';
  /** The engine loading the table. @default 'write' */
  readonly engine?: RestoreEngineName;
  /** Import / bulk put: the last DescribeImport / DescribeBulkOperation (status, bytes, errors). */
  readonly operation?: EngineProgress;
}

/** Options of {@link restoreBackupSet}. */
export interface RestoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** backupId, `<tier>/<backupId>` or `latest`. */
  readonly ref: string;
  /** @default - every table of the set */
  readonly tables?: string[];
  /** @default DEFAULT_RESTORE_SUFFIX */
  readonly suffix?: string;
  /** Write into the original (existing, EMPTY) tables instead of new ones. Excludes suffix. @default false */
  readonly intoExisting?: boolean;
  /** Batches in flight per table (each running table has its own). @default 16 */
  readonly concurrency?: number;
  /**
   * Tables restored at once, a whole number of 1 or more; the tables with the most items start
   * first. After a table fails no further table starts, the running ones finish, and
   * {@link RestoreIncompleteError} lists what was restored, what failed and what never started.
   * @default 3 (DEFAULT_PARALLEL_TABLES) - three tables at a time; 1 restores one after another
   */
  readonly parallelTables?: number;
  /**
   * Continue unfinished restores (`--resume`): a target whose journal (or tag) says it is an
   * unfinished restore of this set is written again from its first data file not done (write), or
   * its import / bulk put is sent again with the ClientToken the journal recorded, so DynamoDB
   * hands back the operation already running (8-hour window); then verified. Without it such a
   * target is refused as unfinished.
   * @default false
   */
  readonly resume?: boolean;
  /**
   * Keep the restore journal (`restores/<target>.json` in the bucket, a tag on the target where
   * DynamoDB has tags). The weekly restore test turns it off: it reads a replica bucket it may
   * not write, into scratch tables it deletes.
   * @default true
   */
  readonly journal?: boolean;
  /** Turn PITR and deletion protection on for new tables. @default true (restore tests pass false for scratch tables) */
  readonly protect?: boolean;
  /** Which engine loads each table, and its settings (see engines/engine-types.ts). @default - auto with the defaults */
  readonly engines?: EngineSettings;
  /** Items per table compared by key and content after an import or bulk put. @default 100 */
  readonly sampleSize?: number;
  readonly onProgress?: (p: RestoreProgress) => void;
  /**
   * `dr restore --at`: the windows that follow this set, one journal part each after the set's
   * parts, so each target stays `unfinished` until its last window (cli/restore-point.ts applies
   * them). @default - a restore of the set alone
   */
  readonly pointChain?: PointChainParts;
}

/** A point-in-time restore's chain, as the base restore writes it into each target's journal. */
export interface PointChainParts {
  readonly at: string;
  /** `<tier>/<backupId>` of the base. */
  readonly baseSet: string;
  /** Per source table: one part per window (journal windowPartId), in order. */
  readonly windows: Readonly<Record<string, readonly { readonly id: string; readonly items: number }[]>>;
}

/** The journal chain of one source table, or undefined. */
export function chainOf(
  c: PointChainParts | undefined,
  source: string,
): { at: string; baseSet: string; windows: readonly { id: string; items: number }[] } | undefined {
  return c ? { at: c.at, baseSet: c.baseSet, windows: c.windows[source] ?? [] } : undefined;
}

/** One table of a restore plan. */
export interface RestorePlanTable {
  readonly source: string;
  readonly target: string;
  readonly items: number;
  readonly action: 'create' | 'into-existing';
  /** The engine that loads it, and why. */
  readonly engine: RestoreEngineName;
  readonly engineReason: string;
  /** Uncompressed bytes in the set (what the import threshold compares). */
  readonly bytes: number;
  /** Set when the target is an unfinished restore of this set that `--resume` continues. */
  readonly resume?: {
    /** Data files already written and checked (skipped). */
    readonly partsDone: number;
    readonly parts: number;
    readonly itemsDone: number;
    /** The import DynamoDB runs (or completed) into the target for this set, followed or verified instead of started again. */
    readonly import?: { readonly importArn: string; readonly status: string };
  };
}

/** What a restore would do. */
export interface RestorePlan {
  readonly backupId: string;
  readonly tier: string;
  readonly exportTime: string;
  readonly tables: RestorePlanTable[];
}

/** One restored table, with the time of each phase. */
export interface RestoredTable extends RestorePlanTable {
  readonly verifiedItems: number;
  /** Import / bulk put: the operation (ARN, ClientToken, counts). */
  readonly operation?: EngineOperationResult;
  /** Settings set after the load because the engine does not carry them. */
  readonly reapplied: string[];
  /** Items of the set read back by key and compared by content (import / bulk put). */
  readonly sampled: number;
  /** Creating the table from the saved schema and waiting for ACTIVE (0 with intoExisting). */
  readonly createMs: number;
  /** Streaming the items in with BatchWriteItem, and nothing else. */
  readonly writeMs: number;
  /** Turning protection on, then the COUNT scan that checks every item arrived. */
  readonly verifyMs: number;
  /** The three phases together. */
  readonly durationMs: number;
  /** When this table's restore started and finished (ISO): tables restored at once overlap. */
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** A restored table and its warnings (kept apart so warnings come out in plan order). */
export interface TableOutcome {
  readonly table: RestoredTable;
  readonly warnings: string[];
}

/** The result of {@link restoreBackupSet}. */
export interface RestoreReport {
  readonly backupId: string;
  readonly tier: string;
  /** The recovery point of the data restored. */
  readonly exportTime: string;
  readonly tables: RestoredTable[];
  readonly warnings: string[];
  /** Validating the whole set before anything is written. */
  readonly validateMs: number;
  /** Tables restored at once. */
  readonly parallelTables: number;
  /** End to end: planning, validation, target checks and every table. */
  readonly durationMs: number;
}
