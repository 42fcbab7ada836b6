/**
 * The catalog costs O(sets): the S3 requests of `dr list` (the bucket check and the listing) and
 * of `latest` are the same for sets of 1 file and sets of 300 files, while listing every file
 * (`--scan`, what finding sets cost before the catalog) grows with the files. Real s3rver,
 * requests counted by a middleware on the client.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { countingClient, writeSyntheticSets } from '../../bench/catalog-figure';
import { findLatestSet, listCatalog } from '../../lambda/store/catalog';
import { assertBackupBucket } from '../../lambda/validate/validate';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);

const local = useLocalServers();
const SETS = 4;
/** 4 x 300 data files: more than the 1,000 keys of one listing page. */
const shapes = [1, 300];

async function requests(bucket: string, fn: (s3: ReturnType<typeof countingClient>['client']) => Promise<unknown>): Promise<Record<string, number>> {
  const c = countingClient();
  try {
    await fn(c.client);
    return { ...c.counts };
  } finally {
    c.client.destroy();
  }
}

const perShape: Record<number, { list: Record<string, number>; scan: Record<string, number>; latest: Record<string, number>; sets: number }> = {};

beforeAll(async () => {
  for (const files of shapes) {
    const bucket = `catalog-cost-${files}`;
    await local.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await writeSyntheticSets(local.s3, bucket, { sets: SETS, filesPerSet: files });
    let sets = 0;
    const list = await requests(bucket, async (s3) => {
      await assertBackupBucket(s3, bucket);
      sets = (await listCatalog({ s3, bucket })).sets.filter((s) => s.status === 'complete').length;
    });
    const scan = await requests(bucket, (s3) => listCatalog({ s3, bucket, fullScan: true }));
    const latest = await requests(bucket, (s3) => findLatestSet({ s3, bucket }));
    perShape[files] = { list, scan, latest, sets };
  }
});

test('dr list finds every set, complete', () => {
  expect(perShape[1].sets).toBe(SETS);
  expect(perShape[300].sets).toBe(SETS);
});

test('dr list sends the same S3 requests for 1 and for 300 files per set', () => {
  expect(perShape[300].list).toEqual(perShape[1].list);
  // One small GET and one HEAD per set; a bucket check; the tier with sets: its entries and two
  // bounded scans; each of the three empty tiers: its (empty) entries and one scan.
  expect(perShape[1].list).toEqual({ ListObjectsV2Command: 1 + 3 + 3 * 2, GetObjectCommand: SETS, HeadObjectCommand: SETS });
});

test('latest reads one set, not every set, whatever the files per set', () => {
  expect(perShape[300].latest).toEqual(perShape[1].latest);
  expect(perShape[1].latest.GetObjectCommand).toBe(2);
});

test('listing every file (--scan, the cost before the catalog) grows with the files per set', () => {
  expect(perShape[300].scan.ListObjectsV2Command).toBeGreaterThan(perShape[1].scan.ListObjectsV2Command);
});
