/**
 * An independent, minimal reader of DynamoDB's documented export format (DYNAMODB_JSON + GZIP),
 * used by the tests to check the engine's output item by item. It shares no code with the
 * engine: it follows the AWS documentation only.
 *
 * <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json  -> manifestFilesS3Key, itemCount
 * manifest-files.json: one JSON object per line {itemCount, md5Checksum, etag, dataFileS3Key}
 * data/*.json.gz: gzip of lines {"Item":{...}}
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** What the reader found in one export folder. */
export interface ReadExport {
  readonly summary: Record<string, unknown> & { itemCount: number; manifestFilesS3Key: string; outputFormat: string };
  readonly files: { itemCount: number; md5Checksum: string; etag: string; dataFileS3Key: string }[];
  /** Items as DynamoDB JSON (as in the files). */
  readonly items: Record<string, unknown>[];
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Finds the single `manifest-summary.json` under `<tablePrefix>/AWSDynamoDB/`. */
export async function findManifestSummary(s3: S3Client, bucket: string, tablePrefix: string): Promise<string> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${tablePrefix}/AWSDynamoDB/`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('/manifest-summary.json')) found.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (found.length !== 1) throw new Error(`expected one manifest-summary.json under ${tablePrefix}/AWSDynamoDB/, found ${found.length}`);
  return found[0];
}

/** Reads one export, checking md5 of every data file and item counts against the manifests. */
export async function readExport(s3: S3Client, bucket: string, summaryKey: string): Promise<ReadExport> {
  const summary = JSON.parse((await getBytes(s3, bucket, summaryKey)).toString('utf8'));
  if (summary.outputFormat !== 'DYNAMODB_JSON') throw new Error(`outputFormat ${summary.outputFormat}`);
  const manifestLines = (await getBytes(s3, bucket, summary.manifestFilesS3Key))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const files = manifestLines.map((l) => JSON.parse(l));
  const items: Record<string, unknown>[] = [];
  for (const f of files) {
    const body = await getBytes(s3, bucket, f.dataFileS3Key);
    const md5 = createHash('md5').update(body).digest('base64');
    if (md5 !== f.md5Checksum) throw new Error(`md5 mismatch for ${f.dataFileS3Key}: manifest ${f.md5Checksum}, object ${md5}`);
    const lines = gunzipSync(body)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    if (lines.length !== f.itemCount) throw new Error(`${f.dataFileS3Key}: manifest says ${f.itemCount} items, file has ${lines.length}`);
    for (const line of lines) {
      const parsed = JSON.parse(line);
      if (!parsed.Item || Object.keys(parsed).length !== 1) throw new Error(`line is not {"Item":{...}}: ${line.slice(0, 80)}`);
      items.push(parsed.Item);
    }
  }
  if (items.length !== summary.itemCount) throw new Error(`summary says ${summary.itemCount} items, data files hold ${items.length}`);
  return { summary, files, items };
}
