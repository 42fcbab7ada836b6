/**
 * A hand-made fixture in AWS's native DynamoDB export layout (ExportTableToPointInTime,
 * DYNAMODB_JSON, GZIP), written to a (local) S3 bucket:
 *
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-summary.json   (+ .checksum, hex md5)
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-files.json     (+ .checksum; JSON lines)
 *   <prefix>/AWSDynamoDB/<exportId>/data/<26 random chars>.json.gz
 *
 * Differences from the scan engine's output, on purpose: an export id of AWS's form with a
 * random suffix, data file names like AWS's, `dataFileS3Key` / `manifestFilesS3Key` RELATIVE to
 * the prefix (the form AWS's documentation shows; the reader accepts full keys too), md5Checksum
 * base64 plus a multipart-looking etag, no sha256 anywhere and no metadata.json.
 * `writeNativeBackupSet` then completes it the way the export finalizer does (metadata.json from
 * the export's manifests).
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildMetadata } from '../../lambda/backup/backup';
import { exportLine } from '../../lambda/format/dynamodb-json';
import { tableRecordFromNativeExport } from '../../lambda/backup/export-engine';
import { BackupMetadata, METADATA_FILE, TableSchema, Tier, backupIdFor, backupSetPrefix, tableExportPrefix } from '../../lambda/format/backup-set';
import { putJson } from '../../lambda/store/s3-io';

/** Varied items: every attribute type DynamoDB JSON has. Key: pk (S) + sk (N). */
export function makeItems(n: number, tag = 'item'): Record<string, AttributeValue>[] {
  return Array.from({ length: n }, (_, i) => ({
    pk: { S: `${tag}#${i % 37}` },
    sk: { N: String(i) },
    name: { S: `${tag} ${i} ✓` },
    price: { N: `${i}.${(i % 9) + 1}` },
    blob: { B: Buffer.from([i % 256, 1, 2, 3]) },
    tags: { SS: [`t${i % 3}`, `u${i % 5}`] },
    nums: { NS: ['1', String(i + 2)] },
    nested: { M: { a: { L: [{ S: 'x' }, { N: '1' }, { BOOL: i % 2 === 0 }] }, n: { NULL: true } } },
    ...(i % 4 === 0 ? { ttl: { N: String(1_900_000_000 + i) } } : {}),
  }));
}

/** Schema of the tables built from {@link makeItems}. */
export const FIXTURE_SCHEMA: TableSchema = {
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
    { AttributeName: 'name', AttributeType: 'S' },
  ],
  globalSecondaryIndexes: [{ IndexName: 'byName', KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
  localSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
  ttlAttribute: 'ttl',
};

const AWS_NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz234567';
const awsName = (len: number) => Array.from(randomBytes(len), (b) => AWS_NAME_CHARS[b % 32]).join('');

/** What {@link writeNativeExport} wrote. */
export interface NativeExportFixture {
  readonly prefix: string;
  readonly exportId: string;
  /** `<prefix>/AWSDynamoDB/<exportId>/` */
  readonly exportFolder: string;
  readonly summaryKey: string;
  readonly dataKeys: string[];
  readonly itemCount: number;
}

/** Writes a native-layout export of `items` under `prefix`, in `files` data files. */
export async function writeNativeExport(
  s3: S3Client,
  bucket: string,
  prefix: string,
  table: string,
  items: Record<string, AttributeValue>[],
  files = 3,
): Promise<NativeExportFixture> {
  const exportTime = new Date(Date.UTC(2026, 10, 20, 3, 0, 0));
  const exportId = `${String(exportTime.getTime()).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
  const rel = `AWSDynamoDB/${exportId}/`;
  const exportFolder = `${prefix}/${rel}`;
  const lines: string[] = [];
  const dataKeys: string[] = [];
  let billed = 0;
  for (let f = 0; f < files; f++) {
    const part = items.filter((_, i) => i % files === f);
    const text = part.map((it) => exportLine(it)).join('');
    billed += Buffer.byteLength(text);
    const body = gzipSync(text);
    const name = `data/${awsName(26)}.json.gz`;
    dataKeys.push(`${exportFolder}${name}`);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${exportFolder}${name}`, Body: body }));
    const md5 = createHash('md5').update(body);
    lines.push(
      JSON.stringify({ itemCount: part.length, md5Checksum: md5.copy().digest('base64'), etag: `${md5.digest('hex')}-1`, dataFileS3Key: `${rel}${name}` }),
    );
  }
  const filesBody = `${lines.join('\n')}\n`;
  await put(s3, bucket, `${exportFolder}manifest-files.json`, filesBody);
  await put(s3, bucket, `${exportFolder}manifest-files.checksum`, createHash('md5').update(filesBody).digest('hex'));
  const summary = {
    version: '2020-06-30',
    exportArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/export/${exportId}`,
    startTime: new Date(exportTime.getTime() + 60_000).toISOString(),
    endTime: new Date(exportTime.getTime() + 600_000).toISOString(),
    tableArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`,
    tableId: randomBytes(16).toString('hex'),
    exportTime: exportTime.toISOString(),
    s3Bucket: bucket,
    s3Prefix: prefix,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${rel}manifest-files.json`,
    billedSizeBytes: billed,
    itemCount: items.length,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
  };
  const summaryBody = JSON.stringify(summary);
  await put(s3, bucket, `${exportFolder}manifest-summary.json`, summaryBody);
  await put(s3, bucket, `${exportFolder}manifest-summary.checksum`, createHash('md5').update(summaryBody).digest('hex'));
  return { prefix, exportId, exportFolder, summaryKey: `${exportFolder}manifest-summary.json`, dataKeys, itemCount: items.length };
}

async function put(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/**
 * A complete backup set whose table went through the native export engine: the native export
 * under `backups/<tier>/<backupId>/<table>`, completed exactly as the export finalizer does
 * (tableRecordFromNativeExport reads every file for sha256, buildMetadata, metadata.json last).
 */
export async function writeNativeBackupSet(
  s3: S3Client,
  bucket: string,
  o: { tier: Tier; started: Date; table: string; items: Record<string, AttributeValue>[]; schema?: TableSchema },
): Promise<{ metadata: BackupMetadata; fixture: NativeExportFixture }> {
  const backupId = backupIdFor(o.started);
  const s3Prefix = tableExportPrefix(o.tier, backupId, o.table);
  const fixture = await writeNativeExport(s3, bucket, s3Prefix, o.table, o.items);
  const schema = o.schema ?? FIXTURE_SCHEMA;
  const record = await tableRecordFromNativeExport(
    s3,
    bucket,
    { table: o.table, exportArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${o.table}/export/${fixture.exportId}`, s3Prefix, schema },
    { ExportManifest: `AWSDynamoDB/${fixture.exportId}/manifest-summary.json`, ExportStatus: 'COMPLETED' },
  );
  const metadata = buildMetadata({
    backupId,
    tier: o.tier,
    started: o.started,
    completed: new Date(o.started.getTime() + 600_000),
    exportTime: o.started,
    tables: [o.table],
    records: { [o.table]: record },
    source: { region: 'eu-west-1', bucket },
  });
  await putJson(s3, bucket, `${backupSetPrefix(o.tier, backupId)}${METADATA_FILE}`, metadata);
  return { metadata, fixture };
}
