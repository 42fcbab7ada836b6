/**
 * Drill scenario 5, "primary region lost mid-day", on a SIMULATED clock: the chained tables get a
 * full set at 02:00, writes all day, a window every interval of the config (exported through the
 * LOCAL STAND-IN for incremental exports, from the tables' streams, then finalized and
 * "replicated" by the same code and in the same order as on AWS), and the region is lost at
 * 14:37. The recovery region restores the full set and the chain from the replica with
 * `dr restore --at latest`'s functions, and every table is verified item by item against its
 * state at the restored point (replayed from a log of every write the day made).
 *
 * The clock: 02:00 is the full set's real recovery point (when its scan read the tables); the
 * day runs on from there in simulated minutes, which only the stand-in, the window exporter and
 * finalizer and the restore's "now" see. Export duration and replication lag are simulated too
 * ({@link MIDDAY}), small enough that the day shows a window still on its way at the disaster.
 * The RTO is measured on the run's real clock, as in every scenario.
 */
import { CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CopyObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { incrementalTables, targetsFor, worstCaseRpoMinutes } from '../../lib/config';
import { SlotStore } from '../../lambda/backup/slot';
import { catalogEntryKey } from '../../lambda/format/catalog-entry';
import { latestWindowKey, windowEntryKey, windowPrefix, type WindowRef } from '../../lambda/format/window';
import { exportNextWindow, finalizeWindow } from '../../lambda/incremental/window-export';
import { resolveBackupSet } from '../../lambda/store/catalog';
import { listObjects } from '../../lambda/store/s3-io';
import { windowPartId } from '../../lambda/restore/journal';
import { writeItems } from '../../lambda/restore/restore';
import { createTableInput } from '../../lambda/restore/tables';
import { latestRestorablePoint, restoreToPoint } from '../restore-point';
import { generateShop, prng, type ShopTable } from './dataset';
import { schemaFromConfig } from './environment';
import type { ScenarioResult } from './report';
import { injectAfterRestore, measure, type DrillTable, type Recorder, type ScenarioContext } from './scenarios';
import { installIncrementalExportStandIn } from './standins/incremental-export-standin';
import type { TimelineWindow } from './timeline';
import { hashItem, itemKey, verifyTable, type Item, type TableSnapshot } from './verify';

/** The simulated day, in minutes after the full set (which the report calls 02:00). */
export const MIDDAY = {
  /** Clock time of the full set, minutes after midnight (02:00). */
  fullSetAtMinutes: 120,
  /** The region is lost at 14:37: 757 minutes after the full set. */
  lostAfterMinutes: 14 * 60 + 37 - 120,
  /** Writes land at minute 7 of every quarter hour (02:07, 02:22, ...) and one minute before the loss. */
  writeEveryMinutes: 15,
  writeAtMinute: 7,
  /** The export finalizer's schedule. */
  finalizeEveryMinutes: 5,
  /** Simulated duration of a window's export (the stand-in answers at once; DynamoDB takes minutes). */
  exportMinutes: 5,
  /** Simulated replication lag after a window's commit (S3 RTC replicates 99.99 % within 15 minutes). */
  replicationMinutes: 3,
  /** Items seeded for the scenario: the drill's --items divided by this (then only the chained tables are kept). */
  itemsDivisor: 4,
  /** Share of a table's items changed per burst of writes. */
  changeShare: 0.01,
} as const;

/** Seed of the scenario's data and writes. */
const MIDDAY_SEED = 20261123 + 5;

/** One write of the day, for replaying a table's state at any minute. */
interface LoggedWrite {
  readonly minute: number;
  readonly key: string;
  /** Hash of the item written; undefined: deleted. */
  readonly hash?: string;
}

/** A chained table of the scenario: its drill table, interval, seed state and every write of the day. */
interface DayTable extends DrillTable {
  readonly intervalMinutes: number;
  readonly seed: TableSnapshot;
  readonly live: Map<string, Item>;
  readonly log: LoggedWrite[];
}

/** A committed window and when the simulated CRR has it in the replica. */
interface Committed {
  readonly table: DayTable;
  readonly window: WindowRef;
  readonly committedMinute: number;
  readonly replicatedMinute: number;
}

/** "14:37" for a minute of the simulated day. */
export function clockLabel(minuteOfDay: number): string {
  const m = ((Math.round(minuteOfDay) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The state of a table at `minute`: its seed, then every write before that minute. */
export function stateAt(seed: TableSnapshot, log: readonly LoggedWrite[], minute: number): TableSnapshot {
  const out = new Map(seed);
  for (const w of log) {
    if (w.minute >= minute) continue;
    if (w.hash === undefined) out.delete(w.key);
    else out.set(w.key, w.hash);
  }
  return out;
}

/** 5. The primary region is lost at 14:37; the full set of 02:00 and the chain of windows are restored from the replica. */
export function regionLostMidday(ctx: ScenarioContext): Promise<ScenarioResult> {
  return measure(ctx, 'region-lost-midday', 'Primary region lost mid-day (14:37)', (rec) => runDay(ctx, rec));
}

async function runDay(ctx: ScenarioContext, rec: Recorder): Promise<void> {
  const { env, config } = ctx;
  const { dynamodb, s3, bucket, replicaBucket } = env;
  if (env.mode !== 'local')
    throw new Error('scenario 5 runs a simulated day against the local stand-in for incremental exports: run it with "dr drill --local"');
  const chains = incrementalTables(config);
  const day = await createDayTables(ctx, chains);
  if (day.length === 0)
    throw new Error('scenario 5 needs a shop table with a chain of incremental exports in the config (tables[].incremental, an RPO under a day)');
  const names = day.map((t) => t.name);
  const streams = new DynamoDBStreamsClient({
    endpoint: env.handlerEnv.AWS_ENDPOINT_URL_DYNAMODB,
    region: env.handlerEnv.AWS_REGION,
    credentials: { accessKeyId: env.handlerEnv.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: env.handlerEnv.AWS_SECRET_ACCESS_KEY ?? 'local' },
  });
  let sim = new Date(Date.now() - 60_000);
  const standIn = installIncrementalExportStandIn({ dynamodb, streams, s3, clock: () => sim, tables: names });
  const committed: Committed[] = [];
  let T0 = new Date(0);
  let ref = '';
  try {
    // The seed is in the streams before the full set reads the tables: no window holds it.
    await standIn.capture();
    ref = (await ctx.backup(names)).ref;
    const set = await resolveBackupSet({ s3, bucket, ref });
    T0 = new Date(set.metadata!.exportTime);
    await replicatePrefixes(s3, bucket, replicaBucket, [`backups/${set.tier}/${set.backupId}/`, catalogEntryKey(set.tier, set.backupId)]);
    const at = (minute: number) => new Date(T0.getTime() + minute * 60_000);
    // The slot table runDrill created for the backup handler: windows are slots of kind 'window' there.
    const slots = new SlotStore({ dynamodb, tableName: env.handlerEnv.STATE_TABLE });
    const arns = new Map<string, string>();
    for (const t of day) arns.set(t.name, (await dynamodb.send(new DescribeTableCommand({ TableName: t.name }))).Table!.TableArn!);
    const exporting = new Map<string, number>();
    const random = prng(MIDDAY_SEED);
    let replicated = 0;
    for (let m = 1; m <= MIDDAY.lostAfterMinutes; m++) {
      sim = at(m);
      // Each table's schedules (export at its interval, finalizer every 5 minutes) run side by side, as on AWS.
      await Promise.all(
        day.map(async (t) => {
          const intervalMs = t.intervalMinutes * 60_000;
          if (m % t.intervalMinutes === 0) {
            const run = await exportNextWindow({
              dynamodb,
              s3,
              slots,
              bucket,
              table: t.name,
              tableArn: arns.get(t.name)!,
              intervalMs,
              owner: `drill-${m}`,
              now: sim,
            });
            if (run.outcome === 'started') exporting.set(t.name, m);
          }
          const started = exporting.get(t.name);
          if (m % MIDDAY.finalizeEveryMinutes !== 0 || started === undefined || m - started < MIDDAY.exportMinutes) return;
          const done = await finalizeWindow({ dynamodb, s3, slots, bucket, table: t.name, intervalMs, now: sim });
          if (done.status !== 'committed') return;
          exporting.delete(t.name);
          committed.push({ table: t, window: done.window, committedMinute: m, replicatedMinute: m + MIDDAY.replicationMinutes });
        }),
      );
      // Windows due in the replica this minute (one per table at most: each table's replicate in commit order).
      const due = committed.slice(replicated).filter((c) => c.replicatedMinute <= m);
      await Promise.all(due.map((c) => replicateWindow(s3, bucket, replicaBucket, c.window)));
      replicated += due.length;
      if (m % 180 === 0) ctx.step(`  ${clockLabel(MIDDAY.fullSetAtMinutes + m)}: ${committed.length} windows committed, ${replicated} in the replica`);
      if (m % MIDDAY.writeEveryMinutes === MIDDAY.writeAtMinute || m === MIDDAY.lostAfterMinutes - 1) {
        // Each burst draws its changes before its first request, so the day is the same whatever the requests' timing.
        await Promise.all(day.map((t) => writeBurst(dynamodb, t, m, random)));
        await standIn.capture();
      }
    }
  } finally {
    standIn.dispose();
    streams.destroy();
  }
  // 14:37: the primary region is gone; what the replica holds is all there is.
  const lost = MIDDAY.lostAfterMinutes;
  const disaster = new Date(T0.getTime() + lost * 60_000);
  rec.detected();
  const label = (d: Date) => clockLabel(MIDDAY.fullSetAtMinutes + (d.getTime() - T0.getTime()) / 60_000);
  ctx.step(`  ${clockLabel(MIDDAY.fullSetAtMinutes + lost)}: region lost; restoring from ${replicaBucket}`);
  const recovery = await env.recovery();
  const point = await latestRestorablePoint(s3, replicaBucket, names);
  if (!point) throw new Error(`the replica ${replicaBucket} holds no complete full set of ${names.join(', ')}`);
  const report = await restoreToPoint({
    dynamodb: recovery.dynamodb,
    s3,
    bucket: replicaBucket,
    tables: names,
    at: point,
    now: disaster,
    suffix: recovery.suffix,
    protect: false,
    engines: { ...ctx.engines, kmsKeyId: ctx.recoveryKmsKeyId },
  });
  const restoredMinute = (point.getTime() - T0.getTime()) / 60_000;
  await injectAfterRestore(ctx, 'region-lost-midday', recovery.dynamodb, `${names[0]}${recovery.suffix}`);
  for (const t of day) {
    const v = await verifyTable(recovery.dynamodb, `${t.name}${recovery.suffix}`, t.keyNames, stateAt(t.seed, t.log, restoredMinute));
    rec.verification.push(v);
    rec.items += v.matched;
  }
  const worst = Math.max(
    ...day.map((t) =>
      worstCaseRpoMinutes(
        config,
        config.tables.find((c) => c.name === t.source)!,
      ),
    ),
  );
  const rpoMinutes = lost - restoredMinute;
  rec.rpoMs = rpoMinutes * 60_000;
  Object.assign(rec, { backupId: ref.split('/')[1], exportTime: point.toISOString(), tables: day.map((t) => t.source) });
  const inReplica = (c: Committed) => c.replicatedMinute <= lost;
  const used = (c: Committed) => report.tables[c.table.name]?.windows.includes(windowPartId(c.window.from)) ?? false;
  const windows: TimelineWindow[] = committed.map((c) => ({
    table: c.table.source,
    from: c.window.from.toISOString(),
    to: c.window.to.toISOString(),
    replicatedAt: inReplica(c) ? new Date(T0.getTime() + c.replicatedMinute * 60_000).toISOString() : undefined,
    used: used(c),
  }));
  rec.timeline = {
    simulated: true,
    clockOrigin: { at: T0.toISOString(), minuteOfDay: MIDDAY.fullSetAtMinutes },
    start: new Date(T0.getTime() - 30 * 60_000).toISOString(),
    end: new Date(disaster.getTime() + 30 * 60_000).toISOString(),
    fullSets: [T0.toISOString()],
    windows,
    disaster: disaster.toISOString(),
    restoredPoint: point.toISOString(),
    worstCaseMinutes: worst,
    rpoTargetMinutes: Math.min(...day.map((t) => targetsFor(config, t.source).rpoMinutes)),
  };
  const writes = day.reduce((n, t) => n + t.log.length, 0);
  rec.notes.push(
    `SIMULATED day (clock of the stand-in, the window exporter and finalizer): full set ${ref} at 02:00 (its real recovery point), ${writes} writes (puts, updates, deletes) at minute ${MIDDAY.writeAtMinute} of every quarter hour and at ${label(new Date(disaster.getTime() - 60_000))}, windows exported by the LOCAL STAND-IN for incremental exports (cli/drill/standins/incremental-export-standin.ts) from the tables' streams; simulated export ${MIDDAY.exportMinutes} min, finalizer every ${MIDDAY.finalizeEveryMinutes} min, replication ${MIDDAY.replicationMinutes} min after the commit`,
    `region lost at ${label(disaster)}: the replica held ${committed.filter(inReplica).length} of ${committed.length} committed windows${committed
      .filter((c) => !inReplica(c))
      .map(
        (c) =>
          `; ${c.table.source} ${label(c.window.from)}..${label(c.window.to)} committed at ${clockLabel(MIDDAY.fullSetAtMinutes + c.committedMinute)}, still replicating (in the replica at ${clockLabel(MIDDAY.fullSetAtMinutes + c.replicatedMinute)})`,
      )
      .join('')}`,
    ...day.map((t) => {
      const r = report.tables[t.name];
      const usedWindows = committed.filter((c) => c.table === t && used(c)).map((c) => `${label(c.window.from)}..${label(c.window.to)}`);
      return `${t.source}: full set + ${usedWindows.length} windows of ${t.intervalMinutes} min applied (${r.puts} puts, ${r.deletes} deletes): ${usedWindows.join(', ')}`;
    }),
    `dr restore --at latest from ${replicaBucket} into the recovery region: restored to ${label(point)} (${point.toISOString()}); RPO measured ${rpoMinutes} min (${label(disaster)} - ${label(point)}), worst case the schedule allows ${worst} min`,
  );
  if (report.base) rec.notes.push(`base ${ref}: ${report.base.tables.map((t) => `${t.target} ${t.engine}`).join('; ')}`);
  if (rpoMinutes > worst)
    throw new Error(`the measured RPO of ${rpoMinutes} min exceeds the worst case of ${worst} min the schedule allows: a window was lost or late`);
}

/** The chained shop tables, created with a NEW_AND_OLD_IMAGES stream (the stand-in reads it) and seeded. */
async function createDayTables(ctx: ScenarioContext, chains: { name: string; intervalMinutes: number }[]): Promise<DayTable[]> {
  const chained = ctx.tables.filter((t) => chains.some((c) => c.name === t.source));
  const data = generateShop(Math.max(200, Math.round(ctx.items / MIDDAY.itemsDivisor)), MIDDAY_SEED);
  return Promise.all(
    chained.map(async (t): Promise<DayTable> => {
      const name = `${ctx.env.tablePrefix}midday-${t.source}`;
      const schema = schemaFromConfig(ctx.config.tables.find((c) => c.name === t.source)!);
      await ctx.env.dynamodb.send(
        new CreateTableCommand({ ...createTableInput(name, schema), StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }),
      );
      await waitUntilTableExists({ client: ctx.env.dynamodb, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: name });
      const items = data[t.source as ShopTable].map((r) => marshall(r, { removeUndefinedValues: true }));
      await writeItems(
        ctx.env.dynamodb,
        name,
        (async function* () {
          yield* items;
        })(),
      );
      const live = new Map(items.map((i) => [itemKey(i, t.keyNames), i]));
      const seed: TableSnapshot = new Map([...live].map(([k, i]) => [k, hashItem(i)]));
      return { source: t.source, name, keyNames: t.keyNames, intervalMinutes: chains.find((c) => c.name === t.source)!.intervalMinutes, seed, live, log: [] };
    }),
  );
}

/** One burst of writes to a table at `minute`: updates (most), new items, deletes; logged for the replay. */
async function writeBurst(dynamodb: DynamoDBClient, t: DayTable, minute: number, random: () => number): Promise<void> {
  const keys = [...t.live.keys()];
  const n = Math.max(1, Math.round(keys.length * MIDDAY.changeShare));
  const puts = new Map<string, Item>();
  const deletes = new Set<string>();
  for (let i = 0; i < n && keys.length; i++) {
    const pick = keys.splice(Math.floor(random() * keys.length), 1)[0];
    const item = t.live.get(pick)!;
    const roll = random();
    if (roll < 0.15) deletes.add(pick);
    else if (roll < 0.4) {
      const fresh = withNewPartitionKey(item, t.keyNames[0], minute * 1000 + i);
      puts.set(itemKey(fresh, t.keyNames), fresh);
    } else puts.set(pick, { ...item, dayRevision: { N: String(minute) }, dayNote: { S: `changed at minute ${minute}` } });
  }
  await writeItems(
    dynamodb,
    t.name,
    (async function* () {
      yield* puts.values();
    })(),
  );
  await Promise.all(
    [...deletes].map((k) =>
      dynamodb.send(new DeleteItemCommand({ TableName: t.name, Key: Object.fromEntries(t.keyNames.map((a) => [a, t.live.get(k)![a]])) })),
    ),
  );
  for (const [k, item] of puts) {
    t.live.set(k, item);
    t.log.push({ minute, key: k, hash: hashItem(item) });
  }
  for (const k of deletes) {
    t.live.delete(k);
    t.log.push({ minute, key: k });
  }
}

/** A copy of `item` under a new partition key value, unique per `tag` (a string gains `-d<tag>`; a number a large offset). */
function withNewPartitionKey(item: Item, pk: string, tag: number): Item {
  const v = item[pk];
  const fresh = v.N !== undefined ? { N: String(Number(v.N) + 1e9 + tag) } : { S: `${v.S ?? ''}-d${tag}` };
  return { ...item, [pk]: fresh };
}

/** What CRR does for a committed window, in its commit order: the export's files and window.json, the catalog entry, then _latest.json. */
async function replicateWindow(s3: S3Client, from: string, to: string, w: WindowRef): Promise<void> {
  await replicatePrefixes(s3, from, to, [windowPrefix(w)]);
  await s3.send(new CopyObjectCommand({ Bucket: to, Key: windowEntryKey(w), CopySource: copySource(from, windowEntryKey(w)) }));
  await s3.send(new CopyObjectCommand({ Bucket: to, Key: latestWindowKey(w.table), CopySource: copySource(from, windowEntryKey(w)) }));
}

/** Copies every object under each prefix (as S3 replication would). */
async function replicatePrefixes(s3: S3Client, from: string, to: string, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    const copies: Promise<unknown>[] = [];
    for await (const o of listObjects(s3, from, prefix))
      copies.push(s3.send(new CopyObjectCommand({ Bucket: to, Key: o.Key!, CopySource: copySource(from, o.Key!) })));
    await Promise.all(copies);
  }
}

/** CopySource of a key: URL-encoded, slashes kept. */
const copySource = (bucket: string, key: string) => `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
