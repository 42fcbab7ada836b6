/**
 * A bucket's versions as a stream of pages of whole keys: ListObjectVersions pages (up to 1,000
 * entries each) are regrouped by key, and a key cut by a page boundary is carried into the next
 * page, so memory holds one page and one key's versions however large the bucket grows.
 *
 * S3 lists keys in UTF-8 binary order and each key's versions newest first; versions and delete
 * markers come in two arrays, merged back here by time.
 */
import { ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { KeyVersions, VersionEntry } from './types';

/** One page of whole keys. */
export interface KeyPage {
  readonly keys: readonly KeyVersions[];
  /** The last key of the page: a rerun resumes listing after it (KeyMarker). */
  readonly lastKey: string;
}

/** Options of {@link keyPages}. */
export interface KeyPagesOptions {
  readonly prefix?: string;
  /** List only keys after this one (a resumed run). */
  readonly afterKey?: string;
  /** @default 1000 - entries per request (S3's maximum) */
  readonly pageSize?: number;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '');

/** The entries of one response, grouped by key in listing order, each key newest first. */
export function entriesOf(page: Pick<ListObjectVersionsCommandOutput, 'Versions' | 'DeleteMarkers'>): VersionEntry[] {
  const out: VersionEntry[] = [];
  for (const v of page.Versions ?? [])
    out.push({
      key: v.Key!,
      versionId: v.VersionId ?? 'null',
      lastModified: v.LastModified!,
      isLatest: v.IsLatest === true,
      deleteMarker: false,
      size: v.Size ?? 0,
      etag: unquote(v.ETag),
    });
  for (const m of page.DeleteMarkers ?? [])
    out.push({
      key: m.Key!,
      versionId: m.VersionId ?? 'null',
      lastModified: m.LastModified!,
      isLatest: m.IsLatest === true,
      deleteMarker: true,
      size: 0,
      etag: '',
    });
  return out.sort(
    (a, b) =>
      compareKeys(a.key, b.key) ||
      b.lastModified.getTime() - a.lastModified.getTime() ||
      // same second (S3 keeps milliseconds, RGW too; a tie still has one latest)
      Number(b.isLatest) - Number(a.isLatest),
  );
}

/** S3's key order: UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function group(entries: readonly VersionEntry[]): KeyVersions[] {
  const keys: KeyVersions[] = [];
  for (const e of entries) {
    const last = keys[keys.length - 1];
    if (last && last.key === e.key) (last.entries as VersionEntry[]).push(e);
    else keys.push({ key: e.key, entries: [e] });
  }
  return keys;
}

/** Pages of whole keys, in key order, one ListObjectVersions request per page. */
export async function* keyPages(s3: S3Client, bucket: string, opts: KeyPagesOptions = {}): AsyncGenerator<KeyPage> {
  let keyMarker = opts.afterKey;
  let versionIdMarker: string | undefined;
  let carry: KeyVersions | undefined;
  for (;;) {
    const res = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: opts.prefix || undefined,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        MaxKeys: opts.pageSize ?? 1000,
      }),
    );
    // S3 lists keys after KeyMarker; RGW repeats the marker key itself when no version marker is given.
    const after = opts.afterKey;
    let keys = group(after === undefined ? entriesOf(res) : entriesOf(res).filter((e) => compareKeys(e.key, after) > 0));
    if (carry) {
      if (keys[0]?.key === carry.key) keys[0] = { key: carry.key, entries: [...carry.entries, ...keys[0].entries] };
      else keys = [carry, ...keys];
      carry = undefined;
    }
    const truncated = res.IsTruncated === true && res.NextKeyMarker !== undefined;
    // The last key of a cut page may go on in the next one: hold it back.
    if (truncated) carry = keys.pop();
    if (keys.length > 0) yield { keys, lastKey: keys[keys.length - 1].key };
    if (!truncated) return;
    keyMarker = res.NextKeyMarker;
    versionIdMarker = res.NextVersionIdMarker;
  }
}
