/**
 * `dr validate --chain` once the oldest windows have expired (retention.windowDays), on S3
 * mocked as an in-memory map (test/support/fake-s3.ts): windows ending before the oldest full set
 * the chain follows are not checked (no restore reaches them; S3 may have removed part of one), so
 * a half-expired window there is no false problem, and one the chain needs still is.
 */
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { windowEntryKey, windowPrefix, WINDOW_FILE, type WindowEntry, type WindowMetadata } from '../../../lambda/format/window';
import { validateChain } from '../../../lambda/incremental/validate-chain';
import { fakeS3 } from '../../support/fake-s3';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const bucket = 'shop-backups';
const table = 'orders';
const t = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00.000Z`);
let store: Map<string, Buffer>;

/** Commits a window with no changes: window.json and the catalog entry vouching for it. */
function commit(from: string, to: string): void {
  const metadata: WindowMetadata = {
    formatVersion: 1,
    kind: 'window',
    table,
    from: t(from).toISOString(),
    to: t(to).toISOString(),
    baseSet: 'daily/x',
    exportArn: 'standin:x',
    exportFolder: 'x/',
    files: [],
    counts: { puts: 0, deletes: 0 },
    committedAt: t(to).toISOString(),
  };
  const raw = JSON.stringify(metadata);
  const w = { table, from: t(from) };
  store.set(`${windowPrefix(w)}${WINDOW_FILE}`, Buffer.from(raw));
  const entry: WindowEntry = {
    formatVersion: 1,
    kind: 'incremental',
    table,
    from: metadata.from,
    to: metadata.to,
    baseSet: 'daily/x',
    counts: metadata.counts,
    metadataSha256: createHash('sha256').update(raw).digest('hex'),
    metadataBytes: Buffer.byteLength(raw),
  };
  store.set(windowEntryKey(w), Buffer.from(JSON.stringify(entry)));
}

beforeEach(() => {
  s3Mock.reset();
  store = fakeS3(s3Mock);
  for (const [from, to] of [
    ['00:00', '00:30'],
    ['00:30', '01:00'],
    ['01:00', '01:30'],
    ['01:30', '02:00'],
  ])
    commit(from, to);
  // Half expired: S3 removed the oldest window's window.json, its catalog entry is still there.
  store.delete(`${windowPrefix({ table, from: t('00:00') })}${WINDOW_FILE}`);
});

test('mocked S3: windows before the oldest full set the chain follows are not checked; the rest is VALID', async () => {
  const report = await validateChain({ s3, bucket, table, fullSets: [t('00:45')] });
  expect(report).toMatchObject({ valid: true, windows: 3, from: t('00:30').toISOString(), to: t('02:00').toISOString(), problems: [] });
  expect(report.unreachable).toEqual({ count: 1, before: t('00:45').toISOString() });
});

test('mocked S3: a damaged window the oldest full set needs is still named', async () => {
  const report = await validateChain({ s3, bucket, table, fullSets: [t('00:15')] });
  expect(report.valid).toBe(false);
  expect(report.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/window.json cannot be read/) })]);
  expect(report.unreachable).toBeUndefined();
});
