/**
 * Figure 10 (issue 19): the restore of a full set + 96 windows (`dr restore --at`'s core) against
 * the restore of a full set holding the same final items, side by side in one run.
 *
 * One table with a stream is seeded and backed up (the base, into `chainBucket`); then a simulated
 * day of 96 fifteen-minute windows, each with updates, new items and deletes, exported through the
 * LOCAL STAND-IN for incremental exports and committed by the same code the export finalizer runs.
 * At the end of the day a second full set of the table (into `fullBucket`: it must not become the
 * chain's base) holds exactly the final items. Each round restores both, in alternating order,
 * into new tables with the write engine; round 1 also compares both targets with the source item
 * by item (outside the clocks).
 */
import * as os from 'node:os';
import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../lambda/backup/backup';
import { createSlotTable, SlotStore } from '../lambda/backup/slot';
import { exportNextWindow, finalizeWindow } from '../lambda/incremental/window-export';
import { listWindows } from '../lambda/incremental/window-store';
import { restoreBackupSet } from '../lambda/restore/restore';
import { installIncrementalExportStandIn } from '../cli/drill/standins/incremental-export-standin';
import { restoreToPoint } from '../cli/restore-point';
import { scanAll } from './ceilings';
import { BENCH_KEY, benchItem, dropTable, log, median, parallelBatchWrite, writeBatch } from './harness';

const WINDOW_MS = 15 * 60_000;

/** Options of {@link measureChainRestore}. */
export interface ChainFigureOptions {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly s3: S3Client;
  /** The bucket of the base set and its chain. */
  readonly chainBucket: string;
  /** The bucket of the full set taken at the end of the day. */
  readonly fullBucket: string;
  /** Items in the base set. */
  readonly items: number;
  /** Changes per window: 80 % updates, 10 % new items, 10 % deletes. */
  readonly changesPerWindow: number;
  /** @default 96 (a day of 15-minute windows) */
  readonly windows?: number;
  readonly rounds: number;
  readonly concurrency: number;
}

/** One round: both restores, timed. */
export interface ChainRound {
  readonly first: 'chain' | 'full';
  readonly chainMs: number;
  /** Of chainMs: the base set's restore (validate, create, write, verify). */
  readonly chainBaseMs: number;
  readonly fullMs: number;
  /** full / chain: 1 means the chain costs nothing extra. */
  readonly ratio: number;
  /** 1-minute load average when the round ended (the machine is shared). */
  readonly loadavg: number;
}

/** Figure 10's results. */
export interface ChainFigure {
  readonly baseItems: number;
  readonly finalItems: number;
  readonly windows: number;
  readonly changes: { readonly puts: number; readonly deletes: number };
  /** Building the day (writes, stand-in exports, commits): not part of the figure. */
  readonly buildMs: number;
  /** Both targets equal the source item by item (round 1). */
  readonly verified: boolean;
  readonly rounds: ChainRound[];
  readonly medianRatio: number;
}

/** A deterministic generator (mulberry32): the same day on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Measures figure 10 (see the file comment). */
export async function measureChainRestore(o: ChainFigureOptions): Promise<ChainFigure> {
  const table = 'bench-chain';
  const windows = o.windows ?? 96;
  await o.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: BENCH_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: BENCH_KEY, AttributeType: 'S' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: o.dynamodb, maxWaitTime: 60 }, { TableName: table });
  const stateTable = 'bench-chain-state';
  await createSlotTable(o.dynamodb, stateTable);
  const slots = new SlotStore({ dynamodb: o.dynamodb, tableName: stateTable });
  let sim = new Date(Date.now() - 60_000);
  const standIn = installIncrementalExportStandIn({ dynamodb: o.dynamodb, streams: o.streams, s3: o.s3, clock: () => sim, tables: [table] });
  const built = performance.now();
  try {
    log(`chain figure: seeding ${o.items} items`);
    await parallelBatchWrite(o.dynamodb, table, o.items, benchItem, 16);
    await standIn.capture();
    const base = await runBackup({ dynamodb: o.dynamodb, s3: o.s3, bucket: o.chainBucket, tables: [table], tier: 'daily', engine: 'scan' });
    const t0 = Date.parse(base.exportTime);
    const live = Array.from({ length: o.items }, (_, i) => i);
    let next = o.items;
    let puts = 0;
    let deletes = 0;
    const rnd = random(19);
    const pick = () => live[Math.floor(rnd() * live.length)];
    for (let w = 0; w < windows; w++) {
      sim = new Date(t0 + w * WINDOW_MS + 60_000);
      const requests: { PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }[] = [];
      const touched = new Set<number>();
      for (let c = 0; c < o.changesPerWindow; c++) {
        const kind = c % 10;
        if (kind === 8) {
          touched.add(next);
          live.push(next);
          requests.push({ PutRequest: { Item: benchItem(next++) } });
        } else {
          const i = pick();
          if (touched.has(i)) continue; // one write per key per batch
          touched.add(i);
          if (kind === 9) {
            live.splice(live.indexOf(i), 1);
            requests.push({ DeleteRequest: { Key: { [BENCH_KEY]: benchItem(i)[BENCH_KEY] } } });
          } else requests.push({ PutRequest: { Item: { ...benchItem(i), status: { S: `UPDATED-${w}` } } } });
        }
      }
      for (let i = 0; i < requests.length; i += 25) await writeBatch(o.dynamodb, table, requests.slice(i, i + 25));
      await standIn.capture();
      sim = new Date(t0 + (w + 1) * WINDOW_MS + 30_000);
      const run = await exportNextWindow({
        dynamodb: o.dynamodb,
        s3: o.s3,
        slots,
        bucket: o.chainBucket,
        table,
        tableArn: `arn:aws:dynamodb:ddblocal:000000000000:table/${table}`,
        intervalMs: WINDOW_MS,
        owner: `bench-${w}`,
        now: sim,
      });
      const done = await finalizeWindow({ dynamodb: o.dynamodb, s3: o.s3, slots, bucket: o.chainBucket, table, intervalMs: WINDOW_MS, now: sim });
      if (run.outcome !== 'started' || done.status !== 'committed') throw new Error(`window ${w + 1}: ${run.outcome}, ${done.status}`);
      puts += done.counts.puts;
      deletes += done.counts.deletes;
    }
    const committed = await listWindows(o.s3, o.chainBucket, table);
    if (committed.length !== windows) throw new Error(`expected ${windows} committed windows, found ${committed.length}`);
    const at = new Date(t0 + windows * WINDOW_MS);
    const full = await runBackup({ dynamodb: o.dynamodb, s3: o.s3, bucket: o.fullBucket, tables: [table], tier: 'adhoc', engine: 'scan' });
    const buildMs = performance.now() - built;
    log(`chain figure: ${windows} windows (${puts} puts, ${deletes} deletes) built in ${(buildMs / 1000).toFixed(1)} s; ${live.length} final items`);

    const source = await keyed(o.dynamodb, table);
    let verified = true;
    const rounds: ChainRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const first = r % 2 === 0 ? 'chain' : 'full';
      const runChain = async () => {
        const t = performance.now();
        const report = await restoreToPoint({
          dynamodb: o.dynamodb,
          s3: o.s3,
          bucket: o.chainBucket,
          tables: [table],
          at,
          now: new Date(at.getTime() + 60_000),
          suffix: `-chain${r}`,
          concurrency: o.concurrency,
        });
        const chainMs = performance.now() - t;
        if (report.tables[table].windows.length !== windows) throw new Error(`the chain restore applied ${report.tables[table].windows.length} windows`);
        return {
          chainMs,
          chainBaseMs: report.base?.tables.reduce((n, x) => n + (x.createMs ?? 0) + (x.writeMs ?? 0) + (x.verifyMs ?? 0), report.base.validateMs) ?? 0,
        };
      };
      const runFull = async () => {
        const t = performance.now();
        await restoreBackupSet({
          dynamodb: o.dynamodb,
          s3: o.s3,
          bucket: o.fullBucket,
          ref: full.backupId,
          tables: [table],
          suffix: `-full${r}`,
          concurrency: o.concurrency,
        });
        return performance.now() - t;
      };
      let chain: Awaited<ReturnType<typeof runChain>>;
      let fullMs: number;
      if (first === 'chain') {
        chain = await runChain();
        fullMs = await runFull();
      } else {
        fullMs = await runFull();
        chain = await runChain();
      }
      if (r === 0) {
        for (const suffix of ['-chain0', '-full0']) {
          const restored = await keyed(o.dynamodb, `${table}${suffix}`);
          const same = restored.size === source.size && [...source].every(([k, v]) => restored.get(k) === v);
          if (!same) log(`chain figure: ${table}${suffix} differs from the source (${restored.size} vs ${source.size} items)`);
          verified &&= same;
        }
      }
      await dropTable(o.dynamodb, `${table}-chain${r}`);
      await dropTable(o.dynamodb, `${table}-full${r}`);
      const round: ChainRound = { first, ...chain, fullMs, ratio: fullMs / chain.chainMs, loadavg: os.loadavg()[0] };
      rounds.push(round);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      log(
        `  chain round ${r + 1} (${first} first): full set + ${windows} windows ${s(chain.chainMs)} (base ${s(chain.chainBaseMs)}), full set ${s(fullMs)}: ${round.ratio.toFixed(2)}`,
      );
    }
    return {
      baseItems: o.items,
      finalItems: live.length,
      windows,
      changes: { puts, deletes },
      buildMs,
      verified,
      rounds,
      medianRatio: median(rounds.map((x) => x.ratio)),
    };
  } finally {
    standIn.dispose();
  }
}

/** Every item of a table as canonical JSON by key (attribute order sorted). */
async function keyed(dynamodb: DynamoDBClient, table: string): Promise<Map<string, string>> {
  const items = await scanAll(dynamodb, table, 4);
  return new Map(items.map((i) => [i[BENCH_KEY].S!, JSON.stringify(sorted(i))]));
}

/** Map keys sorted at every depth: the engine may write attributes in another order. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sorted(x)]),
    );
  return v;
}
