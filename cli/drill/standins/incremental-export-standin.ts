/**
 * LOCAL STAND-IN for DynamoDB's incremental export (ExportTableToPointInTime with
 * `ExportType: INCREMENTAL_EXPORT`, and DescribeExport of such an export). DynamoDB Local has no
 * exports, but it has Streams: this stand-in reads the table's stream (NEW_AND_OLD_IMAGES) and
 * writes each requested window in AWS's documented incremental export layout and line format
 *
 *   <S3Prefix>/AWSDynamoDB/<exportId>/manifest-summary.json, manifest-files.json, data/<name>.json.gz
 *   {"Metadata":{"WriteTimestampMicros":{"N":"..."}},"Keys":{...},"OldImage":{...},"NewImage":{...}}
 *
 * one line per key changed in [ExportFromTime, ExportToTime), compacted to the key's last change
 * (OldImage: the item at the window's start; NewImage absent: deleted), so the window exporter
 * and finalizer in lambda/incremental run UNCHANGED against it (it is installed as middleware on
 * the DynamoDB client, like the import / bulk put stand-in).
 *
 * Time: a record's write time is the stand-in's clock when `capture()` read it from the stream
 * (DynamoDB Local's ApproximateCreationDateTime is real time to the second; the drill runs a
 * simulated day, so it captures after each burst of writes at the simulated time). An export
 * request captures first, so nothing written before it is missed.
 *
 * ClientToken: the same token and input return the same export; the same token with other input
 * is IdempotentParameterMismatchException, as DynamoDB documents. `failNext(table)` makes the next
 * export of a table end FAILED (the fault tests). It is a stand-in, not an emulator of DynamoDB's
 * speed or limits; it lives in cli/drill/ and code that runs on AWS (lambda/) never imports it.
 */
import { gzipSync } from 'node:zlib';
import {
  DescribeTableCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ExportDescription,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { toJsonItem } from '../../../lambda/format/dynamodb-json';
import { md5Base64, putText } from '../../../lambda/store/s3-io';

const NAME = 'incrementalExportStandIn';
/** GetRecords calls per shard per capture: a bound, far above what a drill writes between captures. */
const MAX_PAGES = 10_000;

type Item = Record<string, AttributeValue>;

/** One change read from the stream, stamped with the stand-in's clock. */
interface Change {
  readonly table: string;
  readonly micros: number;
  readonly keys: Item;
  readonly oldImage?: Item;
  readonly newImage?: Item;
}

/** What the stand-in did, for the drill report and tests. */
export interface IncrementalExportStandIn {
  /** Every request it answered: command name and input. */
  readonly calls: { readonly command: string; readonly input: unknown }[];
  /** Reads the stream records written since the last capture and stamps them with the clock. */
  capture(): Promise<number>;
  /** The next export of `table` ends FAILED. */
  failNext(table: string): void;
  /** Removes the stand-in from the client. */
  dispose(): void;
}

/** Options of {@link installIncrementalExportStandIn}. */
export interface IncrementalExportStandInOptions {
  readonly dynamodb: DynamoDBClient;
  /** A Streams client on the same DynamoDB Local endpoint. */
  readonly streams: DynamoDBStreamsClient;
  readonly s3: S3Client;
  /** The stand-in's clock: write time of captured records, and "now" for ExportToTime checks. @default - real time */
  readonly clock?: () => Date;
  /** Tables whose streams `capture()` reads from the start (tables exported are added). @default - none */
  readonly tables?: readonly string[];
}

/** Installs the stand-in on `dynamodb`; tables to be exported need a stream with NEW_AND_OLD_IMAGES. */
export function installIncrementalExportStandIn(o: IncrementalExportStandInOptions): IncrementalExportStandIn {
  const clock = o.clock ?? (() => new Date());
  const calls: IncrementalExportStandIn['calls'] = [];
  const changes: Change[] = [];
  const cursors = new Map<string, string>(); // streamArn/shardId -> last sequence number read
  const exports = new Map<string, { token: string; input: string; description: ExportDescription }>();
  const failing = new Set<string>();
  let exportCount = 0;

  const tableNameOf = (arn: string | undefined) => (arn ?? '').split('/').at(-1) ?? '';

  async function captureTable(table: string): Promise<number> {
    const d = await o.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = d.Table?.LatestStreamArn;
    if (!streamArn || d.Table?.StreamSpecification?.StreamViewType !== 'NEW_AND_OLD_IMAGES')
      throw new Error(`incremental export stand-in: table "${table}" needs a stream with NEW_AND_OLD_IMAGES (StreamSpecification) to stand in for exports`);
    const shards = (await o.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    let read = 0;
    const micros = clock().getTime() * 1000;
    for (const shard of shards) {
      // From the shard's start the first time, then after the last record read: a simulated day
      // captures after every burst of writes, and re-reading the whole shard each time made the
      // drill's scenario 5 quadratic in its writes. Records at or before the cursor are skipped
      // all the same (by sequence number).
      const cursorKey = `${streamArn}/${shard.ShardId}`;
      const last = cursors.get(cursorKey);
      const after = BigInt(last ?? '0');
      let iterator = (
        await o.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ...(last ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: last } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
      ).ShardIterator;
      for (let page = 0; iterator && page < MAX_PAGES; page++) {
        const res = await o.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const records: _Record[] = res.Records ?? [];
        for (const r of records) {
          const s = r.dynamodb!;
          if (BigInt(s.SequenceNumber!) <= after) continue;
          changes.push({
            table,
            micros,
            keys: s.Keys as Item,
            oldImage: s.OldImage as Item | undefined,
            newImage: r.eventName === 'REMOVE' ? undefined : (s.NewImage as Item),
          });
          cursors.set(cursorKey, s.SequenceNumber!);
          read++;
        }
        if (records.length === 0) break; // an open shard answers empty pages forever
        iterator = res.NextShardIterator;
      }
    }
    return read;
  }

  const tables = new Set<string>(o.tables ?? []);
  async function capture(): Promise<number> {
    let n = 0;
    for (const t of tables) n += await captureTable(t);
    return n;
  }

  /** The window's lines, compacted per key to its last change; OldImage from its first. */
  function windowLines(table: string, fromMicros: number, toMicros: number): string[] {
    const byKey = new Map<string, { first: Change; last: Change }>();
    for (const c of changes) {
      if (c.table !== table || c.micros < fromMicros || c.micros >= toMicros) continue;
      const k = JSON.stringify(Object.entries(toJsonItem(c.keys)).sort(([a], [b]) => a.localeCompare(b)));
      const seen = byKey.get(k);
      byKey.set(k, seen ? { first: seen.first, last: c } : { first: c, last: c });
    }
    return [...byKey.values()].map(({ first, last }) =>
      JSON.stringify({
        Metadata: { WriteTimestampMicros: { N: String(last.micros) } },
        Keys: toJsonItem(last.keys),
        ...(first.oldImage ? { OldImage: toJsonItem(first.oldImage) } : {}),
        ...(last.newImage ? { NewImage: toJsonItem(last.newImage) } : {}),
      }),
    );
  }

  async function startExport(input: ExportTableToPointInTimeCommandInput): Promise<{ ExportDescription: ExportDescription }> {
    const table = tableNameOf(input.TableArn);
    tables.add(table);
    const inputJson = JSON.stringify(input);
    const known = input.ClientToken ? [...exports.values()].find((e) => e.token === input.ClientToken) : undefined;
    if (known) {
      if (known.input !== inputJson) throw Object.assign(new Error('ClientToken reused with other input'), { name: 'IdempotentParameterMismatchException' });
      return { ExportDescription: known.description };
    }
    const spec = input.IncrementalExportSpecification;
    const from = spec?.ExportFromTime;
    const to = spec?.ExportToTime;
    const now = clock();
    if (!(from instanceof Date) || !(to instanceof Date))
      throw Object.assign(new Error('ExportFromTime and ExportToTime are required'), { name: 'ValidationException' });
    const span = to.getTime() - from.getTime();
    if (span < 15 * 60_000 || span > 24 * 3600_000)
      throw Object.assign(new Error('the export period must be between 15 minutes and 24 hours'), { name: 'InvalidExportTimeException' });
    if (to.getTime() > now.getTime()) throw Object.assign(new Error('ExportToTime is in the future'), { name: 'InvalidExportTimeException' });
    await captureTable(table);
    exportCount++;
    const exportId = `${String(now.getTime()).padStart(14, '0')}-standin${String(exportCount).padStart(4, '0')}`;
    const arn = `${input.TableArn}/export/${exportId}`;
    const folder = `${(input.S3Prefix ?? '').replace(/\/+$/, '')}/AWSDynamoDB/${exportId}/`;
    const failed = failing.delete(table);
    const description: ExportDescription = {
      ExportArn: arn,
      ExportStatus: failed ? 'FAILED' : 'COMPLETED',
      ExportType: 'INCREMENTAL_EXPORT',
      TableArn: input.TableArn,
      S3Bucket: input.S3Bucket,
      S3Prefix: input.S3Prefix,
      ClientToken: input.ClientToken,
      StartTime: now,
      EndTime: now,
      IncrementalExportSpecification: spec,
      ...(failed ? { FailureCode: 'StandInFault', FailureMessage: 'failure injected by the stand-in (failNext)' } : {}),
    };
    if (!failed) {
      const lines = windowLines(table, from.getTime() * 1000, to.getTime() * 1000);
      const body = gzipSync(Buffer.from(lines.length ? `${lines.join('\n')}\n` : ''));
      const dataKey = `${folder}data/standin${String(exportCount).padStart(22, '0')}.json.gz`;
      await o.s3.send(new PutObjectCommand({ Bucket: input.S3Bucket, Key: dataKey, Body: body }));
      const filesBody = `${JSON.stringify({ itemCount: lines.length, md5Checksum: md5Base64(body), dataFileS3Key: dataKey })}\n`;
      await putText(o.s3, input.S3Bucket!, `${folder}manifest-files.json`, filesBody);
      const summary = {
        version: '2023-08-01',
        exportArn: arn,
        startTime: now.toISOString(),
        endTime: now.toISOString(),
        tableArn: input.TableArn,
        exportFromTime: from.toISOString(),
        exportToTime: to.toISOString(),
        s3Bucket: input.S3Bucket,
        s3Prefix: input.S3Prefix,
        manifestFilesS3Key: `${folder}manifest-files.json`,
        itemCount: lines.length,
        outputFormat: 'DYNAMODB_JSON',
        outputView: 'NEW_AND_OLD_IMAGES',
        exportType: 'INCREMENTAL_EXPORT',
      };
      await putText(o.s3, input.S3Bucket!, `${folder}manifest-summary.json`, JSON.stringify(summary));
    }
    exports.set(arn, { token: input.ClientToken ?? arn, input: inputJson, description });
    // The first answer is IN_PROGRESS, as DynamoDB's is; DescribeExport then reports the outcome.
    return { ExportDescription: { ...description, ExportStatus: 'IN_PROGRESS' } };
  }

  const handlers: Record<string, (input: never) => Promise<unknown>> = {
    ExportTableToPointInTimeCommand: (input: ExportTableToPointInTimeCommandInput) => startExport(input),
    DescribeExportCommand: async (input: { ExportArn?: string }) => {
      const e = exports.get(input.ExportArn ?? '');
      if (!e) throw Object.assign(new Error(`export ${input.ExportArn} not found`), { name: 'ExportNotFoundException' });
      return { ExportDescription: e.description };
    },
  };

  o.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      const handler = handlers[command];
      const incremental =
        command !== 'ExportTableToPointInTimeCommand' || (args.input as ExportTableToPointInTimeCommandInput).ExportType === 'INCREMENTAL_EXPORT';
      if (!handler || !incremental) return next(args);
      calls.push({ command: command.replace(/Command$/, ''), input: args.input });
      const output = await handler(args.input as never);
      return { output: { ...(output as object), $metadata: { httpStatusCode: 200 } }, response: {} } as never;
    },
    { step: 'initialize', name: NAME, override: true },
  );
  return {
    calls,
    capture,
    failNext: (table) => failing.add(table),
    dispose: () => o.dynamodb.middlewareStack.remove(NAME),
  };
}
