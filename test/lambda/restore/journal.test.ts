/**
 * The contract of the restore journal (lambda/restore/journal/): what makes a target
 * "unfinished", what a rerun may do with it, how the journal object and the tag change during a
 * restore, one restore per target (a conditional write claims it), and the binding to the
 * target's identity (a recreated table is foreign). Other tests use the journal; this file states it.
 *
 * The journal object is written to s3rver and the tag read from DynamoDB Local (which has no
 * tagging: the tag is absent there). The tagging calls AWS has are tested "(mocked tagging)".
 */
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { MetadataBearer } from '@smithy/types';
import {
  decideTarget,
  describeIdentity,
  JournalTakenError,
  journalKey,
  listJournals,
  parseRestoreTag,
  readJournal,
  readRestoreTag,
  RestoreJournal,
  RestoreJournalRecord,
  stableClientToken,
  TargetRequest,
  unfinishedTags,
  windowPartId,
  writeRestoreTag,
} from '../../../lambda/restore/journal';
import { RestoreRefusedError } from '../../../lambda/restore/types';
import { reapplySettings } from '../../../lambda/restore/engines/reapply';
import { createTableFromSchema } from '../../../lambda/restore/tables';
import { FIXTURE_SCHEMA } from '../../support/native-export-fixture';
import { createTestTable } from '../../support/ddb-compare';
import { useLocalServers } from '../../support/use-local-servers';

jest.setTimeout(120_000);

const BACKUP = '2026-11-23T02-00-00-000Z';
const OTHER = '2026-11-22T02-00-00-000Z';
const req = (over: Partial<TargetRequest> = {}): TargetRequest => ({
  target: 'orders-restored',
  source: 'orders',
  backupId: BACKUP,
  tier: 'daily',
  intoExisting: false,
  resume: false,
  ...over,
});
const journal = (over: Partial<RestoreJournalRecord> = {}): RestoreJournalRecord => ({
  version: 1,
  target: 'orders-restored',
  source: 'orders',
  backupId: BACKUP,
  tier: 'daily',
  engine: 'write',
  intoExisting: false,
  state: 'unfinished',
  startedAt: '2026-11-23T03:00:00.000Z',
  updatedAt: '2026-11-23T03:01:00.000Z',
  runs: 1,
  parts: [
    { id: 'a.json.gz', items: 10, done: true },
    { id: 'b.json.gz', items: 5, done: false },
  ],
  expectedItems: 15,
  doneItems: 10,
  ...over,
});

describe('decideTarget (which targets may be written, and how)', () => {
  test('a missing target starts fresh; with --into-existing it is refused', () => {
    expect(decideTarget(req(), { exists: false })).toEqual({ mode: 'fresh' });
    expect(() => decideTarget(req({ intoExisting: true }), { exists: false })).toThrow(/"orders-restored" does not exist: --into-existing/);
  });

  test('an existing table with no unfinished restore is refused, --resume or not', () => {
    expect(() => decideTarget(req(), { exists: true })).toThrow(/"orders-restored" already exists: nothing was written/);
    expect(() => decideTarget(req({ resume: true }), { exists: true })).toThrow(/already exists \(--resume: no unfinished restore is recorded for it\)/);
    expect(() => decideTarget(req(), { exists: true, journal: journal({ state: 'verified' }) })).toThrow(/already exists/);
  });

  test('an unfinished target without --resume is refused, saying it is unfinished and how to go on', () => {
    const refuse = () => decideTarget(req(), { exists: true, journal: journal() });
    expect(refuse).toThrow(RestoreRefusedError);
    expect(refuse).toThrow(
      /"orders-restored" is an unfinished restore of backup set 2026-11-23T02-00-00-000Z \(1 of 2 parts done, 10 of 15 items, unfinished\)/,
    );
    expect(refuse).toThrow(/rerun with --resume to continue it, or delete it \(aws dynamodb delete-table --table-name orders-restored\)/);
  });

  test('an unfinished journal may be a restore still running: the refusal says so, with its last write, and never to resume or delete a table another restore writes', () => {
    const j = journal();
    for (const r of [req(), req({ backupId: OTHER })])
      expect(() => decideTarget(r, { exists: true, journal: j })).toThrow(
        /Its journal was last written at 2026-11-23T03:01:00.000Z \(run 1\): if that restore is still running, let it finish first .*never resume or delete a table another restore is writing/,
      );
    expect(() => decideTarget(req(), { exists: true, journal: journal({ state: 'failed', problem: 'x' }) })).not.toThrow(/still running/);
  });

  test('an unfinished (or failed) target of the same set resumes with --resume, carrying the journal', () => {
    const j = journal();
    expect(decideTarget(req({ resume: true }), { exists: true, journal: j })).toEqual({ mode: 'resume', journal: j });
    const f = journal({ state: 'failed', problem: 'server gone' });
    expect(decideTarget(req({ resume: true }), { exists: true, journal: f })).toEqual({ mode: 'resume', journal: f });
  });

  test('--into-existing: an unfinished journal lets a non-empty target pass with --resume only', () => {
    const j = journal({ target: 'orders', intoExisting: true });
    const r = req({ target: 'orders', intoExisting: true });
    expect(() => decideTarget(r, { exists: true, hasItems: true })).toThrow(/"orders" is not empty/);
    expect(() => decideTarget(r, { exists: true, hasItems: true, journal: j })).toThrow(/unfinished restore .*rerun with --resume to continue it, or empty it/);
    expect(decideTarget({ ...r, resume: true }, { exists: true, hasItems: true, journal: j })).toEqual({ mode: 'resume', journal: j });
    expect(decideTarget(r, { exists: true, hasItems: false })).toEqual({ mode: 'fresh' });
  });

  test('an unfinished restore of another backup set (or another source table) is refused with the fix, even with --resume', () => {
    const other = journal({ backupId: OTHER });
    expect(() => decideTarget(req({ resume: true }), { exists: true, journal: other })).toThrow(
      /holds an unfinished restore of backup set 2026-11-22T02-00-00-000Z \(table "orders"\), not of 2026-11-23T02-00-00-000Z .*"dr restore 2026-11-22T02-00-00-000Z --resume"/,
    );
    expect(() => decideTarget(req({ resume: true }), { exists: true, journal: journal({ source: 'customers' }) })).toThrow(/\(table "customers"\)/);
  });

  test('without a journal the tag alone marks a target unfinished (a restore started from another bucket)', () => {
    const tag = { state: 'unfinished' as const, backupId: BACKUP };
    expect(() => decideTarget(req(), { exists: true, tag })).toThrow(/is an unfinished restore of backup set/);
    expect(decideTarget(req({ resume: true }), { exists: true, tag })).toEqual({ mode: 'resume', journal: undefined });
    expect(() => decideTarget(req(), { exists: true, tag: { state: 'verified', backupId: BACKUP } })).toThrow(/already exists/);
  });
});

describe('tags', () => {
  test('values are <state>:<backupId>; anything else is not ours', () => {
    expect(unfinishedTags(BACKUP)).toEqual([{ Key: 'dr-stack:restore', Value: `unfinished:${BACKUP}` }]);
    expect(parseRestoreTag(`verified:${BACKUP}`)).toEqual({ state: 'verified', backupId: BACKUP });
    expect(parseRestoreTag('done:x')).toBeUndefined();
    expect(parseRestoreTag(undefined)).toBeUndefined();
  });

  test('stable client tokens: same inputs, same token; 64 characters (ImportTable ClientToken maximum)', () => {
    expect(stableClientToken('orders', BACKUP, 'import')).toBe(stableClientToken('orders', BACKUP, 'import'));
    expect(stableClientToken('orders', BACKUP, 'import')).not.toBe(stableClientToken('orders', OTHER, 'import'));
    expect(stableClientToken('x')).toHaveLength(64);
  });

  test('reads and writes the tag where DynamoDB has tagging (mocked tagging)', async () => {
    const client = new DynamoDBClient({ region: 'eu-west-1' });
    const ddb = mockClient(client);
    const arn = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders-restored';
    ddb.on(DescribeTableCommand).resolves({ Table: { TableArn: arn } });
    ddb.on(ListTagsOfResourceCommand).resolves({ Tags: [{ Key: 'dr-stack:restore', Value: `unfinished:${BACKUP}` }] });
    ddb.on(TagResourceCommand).resolves({});
    expect(await readRestoreTag(client, 'orders-restored')).toEqual({ state: 'unfinished', backupId: BACKUP });
    expect(await writeRestoreTag(client, 'orders-restored', 'verified', BACKUP)).toBeUndefined();
    expect(ddb.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: arn,
      Tags: [{ Key: 'dr-stack:restore', Value: `verified:${BACKUP}` }],
    });
    ddb.on(TagResourceCommand).rejects(Object.assign(new Error('not authorized to perform dynamodb:TagResource'), { name: 'AccessDeniedException' }));
    expect(await writeRestoreTag(client, 'orders-restored', 'verified', BACKUP)).toMatch(/not set .*allow dynamodb:TagResource/);
    client.destroy();
  });
});

describe('the journal object and the tag during a restore (s3rver, DynamoDB Local)', () => {
  const bucket = 'journal-contract';
  const local = useLocalServers({ buckets: [bucket] });
  const base = () => ({
    s3: local.s3,
    bucket,
    dynamodb: local.dynamodb,
    source: 'orders',
    backupId: BACKUP,
    tier: 'daily',
    engine: 'write',
    intoExisting: false,
    parts: [
      { id: 'data/a.json.gz', items: 10 },
      { id: 'data/b.json.gz', items: 5 },
      { id: 'data/c.json.gz', items: 1 },
    ],
  });

  test('DynamoDB Local has no tagging: the tag reads as absent and writing it is not an error', async () => {
    await createTestTable(local.dynamodb, 'journal-tagless');
    expect(await readRestoreTag(local.dynamodb, 'journal-tagless')).toBeUndefined();
    expect(await writeRestoreTag(local.dynamodb, 'journal-tagless', 'unfinished', BACKUP)).toBeUndefined();
  });

  test('start writes "unfinished" before anything else; parts done are written; verified ends it', async () => {
    await createTestTable(local.dynamodb, 't-life');
    const j = await RestoreJournal.start({ ...base(), target: 't-life' });
    const first = await readJournal(local.s3, bucket, 't-life');
    expect(first).toMatchObject({ state: 'unfinished', runs: 1, expectedItems: 16, doneItems: 0, backupId: BACKUP, source: 'orders', engine: 'write' });
    expect(first!.parts.map((p) => p.done)).toEqual([false, false, false]);
    j.markPartDone('data/a.json.gz');
    j.markPartDone('data/b.json.gz');
    await j.flush();
    const mid = await readJournal(local.s3, bucket, 't-life');
    expect(mid).toMatchObject({ state: 'unfinished', doneItems: 15 });
    expect(mid!.parts.map((p) => p.done)).toEqual([true, true, false]);
    expect(() => j.markPartDone('data/zzz.json.gz')).toThrow(/no part "data\/zzz.json.gz"/);
    await j.verified(16);
    expect(await readJournal(local.s3, bucket, 't-life')).toMatchObject({ state: 'verified', verifiedItems: 16 });
  });

  test('parts done are written at most once each, with one write in flight (bounded frequency)', async () => {
    const j = await RestoreJournal.start({ ...base(), target: 't-coalesce' });
    const spy = jest.spyOn(local.s3, 'send');
    for (const p of base().parts) j.markPartDone(p.id);
    await j.flush();
    const puts = spy.mock.calls.filter(([c]) => c instanceof PutObjectCommand).length;
    spy.mockRestore();
    expect(puts).toBeGreaterThanOrEqual(1);
    expect(puts).toBeLessThanOrEqual(2);
    expect((await readJournal(local.s3, bucket, 't-coalesce'))!.doneItems).toBe(16);
  });

  test('a resumed journal keeps the parts done, the first start and the operation, and counts the run', async () => {
    const j1 = await RestoreJournal.start({ ...base(), target: 't-resume' });
    j1.markPartDone('data/b.json.gz');
    await j1.setOperation({ engine: 'import', clientToken: stableClientToken('t-resume', BACKUP), startedAt: '2026-11-23T03:00:00.000Z' });
    // setOperation is on S3 when it returns: the request may be sent now.
    expect((await readJournal(local.s3, bucket, 't-resume'))!.operation?.clientToken).toHaveLength(64);
    const killed = (await readJournal(local.s3, bucket, 't-resume'))!;
    const j2 = await RestoreJournal.start({ ...base(), target: 't-resume', resumeFrom: killed });
    expect([...j2.doneParts()]).toEqual(['data/b.json.gz']);
    expect(j2.record).toMatchObject({ runs: 2, startedAt: killed.startedAt, doneItems: 5, state: 'unfinished', operation: killed.operation });
  });

  test("the journal is bound to the table's creation identity (DescribeTable's TableId / CreationDateTime): at start for an existing table, by bindTarget for a new one, and kept by a resume", async () => {
    await createTestTable(local.dynamodb, 't-identity');
    const identity = await describeIdentity(local.dynamodb, 't-identity');
    expect(identity?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const existing = await RestoreJournal.start({ ...base(), target: 't-identity', intoExisting: true, targetIdentity: identity });
    expect((await readJournal(local.s3, bucket, 't-identity'))?.targetIdentity).toEqual(identity);
    const fresh = await RestoreJournal.start({ ...base(), target: 't-identity-new' });
    expect((await readJournal(local.s3, bucket, 't-identity-new'))?.targetIdentity).toBeUndefined();
    await createTestTable(local.dynamodb, 't-identity-new');
    const created = await describeIdentity(local.dynamodb, 't-identity-new');
    await fresh.bindTarget(created);
    expect((await readJournal(local.s3, bucket, 't-identity-new'))?.targetIdentity).toEqual(created);
    const resumed = await RestoreJournal.start({ ...base(), target: 't-identity', intoExisting: true, resumeFrom: existing.record, journalEtag: undefined });
    expect(resumed.record.targetIdentity).toEqual(identity);
  });

  test('a journal with every part done but unfinished (stopped before the settings) resumes, and the resume re-applies the saved settings, idempotently', async () => {
    const allDone = journal({ parts: [{ id: 'a.json.gz', items: 10, done: true }], expectedItems: 10, doneItems: 10 });
    expect(decideTarget(req({ resume: true }), { exists: true, journal: allDone })).toEqual({ mode: 'resume', journal: allDone });
    await createTableFromSchema(local.dynamodb, 't-settings', { ...FIXTURE_SCHEMA, ttlAttribute: undefined });
    const ttl = async () => (await local.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 't-settings' }))).TimeToLiveDescription?.TimeToLiveStatus;
    expect(await ttl()).toBe('DISABLED');
    const opts = { engine: 'write' as const, protect: true, newTable: true };
    const first = await reapplySettings(local.dynamodb, 't-settings', FIXTURE_SCHEMA, opts);
    expect(first.applied).toContain(`TTL on ${FIXTURE_SCHEMA.ttlAttribute}`);
    expect(await ttl()).toBe('ENABLED');
    const again = await reapplySettings(local.dynamodb, 't-settings', FIXTURE_SCHEMA, opts);
    expect(again.applied).not.toContain(`TTL on ${FIXTURE_SCHEMA.ttlAttribute}`);
    expect((await local.dynamodb.send(new DescribeTableCommand({ TableName: 't-settings' }))).Table?.DeletionProtectionEnabled).toBe(true);
  });

  describe('a chain (dr restore --at): one part per window after the base parts', () => {
    const w1 = windowPartId(new Date('2026-11-23T02:00:00Z'));
    const w2 = windowPartId(new Date('2026-11-23T02:15:00Z'));
    const chain = {
      at: '2026-11-23T02:20:00.000Z',
      baseSet: `daily/${BACKUP}`,
      windows: [
        { id: w1, items: 4 },
        { id: w2, items: 2 },
      ],
    };
    const baseDone = async (target: string) => {
      const j = await RestoreJournal.start({ ...base(), target, chain });
      for (const p of base().parts) j.markPartDone(p.id);
      await j.verified(16);
    };

    test('the windows follow the base parts, in order; the base verified keeps the target unfinished', async () => {
      await baseDone('t-chain');
      const rec = await readJournal(local.s3, bucket, 't-chain');
      expect(rec!.parts.map((p) => [p.id, p.done])).toEqual([...base().parts.map((p) => [p.id, true]), [w1, false], [w2, false]]);
      expect(rec).toMatchObject({ state: 'unfinished', expectedItems: 22, chain: { at: chain.at, baseSet: chain.baseSet, baseVerifiedItems: 16 } });
      expect(rec!.verifiedItems).toBeUndefined();
    });

    test('continued by the same run: windows done one by one, verified after the last', async () => {
      await baseDone('t-chain-go');
      const j = await RestoreJournal.continueChain({ s3: local.s3, bucket, target: 't-chain-go', resumed: false });
      j.markPartDone(w1);
      await j.flush();
      expect(await readJournal(local.s3, bucket, 't-chain-go')).toMatchObject({ state: 'unfinished', doneItems: 20, runs: 1 });
      j.markPartDone(w2);
      await j.verified(18);
      expect(await readJournal(local.s3, bucket, 't-chain-go')).toMatchObject({ state: 'verified', verifiedItems: 18, doneItems: 22 });
    });

    test('a killed chain resumes at the first window not done, counting the run', async () => {
      await baseDone('t-chain-kill');
      const j1 = await RestoreJournal.continueChain({ s3: local.s3, bucket, target: 't-chain-kill', resumed: false });
      j1.markPartDone(w1);
      await j1.failed('killed');
      const j2 = await RestoreJournal.continueChain({ s3: local.s3, bucket, target: 't-chain-kill', resumed: true });
      expect([...j2.doneParts()].filter((id) => id.startsWith('window/'))).toEqual([w1]);
      expect(j2.record).toMatchObject({ state: 'unfinished', runs: 2, problem: undefined });
    });

    /** A chain into the existing table `target` whose base is verified, bound to the table's identity. */
    const boundBaseDone = async (target: string) => {
      await createTestTable(local.dynamodb, target);
      const j = await RestoreJournal.start({ ...base(), target, chain, intoExisting: true, targetIdentity: await describeIdentity(local.dynamodb, target) });
      for (const p of base().parts) j.markPartDone(p.id);
      await j.verified(16);
    };
    const dropTable = async (target: string) => {
      await local.dynamodb.send(new DeleteTableCommand({ TableName: target }));
      await waitUntilTableNotExists({ client: local.dynamodb, maxWaitTime: 60 }, { TableName: target });
    };

    test('a chain whose table was dropped and created again since its base was verified is not continued: refused as foreign, the journal unchanged', async () => {
      await boundBaseDone('t-chain-foreign');
      await dropTable('t-chain-foreign');
      await createTestTable(local.dynamodb, 't-chain-foreign');
      const before = await readJournal(local.s3, bucket, 't-chain-foreign');
      await expect(RestoreJournal.continueChain({ s3: local.s3, bucket, dynamodb: local.dynamodb, target: 't-chain-foreign', resumed: true })).rejects.toThrow(
        /"t-chain-foreign" is not the table the restore of .* started on .*dropped and created again since .*nothing was written/,
      );
      expect(await readJournal(local.s3, bucket, 't-chain-foreign')).toEqual(before);
    });

    test('a chain whose table is gone is not continued: refused, saying to restore again without --resume', async () => {
      await boundBaseDone('t-chain-gone');
      await dropTable('t-chain-gone');
      await expect(RestoreJournal.continueChain({ s3: local.s3, bucket, dynamodb: local.dynamodb, target: 't-chain-gone', resumed: true })).rejects.toThrow(
        /"t-chain-gone" no longer exists: .*nothing was written; restore again with "dr restore --at 2026-11-23T02:20:00.000Z" \(without --resume\)/,
      );
    });

    test('a chain continued with its table checked: the same table continues', async () => {
      await boundBaseDone('t-chain-same');
      const j = await RestoreJournal.continueChain({ s3: local.s3, bucket, dynamodb: local.dynamodb, target: 't-chain-same', resumed: true });
      expect(j.record).toMatchObject({ state: 'unfinished', runs: 2 });
    });

    test('a journal without a verified base (or verified already) cannot be continued as a chain', async () => {
      await RestoreJournal.start({ ...base(), target: 't-chain-early', chain });
      await expect(RestoreJournal.continueChain({ s3: local.s3, bucket, target: 't-chain-early', resumed: true })).rejects.toThrow(
        /holds no chain with a verified base to continue \(state unfinished\)/,
      );
      await expect(RestoreJournal.continueChain({ s3: local.s3, bucket, target: 't-life', resumed: true })).rejects.toThrow(/state verified/);
    });

    test('a resumed base keeps the windows done', async () => {
      const j1 = await RestoreJournal.start({ ...base(), target: 't-chain-base', chain });
      j1.markPartDone('data/a.json.gz');
      await j1.flush();
      const killed = (await readJournal(local.s3, bucket, 't-chain-base'))!;
      const j2 = await RestoreJournal.start({ ...base(), target: 't-chain-base', chain, resumeFrom: killed });
      expect(j2.record.parts.map((p) => p.id)).toEqual([...base().parts.map((p) => p.id), w1, w2]);
      expect([...j2.doneParts()]).toEqual(['data/a.json.gz']);
    });
  });

  test('failed records the problem and never throws; listJournals finds every journal', async () => {
    const j = await RestoreJournal.start({ ...base(), target: 't-failed' });
    await j.failed('data/b.json.gz: md5 differs from the manifest');
    expect(await readJournal(local.s3, bucket, 't-failed')).toMatchObject({ state: 'failed', problem: 'data/b.json.gz: md5 differs from the manifest' });
    const all = await listJournals(local.s3, bucket);
    expect(all.map((x) => x.target)).toEqual(expect.arrayContaining(['t-failed', 't-life', 't-resume']));
    expect(journalKey('t-failed')).toBe('restores/t-failed.json');
    const raw = await local.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'restores/t-failed.json' }));
    expect(JSON.parse(await raw.Body!.transformToString())).toMatchObject({ version: 1, target: 't-failed' });
  });
});

describe('one restore per target: claimed by a conditional write (mocked S3 conditional writes: s3rver ignores If-None-Match / If-Match on PUT)', () => {
  // Created in beforeAll: mockClient(S3Client) replaces every S3Client's send, the s3rver suite's too.
  let s3Mock: AwsStub<object, MetadataBearer, unknown>;
  beforeAll(() => {
    s3Mock = mockClient(S3Client);
  });
  const s3 = new S3Client({ region: 'eu-west-1' });
  const start = (journalEtag?: string) =>
    RestoreJournal.start({
      s3,
      bucket: 'b',
      dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
      target: 'orders-restored',
      source: 'orders',
      backupId: BACKUP,
      tier: 'daily',
      engine: 'write',
      intoExisting: false,
      parts: [{ id: 'a', items: 1 }],
      journalEtag,
    });
  const preconditionFailed = () =>
    Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  afterEach(() => s3Mock.reset());
  afterAll(() => s3Mock.restore());

  test('a target with no journal is claimed with If-None-Match: *, one with a journal with If-Match on the ETag the decision read', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    await start();
    await start('"e0"');
    const inputs = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({ Key: 'restores/orders-restored.json', IfNoneMatch: '*' });
    expect(inputs[0].IfMatch).toBeUndefined();
    expect(inputs[1]).toMatchObject({ IfMatch: '"e0"' });
  });

  test('of two restores deciding at once, the second claim is refused before anything is written (412 or 409)', async () => {
    s3Mock.on(PutObjectCommand).rejects(preconditionFailed());
    await expect(start()).rejects.toThrow(RestoreRefusedError);
    await expect(start('"e0"')).rejects.toThrow(/another restore of "orders-restored" claimed it first .* nothing was written by this run/);
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('conflict'), { name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } }));
    await expect(start()).rejects.toThrow(/claimed it first/);
  });

  test('each later write is conditional on the version the holder wrote last; a journal changed under it stops the holder', async () => {
    s3Mock.on(PutObjectCommand).resolvesOnce({ ETag: '"v1"' }).resolvesOnce({ ETag: '"v2"' }).rejects(preconditionFailed());
    const j = await start();
    j.markPartDone('a');
    await j.flush();
    expect(s3Mock.commandCalls(PutObjectCommand)[1].args[0].input).toMatchObject({ IfMatch: '"v1"' });
    await expect(j.setOperation({ engine: 'import', clientToken: 't', startedAt: '2026-11-23T03:00:00.000Z' })).rejects.toThrow(JournalTakenError);
    expect(s3Mock.commandCalls(PutObjectCommand)[2].args[0].input).toMatchObject({ IfMatch: '"v2"' });
  });
});

describe('bound to the target identity: a table created again under the same name is foreign', () => {
  const mine = { tableId: 'id-1', createdAt: '2026-11-23T03:00:00.000Z' };
  const recreated = { tableId: 'id-2', createdAt: '2026-11-23T05:00:00.000Z' };

  test('--resume of a journal bound to another table is refused, naming both identities and the stale journal', () => {
    expect(() =>
      decideTarget(
        req({ intoExisting: true, resume: true }),
        { exists: true, hasItems: true, identity: recreated, journal: journal({ intoExisting: true, targetIdentity: mine }) },
        'bkt',
      ),
    ).toThrow(
      /is not the table the restore of .* started on \(that one: created 2026-11-23T03:00:00.000Z, TableId id-1; this one: created 2026-11-23T05:00:00.000Z, TableId id-2\).*s3:\/\/bkt\/restores\/orders-restored.json is stale/,
    );
  });

  test('without --resume, a foreign journal does not make the table an unfinished restore: it is judged as any existing table', () => {
    expect(() => decideTarget(req(), { exists: true, identity: recreated, journal: journal({ targetIdentity: mine }) })).toThrow(
      /already exists: nothing was written/,
    );
    expect(
      decideTarget(req({ intoExisting: true }), {
        exists: true,
        hasItems: false,
        identity: recreated,
        journal: journal({ targetIdentity: mine }),
        journalEtag: '"e"',
      }),
    ).toEqual({
      mode: 'fresh',
      journalEtag: '"e"',
    });
  });

  test('the same table (same TableId) resumes as before', () => {
    const j = journal({ targetIdentity: mine });
    expect(decideTarget(req({ resume: true }), { exists: true, identity: mine, journal: j, journalEtag: '"e"' })).toEqual({
      mode: 'resume',
      journal: j,
      journalEtag: '"e"',
    });
  });

  test('an engine journal whose operation was never sent counts as nothing started', () => {
    const j = journal({ engine: 'bulk', intoExisting: true, parts: [{ id: 'bulk-operation', items: 15, done: false }], doneItems: 0 });
    expect(decideTarget(req({ intoExisting: true }), { exists: true, hasItems: false, journal: j })).toEqual({ mode: 'fresh' });
  });
});
