/**
 * putJsonIf's preconditions (mocked S3: request shapes only) and the one switch that drops them,
 * DR_S3_CONDITIONAL_WRITES=off, which only the local servers set for an S3 emulator that cannot
 * honour conditional writes (Ceph RGW 16).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { CONDITIONAL_WRITES_VARIABLE, PreconditionFailedError, putJsonIf } from '../../../lambda/store/s3-io';

const s3mock = mockClient(S3Client);
const saved = process.env[CONDITIONAL_WRITES_VARIABLE];
afterEach(() => {
  s3mock.reset();
  if (saved === undefined) delete process.env[CONDITIONAL_WRITES_VARIABLE];
  else process.env[CONDITIONAL_WRITES_VARIABLE] = saved;
});

test('by default (mocked S3) the create sends If-None-Match: * and the update If-Match with the ETag', async () => {
  delete process.env[CONDITIONAL_WRITES_VARIABLE];
  s3mock.on(PutObjectCommand).resolves({ ETag: '"e1"' });
  const s3 = new S3Client({ region: 'eu-west-1' });
  await putJsonIf(s3, 'b', 'k', { a: 1 }, { ifNoneMatch: '*' });
  await putJsonIf(s3, 'b', 'k', { a: 2 }, { ifMatch: '"e1"' });
  const inputs = s3mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
  expect(inputs[0]).toMatchObject({ IfNoneMatch: '*' });
  expect(inputs[0].IfMatch).toBeUndefined();
  expect(inputs[1]).toMatchObject({ IfMatch: '"e1"' });
});

test('a 412 (mocked S3) is PreconditionFailedError: another writer won', async () => {
  delete process.env[CONDITIONAL_WRITES_VARIABLE];
  s3mock.on(PutObjectCommand).rejects(
    Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    }),
  );
  await expect(putJsonIf(new S3Client({ region: 'eu-west-1' }), 'b', 'k', {}, { ifMatch: '"e0"' })).rejects.toBeInstanceOf(PreconditionFailedError);
});

test('DR_S3_CONDITIONAL_WRITES=off (mocked S3) sends neither header', async () => {
  process.env[CONDITIONAL_WRITES_VARIABLE] = 'off';
  s3mock.on(PutObjectCommand).resolves({ ETag: '"e2"' });
  await expect(putJsonIf(new S3Client({ region: 'eu-west-1' }), 'b', 'k', {}, { ifMatch: '"e1"' })).resolves.toBe('"e2"');
  const input = s3mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(input.IfMatch).toBeUndefined();
  expect(input.IfNoneMatch).toBeUndefined();
});
