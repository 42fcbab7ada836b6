/**
 * lambda/store/s3-io.ts against the local S3: an empty marker object (`_started`, read-late
 * markers) is written with its length, so the S3 client has no "Stream of unknown length" to warn
 * about (it measures only non-empty bodies). The client is the kind that warned: checksums only
 * when required (as for Ceph RGW; with the default checksums the SDK sends a decoded length
 * instead) and the SDK's default logger (the product's clients log nothing).
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getText, putText } from '../../../lambda/store/s3-io';
import { useLocalServers } from '../../support/use-local-servers';

const BUCKET = 's3-io-markers';
const local = useLocalServers({ buckets: [BUCKET] });

let s3: S3Client;
beforeAll(() => {
  s3 = new S3Client({
    endpoint: local.env.AWS_ENDPOINT_URL_S3,
    region: local.env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: local.env.AWS_ACCESS_KEY_ID, secretAccessKey: local.env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});
afterAll(() => s3.destroy());
afterEach(() => jest.restoreAllMocks());

test('putText writes an empty marker object with Content-Length 0 and no SDK warning', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  await putText(s3, BUCKET, 'folder/_started', '');
  expect(warn).not.toHaveBeenCalled();
  expect((await local.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'folder/_started' }))).ContentLength).toBe(0);
});

test('putText sends the byte length of a text with multi-byte characters', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  await putText(s3, BUCKET, 'note.txt', 'Grüße ✓');
  expect(warn).not.toHaveBeenCalled();
  expect(await getText(s3, BUCKET, 'note.txt')).toBe('Grüße ✓');
});
