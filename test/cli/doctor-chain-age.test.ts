/**
 * `dr doctor`'s chain age check per chained table (cli/doctor/chain-age.ts), mocked S3: the newest
 * replicated window (`_latest.json` in the replica bucket) against the worst case of the schedule
 * and the RPO. The example shop's orders: RPO 60 min, 30-minute windows (worst case 60); a variant
 * with 15-minute windows (worst case 45) has a WARN band from 45 to 60 minutes.
 */
import * as path from 'node:path';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { chainAgeCheck } from '../../cli/doctor/chain-age';
import type { RegionClients } from '../../cli/doctor/target';
import { loadConfig, type DrConfig } from '../../lib/config';
import { body, latestWindowJson } from '../support/doctor-fixture';

const s3 = mockClient(S3Client);
const recovery = { region: 'eu-central-1', s3: new S3Client({ region: 'eu-central-1' }) } as unknown as RegionClients;
const NOW = new Date('2026-12-01T09:00:00.000Z');
const ctx = { recovery, replicaBucket: 'shop-replica', primaryRegion: 'eu-west-1', now: NOW };
const example = loadConfig(path.join(__dirname, '..', '..', 'dr.config.json'));
const orders = (c: DrConfig) => c.tables.find((t) => t.name === 'orders')!;
const fifteen: DrConfig = { ...example, tables: example.tables.map((t) => (t.name === 'orders' ? { ...t, incremental: { intervalMinutes: 15 } } : t)) };
const windowEndingMinutesAgo = (m: number) =>
  s3.on(GetObjectCommand).callsFake(() => body(latestWindowJson('orders', new Date(NOW.getTime() - m * 60_000).toISOString())));

beforeEach(() => s3.reset());

test('PASS: the newest replicated window is within the worst case of the schedule (mocked)', async () => {
  windowEndingMinutesAgo(40);
  expect(await chainAgeCheck(ctx, example, orders(example))).toMatchObject({
    status: 'PASS',
    detail: "newest replicated window ends 2026-12-01T08:20:00.000Z, 40 min old (RPO 1 h 0 min; the 30-minute schedule's worst case 1 h 0 min)",
  });
  expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: 'shop-replica', Key: 'backups/incremental/orders/_latest.json' });
});

test('WARN: past the worst case but within the RPO, the chain lags (mocked)', async () => {
  windowEndingMinutesAgo(50);
  expect(await chainAgeCheck(ctx, fifteen, orders(fifteen))).toMatchObject({
    status: 'WARN',
    detail: expect.stringMatching(/50 min old .*worst case 45 min\): the chain lags/),
  });
});

test('FAIL: past the RPO, with the fix naming the export function and dr list (mocked)', async () => {
  windowEndingMinutesAgo(75);
  expect(await chainAgeCheck(ctx, example, orders(example))).toMatchObject({
    status: 'FAIL',
    detail: expect.stringMatching(/1 h 15 min old .*would lose more data than the RPO allows/),
    fix: expect.stringMatching(/incremental-export function's log group in eu-west-1.*dr --region eu-central-1 --bucket shop-replica list/),
  });
});

test('FAIL: no window in the replica, the fix says how the chain starts (mocked)', async () => {
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
  expect(await chainAgeCheck(ctx, example, orders(example))).toMatchObject({
    status: 'FAIL',
    detail: expect.stringMatching(/no window of orders in s3:\/\/shop-replica/),
    fix: expect.stringMatching(/take one \(dr --region eu-west-1 backup\)/),
  });
});

test("FAIL: a window ending after this machine's clock (mocked)", async () => {
  windowEndingMinutesAgo(-30);
  expect(await chainAgeCheck(ctx, example, orders(example))).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/after this machine's clock/) });
});
