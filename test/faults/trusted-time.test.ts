/**
 * Fault (issue #23, defects 1 and 12): a recovery point never lies. The schedule's time is a
 * slot's identity, not "data as of": a time days ahead or days late is refused unless the
 * operator asks for a backfill, a backfilled set's recovery point is when its data was read, and
 * `latest`, `--before` and `dr doctor` go by that recovery point. Impossible dates are refused,
 * and an operator time without a zone is read as UTC on every laptop, said on stderr.
 *
 * Against DynamoDB Local and s3rver: the backup handler writes real sets, the catalog reads them.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createSlotTable, SlotStore, truncateTime } from '../../lambda/backup/slot';
import { backupIdFor, backupSetPrefix } from '../../lambda/format/backup-set';
import { latestCompleteSet } from '../../lambda/store/catalog';
import { backupAgeCheck } from '../../cli/doctor/data-checks';
import type { RegionClients } from '../../cli/doctor/target';
import { parseTime } from '../../cli/list';
import { loadConfig } from '../../lib/config';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);
const bucket = 'trusted-time-faults';
const stateTable = 'trusted-time-state';
const table = 'tt_orders';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let handler: typeof import('../../lambda/handlers/backup').handler;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A slot time `ms` from now, truncated to the minute (as EventBridge sends it). */
const slotAt = (ms: number) => new Date(Math.floor((Date.now() + ms) / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  Object.assign(process.env, { APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: table, ENGINE: 'scan', SCAN_SEGMENTS: '2', STATE_TABLE: stateTable });
  await createSlotTable(dynamodb, stateTable);
  await createTestTable(dynamodb, table);
  await batchWriteAll(
    dynamodb,
    table,
    Array.from({ length: 50 }, (_, i) => ({ pk: { S: `o-${i}` }, total: { N: String(i) } })),
  );
  handler = (await import('../../lambda/handlers/backup')).handler;
});

/** Runs the handler with its log lines and EMF kept off the test output. */
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await fn();
  } finally {
    out.mockRestore();
    log.mockRestore();
  }
}

const keysOfSlot = async (tier: 'daily' | 'weekly', time: string) =>
  (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: backupSetPrefix(tier, backupIdFor(new Date(time))) }))).KeyCount ?? 0;

describe('slot times: an identity inside a sane window, never the recovery point', () => {
  it('refuses a slot time days ahead of the clock before claiming anything: no set, and the real run of that slot is not pre-empted', async () => {
    const ahead = slotAt(3 * DAY);
    await expect(quiet(() => handler({ tier: 'weekly', time: ahead }))).rejects.toThrow(
      /is 72\.0 h ahead of this run's clock .* never delivers a slot more than 5 min early/,
    );
    expect(await keysOfSlot('weekly', ahead)).toBe(0);
    // Nothing claimed: when that slot's real time comes, its run finds it free.
    const slots = new SlotStore({ dynamodb, tableName: stateTable });
    expect(await slots.get({ kind: 'backup', scope: 'weekly', time: truncateTime(new Date(ahead)) })).toBeUndefined();
  });

  it('refuses a slot two days late unless the operator asks for a backfill, and says how', async () => {
    const late = slotAt(-2 * DAY);
    await expect(quiet(() => handler({ tier: 'weekly', time: late }))).rejects.toThrow(
      /is 48\.0 h behind this run's clock .* send the event again with "backfill": true/,
    );
    expect(await keysOfSlot('weekly', late)).toBe(0);
  });

  it('a backfilled set is named after its slot but its recovery point is when its data was read; --before a breach in between does not return it', async () => {
    const scheduled = slotAt(-HOUR);
    await quiet(() => handler({ tier: 'daily', time: scheduled }));
    const breach = new Date();
    const late = slotAt(-2 * DAY);
    const readFrom = Date.now();
    const res = await quiet(() => handler({ tier: 'daily', time: late, backfill: true }));
    expect(res).toMatchObject({ status: 'complete', backupId: backupIdFor(new Date(late)) });
    const backfilled = await latestCompleteSet({ s3, bucket, tier: 'daily' });
    // The newest data is the backfilled set's (read last), whatever its slot says.
    expect(backfilled?.backupId).toBe(backupIdFor(new Date(late)));
    expect(Date.parse(backfilled!.metadata!.exportTime)).toBeGreaterThanOrEqual(readFrom);
    // The last set before the breach is the scheduled one: the backfill's data is post-breach.
    const beforeBreach = await latestCompleteSet({ s3, bucket, tier: 'daily', before: breach });
    expect(beforeBreach?.backupId).toBe(backupIdFor(new Date(scheduled)));
  });
});

describe('dr doctor never shows a negative age', () => {
  it('fails the RPO check for a set whose recovery point is after the clock, naming the clock or a forged set', async () => {
    const newest = await latestCompleteSet({ s3, bucket });
    const point = new Date(newest!.metadata!.exportTime);
    const clients = { region: 'eu-west-1', s3 } as unknown as RegionClients;
    const res = await backupAgeCheck(clients, bucket, loadConfig(), new Date(point.getTime() - DAY));
    expect(res.status).toBe('FAIL');
    expect(JSON.stringify(res)).not.toMatch(/-\d+ ?min/);
    expect(JSON.stringify(res)).toMatch(/cannot hold data from the future.*check this machine's clock/);
  });
});

describe('operator times (--before, --time): one reading everywhere', () => {
  it.each([
    ['2026-02-30T00:00:00Z', /has day 30: 2026-02 has 28 days/],
    ['2026-11-23T24:00:00Z', /has hour 24: hours run 00 to 23/],
    ['0000-01-01T00:00:00Z', /has year 0000/],
    ['2026-13-01T00:00:00Z', /has month 13/],
  ])('refuses the impossible date %s instead of rolling it over', (value, why) => {
    expect(() => parseTime('--before', value, () => undefined)).toThrow(why);
  });

  it('prints a valid date back as it was given', () => {
    expect(parseTime('--before', '2028-02-29T23:59:59Z', () => undefined).toISOString()).toBe('2028-02-29T23:59:59.000Z');
    expect(parseTime('--before', '2026-11-23T11:15:00+09:00', () => undefined).toISOString()).toBe('2026-11-23T02:15:00.000Z');
  });

  it('reads a time without a zone as UTC in Tokyo as in UTC, and says so', () => {
    const saved = process.env.TZ;
    const said: string[] = [];
    try {
      process.env.TZ = 'Asia/Tokyo';
      const tokyo = parseTime('--before', '2026-11-23T02:15', (l) => said.push(l));
      process.env.TZ = 'UTC';
      const utc = parseTime('--before', '2026-11-23T02:15', () => undefined);
      expect(tokyo.toISOString()).toBe('2026-11-23T02:15:00.000Z');
      expect(utc.toISOString()).toBe(tokyo.toISOString());
      expect(said).toEqual(['--before 2026-11-23T02:15 has no zone: read as UTC, 2026-11-23T02:15:00.000Z (add Z or an offset such as +09:00 to say so)']);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
