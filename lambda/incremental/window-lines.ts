/**
 * Reading a window's data back: each line of an incremental export's gzipped data files as a
 * {@link ChangeLine}, file by file, with the stored bytes' digests once a file is read to the end
 * (commit and validate compare them; restore relies on them).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { JsonAttributeValue } from '../format/dynamodb-json';
import type { ChangeLine } from '../format/window';
import { fromJsonItem, openDataFile } from '../store/export-reader';
import type { StreamDigest } from '../store/s3-io';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one line of an incremental export (AWS's documented output); the error says what is wrong. */
export function parseChangeLine(line: string): ChangeLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  if (!isObject(v)) throw new Error('not a JSON object');
  const meta = v.Metadata;
  const ts = isObject(meta) && isObject(meta.WriteTimestampMicros) ? meta.WriteTimestampMicros.N : undefined;
  const writeMicros = typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : NaN;
  if (!Number.isSafeInteger(writeMicros)) throw new Error('Metadata.WriteTimestampMicros.N is not a whole number of microseconds');
  if (!isObject(v.Keys) || Object.keys(v.Keys).length === 0) throw new Error('Keys is missing');
  if (v.NewImage !== undefined && !isObject(v.NewImage)) throw new Error('NewImage is not an object');
  const newImage: Record<string, AttributeValue> | undefined =
    v.NewImage === undefined ? undefined : fromJsonItem(v.NewImage as Record<string, JsonAttributeValue>);
  return { writeMicros, keys: fromJsonItem(v.Keys as Record<string, JsonAttributeValue>), newImage };
}

/** One data file's changes, in chunks, and its digest once read. */
export interface ChangeFile {
  readonly chunks: AsyncIterable<ChangeLine[]>;
  /** Valid after `chunks` is exhausted. */
  digest(): StreamDigest & { readonly lines: number };
}

/** Streams one gzipped data file of a window as change lines; errors name the object and the line. */
export async function openChangeFile(s3: S3Client, bucket: string, key: string): Promise<ChangeFile> {
  const file = await openDataFile(s3, bucket, key);
  let lines = 0;
  async function* chunks(): AsyncGenerator<ChangeLine[]> {
    for await (const raw of file.chunks) {
      const out: ChangeLine[] = [];
      for (const line of raw) {
        lines++;
        try {
          out.push(parseChangeLine(line));
        } catch (e) {
          throw new Error(`s3://${bucket}/${key} line ${lines}: ${(e as Error).message} (expected an incremental export line)`);
        }
      }
      yield out;
    }
  }
  return { chunks: chunks(), digest: () => ({ ...file.digest(), lines }) };
}
