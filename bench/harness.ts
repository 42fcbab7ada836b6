/**
 * Benchmark harness: the shop-like table, seeding with parallel BatchWriteItem, child processes
 * for peak-memory measurement, and small statistics helpers.
 *
 * Everything here is benchmark plumbing, not product code: it lives in bench/ and is never
 * imported by lambda/, lib/ or cli/.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
  WriteRequest,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** The benchmark table's partition key. */
export const BENCH_KEY = 'orderId';

/** Items per BatchWriteItem request (the API maximum). */
export const BATCH_SIZE = 25;

const STATUSES = ['PLACED', 'PAID', 'PACKED', 'SHIPPED', 'DELIVERED'];
// Filler that brings an item to about 600 bytes of DynamoDB item size (names + values).
const NOTE = 'Please leave the parcel with the neighbour at number 12 if nobody answers. Gift wrap, no invoice in the box. '.repeat(3);

/** A deterministic order item of about 600 bytes (DynamoDB size), in wire format. */
export function benchItem(i: number): Record<string, AttributeValue> {
  const id = `order-${String(i).padStart(9, '0')}`;
  return {
    orderId: { S: id },
    customerId: { S: `customer-${String(i % 50000).padStart(6, '0')}` },
    createdAt: { S: new Date(Date.UTC(2026, 0, 1) + i * 61000).toISOString() },
    status: { S: STATUSES[i % STATUSES.length] },
    total: { N: ((i % 9973) / 100 + 5).toFixed(2) },
    currency: { S: 'EUR' },
    lines: {
      L: [0, 1].map((n) => ({
        M: { sku: { S: `SKU-${(i * 7 + n) % 100000}` }, qty: { N: String(1 + ((i + n) % 3)) }, price: { N: '19.99' } },
      })),
    },
    shipping: {
      M: {
        name: { S: 'Alex Example' },
        street: { S: `${i % 300} Market Street` },
        city: { S: 'Dublin' },
        postcode: { S: 'D02 X285' },
        country: { S: 'IE' },
      },
    },
    note: { S: NOTE },
  };
}

/** Approximate DynamoDB item size: attribute names plus values, as AWS bills it. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += k.length + valueSize(v);
  return n;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.length / 2) + 1;
  if (v.M !== undefined) return 3 + itemSize(v.M);
  if (v.L !== undefined) return 3 + v.L.reduce((a, x) => a + 1 + valueSize(x), 0);
  return 1;
}

/** Creates an on-demand table keyed by {@link BENCH_KEY} and waits until it exists. */
export async function createBenchTable(ddb: DynamoDBClient, name: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: BENCH_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: BENCH_KEY, AttributeType: 'S' }],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName: name });
}

/**
 * Deletes a table, ignoring "not found" (frees DynamoDB Local memory between rounds). Restored
 * tables are created with deletion protection (safe by default), so it is turned off first.
 */
export async function dropTable(ddb: DynamoDBClient, name: string): Promise<void> {
  try {
    await ddb.send(new UpdateTableCommand({ TableName: name, DeletionProtectionEnabled: false }));
    await ddb.send(new DeleteTableCommand({ TableName: name }));
  } catch (e) {
    if ((e as Error).name !== 'ResourceNotFoundException') throw e;
  }
}

/** Writes one batch, retrying UnprocessedItems with a short backoff. */
export async function writeBatch(ddb: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 20) throw new Error(`BatchWriteItem into ${table} left ${pending.length} items unprocessed after 20 retries`);
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    const res = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = res.UnprocessedItems?.[table] ?? [];
  }
}

/**
 * Writes `count` items produced by `itemAt(i)` with `concurrency` parallel BatchWriteItem workers.
 * Returns the wall time in ms. Used both to seed and as the restore ceiling.
 */
export async function parallelBatchWrite(
  ddb: DynamoDBClient,
  table: string,
  count: number,
  itemAt: (i: number) => Record<string, AttributeValue>,
  concurrency: number,
  onProgress?: (written: number) => void,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  let written = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= count) return;
      next = Math.min(count, from + BATCH_SIZE);
      const requests: WriteRequest[] = [];
      for (let i = from; i < next; i++) requests.push({ PutRequest: { Item: itemAt(i) } });
      await writeBatch(ddb, table, requests);
      written += requests.length;
      onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

/** Result line a bench child prints as its last stdout line. */
export interface ChildResult {
  readonly mode: string;
  readonly items: number;
  readonly durationMs: number;
  /** Peak resident set size of the child, bytes (process.resourceUsage().maxRSS). */
  readonly peakRssBytes: number;
  /** CPU time of the child itself (user + system), ms. */
  readonly cpuMs?: number;
  /** CPU time the local servers spent while the child ran, ms (filled in by runChild). */
  readonly serverCpuMs?: Record<string, number>;
  readonly backupId?: string;
  readonly storedBytes?: number;
  readonly bytes?: number;
}

/**
 * Runs bench/child-backup.ts in a fresh Node process (so its peak RSS is its own) and returns
 * the JSON result it prints last.
 */
export async function runChild(args: Record<string, unknown>, env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildResult> {
  const script = path.join(__dirname, 'child-backup.ts');
  const cpuBefore = serverCpuMs(env);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, JSON.stringify(args)], {
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`bench child ${JSON.stringify(args)} failed (exit ${code}):\n${err.slice(-2000)}\n${out.slice(-1000)}`);
  }
  const cpuAfter = serverCpuMs(env);
  const serverCpu = Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, v - (cpuBefore[k] ?? 0)]));
  return { ...(JSON.parse(last) as ChildResult), serverCpuMs: serverCpu };
}

/**
 * CPU time (user + system, ms) used so far by the local servers listening on the endpoints in
 * `env` (DynamoDB Local's java, s3rver's node), read from /proc. Empty where /proc is missing.
 */
export function serverCpuMs(env: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  const ports: Record<string, string> = {
    dynamodb: new URL(env.AWS_ENDPOINT_URL_DYNAMODB ?? 'http://x:0').port,
    s3: new URL(env.AWS_ENDPOINT_URL_S3 ?? 'http://x:0').port,
  };
  if (!fs.existsSync('/proc')) return out;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    for (const [name, port] of Object.entries(ports)) {
      const match =
        name === 'dynamodb' ? cmd.includes('DynamoDBLocal.jar') && cmd.includes(`-port ${port}`) : cmd.includes('S3rver') && cmd.includes(`port: ${port}`);
      if (!match) continue;
      // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks (100 per second).
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (Number(fields[11]) + Number(fields[12])) * 10;
    }
  }
  return out;
}

/** The positive whole number after `name` in `argv` (`--rounds 3`), or `fallback` when `name` is absent. */
export function wholeNumberArg(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  const n = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive whole number (got "${argv[i + 1]}")`);
  return n;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${fmt(bytes / 1048576, 1)} MiB`;
}

/** Facts about the machine, for the report header. */
export function machineFacts(): Record<string, string> {
  const cpus = os.cpus();
  return {
    cpus: `${os.availableParallelism?.() ?? cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: mib(os.totalmem()).replace('MiB', 'MiB total'),
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    loadavgAtStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / '),
  };
}

/** Logs a progress line to stderr with a UTC timestamp. */
export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
