/**
 * The permissions proof for `dr restore-bucket` (issue 20): its requests, recorded while it runs
 * against the real local versioned S3 (Ceph RGW) with the example config's names (the data bucket
 * `shop-uploads-example`, its `-restored` target, the backup bucket for the journal), are each
 * evaluated as a principal holding `<app>-dr-operator` and `<app>-dr-operator-restore` against
 * the synthesized templates. Same harness as permissions.test.ts (its opening comment holds the
 * contract). Both paths run: in place (copies by VersionId, a delete marker, a multipart copy with
 * the threshold lowered) and --to another bucket.
 */
import { CreateBucketCommand, DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { backupBucketName, operatorPolicyName } from '../../lib/config';
import { restoreBucket } from '../../lambda/buckets/restore-bucket';
import { exampleConfig } from '../lib/config-fixture';
import { useVersionedS3 } from '../support/use-versioned-s3';
import { markTime } from '../support/versioned-buckets';
import { evaluateAll, mappingContext, type Verdict } from './evaluate';
import { casesOf, denied, operatorPrincipal, withoutAction } from './proof';
import { measuredRow, proofRows } from './proof-table';
import { startRecorder, toIamRequests, type SdkCall } from './recorder';
import { ACCOUNT, builtTemplates, synthesizePolicyModel, type PolicyModel } from './templates';

jest.setTimeout(300_000);

const config = exampleConfig();
const OPERATOR_POLICY = operatorPolicyName(config);
const SOURCE = config.dataBuckets[0].name;
const TARGET = `${SOURCE}-restored`;
const JOURNALS = backupBucketName(config, ACCOUNT);
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const ctx = useVersionedS3({ region: config.primary.region });
const calls: SdkCall[] = [];
const WHO = 'restore-bucket';

beforeAll(async () => {
  const s3 = ctx.s3;
  for (const b of [SOURCE, TARGET, JOURNALS]) await s3.send(new CreateBucketCommand({ Bucket: b }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: SOURCE, VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'img/a.jpg', Body: 'a', Tagging: 'k=v' }));
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'video.mp4', Body: Buffer.alloc(6 * 1024 * 1024, 1) }));
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'doc.pdf', Body: 'd' }));
  const at = await markTime(s3, SOURCE);
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'img/a.jpg', Body: 'ENCRYPTED' }));
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'video.mp4', Body: 'ENCRYPTED' }));
  await s3.send(new DeleteObjectCommand({ Bucket: SOURCE, Key: 'doc.pdf' }));
  await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'ransom.txt', Body: 'pay' }));
  const recorder = startRecorder();
  try {
    const base = { s3, bucket: SOURCE, at, journalBucket: JOURNALS, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
    await recorder.as(WHO, () => restoreBucket({ ...base, to: TARGET }));
    await recorder.as(WHO, () => restoreBucket({ ...base, confirm: true }));
  } finally {
    recorder.stop();
  }
  calls.push(...recorder.calls);
});

const evaluated = (m: PolicyModel): Promise<Verdict[]> => evaluateAll(m, casesOf(m, calls, WHO, operatorPrincipal(OPERATOR_POLICY, WHO)));
/** Against the shipped templates the verdicts are simulated once (the proof test and the table's). */
let shipped: Promise<Verdict[]> | undefined;
const verdicts = (m: PolicyModel): Promise<Verdict[]> => (m === model ? (shipped ??= evaluated(m)) : evaluated(m));

describe(`dr restore-bucket's recorded requests against ${OPERATOR_POLICY} (real local versioned S3)`, () => {
  test('both runs sent every kind of request restore-bucket makes', () => {
    expect(new Set(calls.filter((c) => c.who === WHO).map((c) => c.operation))).toEqual(
      new Set([
        'GetObject',
        'PutObject',
        'GetBucketVersioning',
        'GetBucketLifecycleConfiguration',
        'ListObjectsV2',
        'GetObjectLockConfiguration',
        'GetBucketEncryption',
        'ListObjectVersions',
        'CopyObject',
        'HeadObject',
        'GetObjectTagging',
        'CreateMultipartUpload',
        'UploadPartCopy',
        'CompleteMultipartUpload',
        'DeleteObject',
      ]),
    );
  });

  test('every request is allowed', async () => {
    const v = await verdicts(model);
    expect(v.length).toBeGreaterThanOrEqual(40);
    expect(denied(v)).toEqual([]);
  });

  test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
    const row = measuredRow({
      principal: `operator (${OPERATOR_POLICY})`,
      ran: 'dr restore-bucket --to another bucket and --in-place (copies by VersionId, a multipart copy, a delete marker), real local versioned S3',
      verdicts: await verdicts(model),
      negative: 'the proof can fail: without s3:ListBucketVersions the listing is denied',
    });
    const { documented, measured } = proofRows('restore-bucket.test.ts', [row]);
    expect(documented).toEqual(measured);
  });

  test('the proof can fail: without s3:ListBucketVersions the listing is denied', async () => {
    const copy = structuredClone(templates);
    for (const s of copy)
      for (const r of Object.values(
        s.template.Resources as Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: { Action: string | string[] }[] } } }>,
      ))
        if (r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.PolicyDocument) withoutAction(r.Properties.PolicyDocument, 's3:ListBucketVersions');
    const v = await verdicts(synthesizePolicyModel(copy));
    expect(v.filter((x) => !x.allowed).map((x) => x.request.action)).toEqual(expect.arrayContaining(['s3:ListBucketVersions']));
  });

  test('the operator cannot delete a version for good: a delete by VersionId in the data bucket is denied s3:DeleteObjectVersion, while its s3:DeleteObject (a delete marker) is allowed', async () => {
    const who = operatorPrincipal(OPERATOR_POLICY, WHO);
    const call: SdkCall = {
      who: WHO,
      service: 's3',
      operation: 'DeleteObject',
      region: config.primary.region,
      input: { Bucket: SOURCE, Key: 'img/a.jpg', VersionId: 'v1' },
    };
    const v = await evaluateAll(
      model,
      toIamRequests(call, mappingContext(model)).map((request) => ({ who, request })),
    );
    expect(v.map((x) => [x.request.action, x.allowed])).toEqual([
      ['s3:DeleteObject', true],
      ['s3:DeleteObjectVersion', false],
    ]);
  });
});
